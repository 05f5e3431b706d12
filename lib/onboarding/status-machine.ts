import type { Status } from './types.ts';

/** Contract §3. The one table of which status may follow which. */
const NEXT: Record<Status, readonly Status[]> = {
  Pending: ['Processing', 'Succeeded', 'Failed', 'Canceled'],
  Processing: ['Succeeded', 'Failed', 'Canceled'],
  Succeeded: [],
  Failed: [],
  Canceled: [],
};

export const OPEN_STATUSES: readonly Status[] = ['Pending', 'Processing'];

export function isTerminal(status: Status): boolean {
  return NEXT[status].length === 0;
}

export function canTransition(from: Status, to: Status): boolean {
  return NEXT[from].includes(to);
}

/** What a cancel from the API does to a request in `status`. */
export type CancelDecision = 'apply' | 'already-canceled' | 'refuse';

export function decideCancel(status: Status): CancelDecision {
  if (status === 'Canceled') return 'already-canceled';
  return canTransition(status, 'Canceled') ? 'apply' : 'refuse';
}
