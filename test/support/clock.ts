import { vi } from 'vitest';

/** Runs `act` with the wall clock frozen at `instant` (Date only; timers stay real). */
export async function at<T>(instant: number, act: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(instant);
  try {
    return await act();
  } finally {
    vi.useRealTimers();
  }
}
