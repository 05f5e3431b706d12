import type { Status } from './types.ts';

/** Which status may follow which, for one kind of request. Terminal statuses have no successor. */
export interface StatusMachine {
  readonly next: Readonly<Record<Status, readonly Status[]>>;
  /** The statuses the cleanup expires and the open-request index holds (some of OPEN_STATUSES). */
  readonly open: readonly Status[];
}

/**
 * The statuses a request of any kind may still leave. Every machine's terminal statuses are the others,
 * so the store can tell an open request from a finished one without knowing its kind.
 */
export const OPEN_STATUSES: readonly Status[] = ['Pending', 'Processing'];

export function isTerminal(status: Status, machine?: StatusMachine): boolean {
  return machine ? machine.next[status].length === 0 : !OPEN_STATUSES.includes(status);
}

export function canTransition(from: Status, to: Status, machine: StatusMachine): boolean {
  return machine.next[from].includes(to);
}

/** What a cancel from the API does to a request in `status`. */
export type CancelDecision = 'apply' | 'already-canceled' | 'refuse';

export function decideCancel(status: Status, machine: StatusMachine): CancelDecision {
  if (status === 'Canceled') return 'already-canceled';
  return canTransition(status, 'Canceled', machine) ? 'apply' : 'refuse';
}
