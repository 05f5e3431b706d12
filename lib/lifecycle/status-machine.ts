import type { RequestType, Status } from './types.ts';

/** Which status may follow which, for one kind of request. Terminal statuses have no successor. */
export interface StatusMachine {
  readonly next: Readonly<Record<Status, readonly Status[]>>;
  /** The statuses the cleanup expires and the open-request index holds. */
  readonly open: readonly Status[];
}

/** Contract §3: the onboarding requests' machine (collective and entity alike). */
export const ONBOARDING_MACHINE: StatusMachine = {
  next: {
    Pending: ['Processing', 'Succeeded', 'Failed', 'Canceled'],
    Processing: ['Succeeded', 'Failed', 'Canceled'],
    Succeeded: [],
    Failed: [],
    Canceled: [],
  },
  open: ['Pending', 'Processing'],
};

/**
 * The request kinds: each names its machine and the collection it is served under (ours and the
 * platform's paths). A new kind is a row here, its statuses, and its routes.
 */
export const KINDS: Readonly<Record<RequestType, { collection: 'collectives' | 'entities'; machine: StatusMachine }>> = {
  Collective: { collection: 'collectives', machine: ONBOARDING_MACHINE },
  Entity: { collection: 'entities', machine: ONBOARDING_MACHINE },
};

/** The plural of a request type, as it appears in paths (ours and the platform's). */
export const collectionOf = (requestType: RequestType) => KINDS[requestType].collection;

export const OPEN_STATUSES: readonly Status[] = ONBOARDING_MACHINE.open;

export function isTerminal(status: Status, machine: StatusMachine = ONBOARDING_MACHINE): boolean {
  return machine.next[status].length === 0;
}

export function canTransition(from: Status, to: Status, machine: StatusMachine = ONBOARDING_MACHINE): boolean {
  return machine.next[from].includes(to);
}

/** What a cancel from the API does to a request in `status`. */
export type CancelDecision = 'apply' | 'already-canceled' | 'refuse';

export function decideCancel(status: Status, machine: StatusMachine = ONBOARDING_MACHINE): CancelDecision {
  if (status === 'Canceled') return 'already-canceled';
  return canTransition(status, 'Canceled', machine) ? 'apply' : 'refuse';
}
