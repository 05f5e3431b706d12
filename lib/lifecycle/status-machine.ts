import type { EntityEffect, RequestKind, RequestType, Status, StoredRequest } from './types.ts';

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

/** Contract §12: the offboarding of an entity; only a Pending one may be canceled, the platform's rule. */
export const OFFBOARDING_MACHINE: StatusMachine = {
  next: {
    Pending: ['Succeeded', 'Failed', 'Canceled'],
    Processing: [],
    Succeeded: [],
    Failed: [],
    Canceled: [],
  },
  open: ['Pending'],
};

export interface KindSpec {
  /** What the API shows as `requestType`. */
  requestType: RequestType;
  /** Where the kind is served, under /v1 (ours and the platform's paths). */
  path: 'onboarding/collectives' | 'onboarding/entities' | 'offboarding/entities';
  /** The kind of event a provider's webhook about it carries. */
  event: 'onboarding.status.updated' | 'offboarding.status.updated';
  /** In messages: "No <noun> with id …". */
  noun: string;
  machine: StatusMachine;
  /** What a transition to `next` does to the entity registry, in the same transaction. */
  entityEffects?: (current: StoredRequest, next: StoredRequest) => EntityEffect[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The request kinds: each names its machine and where it is served. A new kind is a row here, its
 * statuses, and its routes (docs/architecture.md).
 */
export const KINDS: Readonly<Record<RequestKind, KindSpec>> = {
  Collective: { requestType: 'Collective', path: 'onboarding/collectives', event: 'onboarding.status.updated', noun: 'collective onboarding request', machine: ONBOARDING_MACHINE },
  Entity: {
    requestType: 'Entity',
    path: 'onboarding/entities',
    event: 'onboarding.status.updated',
    noun: 'entity onboarding request',
    machine: ONBOARDING_MACHINE,
    // An entity onboarded (the platform names the entity it made) is known to its tenant from then on.
    entityEffects: (current, next) => {
      const entity = next.data.entity ?? {};
      const entityId = typeof entity.id === 'string' ? entity.id.toLowerCase() : undefined;
      if (next.status !== 'Succeeded' || current.status === 'Succeeded' || !entityId || !UUID.test(entityId)) return [];
      const collectiveId = typeof entity.collectiveId === 'string' ? entity.collectiveId : null;
      return [{ entityId, register: { tenantId: next.tenantId, onboardingRequestId: next.id, collectiveId } }];
    },
  },
  EntityOffboarding: {
    requestType: 'Entity',
    path: 'offboarding/entities',
    event: 'offboarding.status.updated',
    noun: 'entity offboarding request',
    machine: OFFBOARDING_MACHINE,
    // A finished offboarding lets the entity be offboarded again, or, when it succeeded, no more.
    entityEffects: (current, next) => {
      const entityId = String(next.data.entity?.id ?? '');
      if (!OFFBOARDING_MACHINE.open.includes(current.status) || OFFBOARDING_MACHINE.open.includes(next.status)) return [];
      return [{ entityId, release: next.id, offboarded: next.status === 'Succeeded' }];
    },
  },
};

/** The plural of an onboarding request type, as it appears in paths (ours and the platform's). */
export const collectionOf = (requestType: RequestType) => (requestType === 'Collective' ? 'collectives' : 'entities');

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

/** Whose trail a request's is, as `GET` shows it: what the first record's hash is bound to (hash-chain.ts). */
export function trailOwner(request: Pick<StoredRequest, 'id' | 'tenantId' | 'requestType'>) {
  return { id: request.id, tenantId: request.tenantId, requestType: KINDS[request.requestType].requestType };
}
