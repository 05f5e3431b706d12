import { ConflictError, NotFoundError } from './errors.ts';
import type { Idempotency, Lifecycle } from './lifecycle.ts';
import { KINDS } from './status-machine.ts';
import {
  type Caller, type EntityRecord, type Page, type RequestError, type RequestType, type Status, type StoredRequest, summaryOf, type Transition,
} from './types.ts';

/** An offboarding request as the API shows it (contract §12). */
export interface OffboardingRequestView {
  id: string;
  requestType: RequestType;
  status: Status;
  created: string;
  updated: string;
  principalId: string;
  data: { entityId: string; collectiveId?: string; tenantId: string };
  errors: RequestError[];
  version: number;
}

export interface OffboardingQuery {
  pageSize?: string | undefined;
  continuationToken?: string | undefined;
  status?: Status | undefined;
}

export interface OffboardingCreated {
  request: OffboardingRequestView;
  replayed: boolean;
}

/** The offboarding API the functions serve (contract §12): the lifecycle's, or the platform's decorator. */
export interface OffboardingApi {
  create(input: { entityId: string }, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<OffboardingCreated>;
  get(id: string, caller: Caller): Promise<OffboardingRequestView>;
  list(caller: Caller, query: OffboardingQuery): Promise<Page<OffboardingRequestView>>;
  cancel(id: string, caller: Caller, correlationId: string): Promise<OffboardingRequestView>;
  history(id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }): Promise<Page<Transition>>;
}

/** An offboarding that passed every check, not yet written (in proxy mode the platform makes it in between). */
export interface OffboardingDraft {
  entityId: string;
  collectiveId: string | null;
  caller: Caller;
  correlationId: string;
  idempotency?: Idempotency;
}

const KIND = 'EntityOffboarding';

/** An offboarding as the API shows it (contract §12). */
export function offboardingView(request: StoredRequest): OffboardingRequestView {
  const collectiveId = request.data.entity?.collectiveId;
  return {
    id: request.id,
    requestType: KINDS[request.requestType].requestType,
    status: request.status,
    created: request.created,
    updated: request.updated,
    principalId: request.principalId,
    data: { entityId: String(request.data.entity?.id), ...(typeof collectiveId === 'string' ? { collectiveId } : {}), tenantId: request.tenantId },
    errors: request.errors,
    version: request.version,
  };
}

/**
 * The offboarding of an entity (contract §12) on the lifecycle core: the entity must be onboarded for the
 * caller's tenant, and the create claims it in its own transaction, so one offboarding is open per entity
 * however creates race. Its machine and what its transitions do to the entity registry are its row of KINDS.
 */
export function createOffboardingService(lifecycle: Lifecycle) {
  const { store } = lifecycle;

  const view = offboardingView;

  function available(entity: EntityRecord | undefined, entityId: string, caller: Caller): EntityRecord {
    if (!entity || entity.tenantId !== caller.tenantId || entity.state !== 'Onboarded') {
      throw new NotFoundError(`No entity with id ${entityId} is onboarded for your tenant.`);
    }
    if (entity.openOffboarding) {
      throw new ConflictError(`The entity already has an open offboarding request, ${entity.openOffboarding}.`, 'offboarding_open');
    }
    return entity;
  }

  /**
   * Every check an offboarding makes before anything is written: a replay of an earlier answer (then that
   * answer), the entity known to the caller's tenant and still onboarded (else 404), and no offboarding
   * open for it already (409).
   */
  async function prepare(
    input: { entityId: string }, caller: Caller, correlationId: string, idempotencyKey?: string,
  ): Promise<{ replay: OffboardingCreated } | { draft: OffboardingDraft }> {
    const entityId = input.entityId.toLowerCase();
    const idempotency = lifecycle.idempotencyOf(KIND, caller, { entityId }, idempotencyKey);
    const replay = await lifecycle.findReplay<OffboardingRequestView>(idempotency);
    if (replay) return { replay };
    const entity = available(await store.findEntity(entityId), entityId, caller);
    return { draft: { entityId, collectiveId: entity.collectiveId, caller, correlationId, ...(idempotency ? { idempotency } : {}) } };
  }

  /** Writes a prepared offboarding with its first transition, claiming the entity; `assigned`: an id given elsewhere. */
  async function commit(draft: OffboardingDraft, assigned?: { id: string }): Promise<OffboardingCreated> {
    const { caller } = draft;
    const id = assigned?.id ?? lifecycle.newId();
    const at = lifecycle.now().toISOString();
    const first = lifecycle.firstRecord({ id, tenantId: caller.tenantId, requestType: KIND }, caller, at, draft.correlationId);
    const request: StoredRequest = {
      id,
      requestType: KIND,
      status: 'Pending',
      created: at,
      updated: at,
      principalId: caller.principalId,
      tenantId: caller.tenantId,
      returnUrl: null,
      data: { tenant: { id: caller.tenantId }, entity: { id: draft.entityId, collectiveId: draft.collectiveId } },
      errors: [],
      version: 1,
      lastHash: first.hash,
      lastTransition: summaryOf(first),
    };
    const created = view(request);
    const claim = { entityId: draft.entityId, tenantId: caller.tenantId, requestId: id };
    const inserted = await lifecycle.insertFirst(request, first, created, { idempotency: draft.idempotency, claim });
    if (inserted === 'inserted') return { request: created, replayed: false };
    if (inserted === 'session-used') throw new Error('unreachable: an offboarding claims no session');
    if (inserted !== 'entity-unavailable') return inserted;
    // Another offboarding won the race for the entity (or it went away meanwhile): say which.
    available(await store.findEntity(draft.entityId), draft.entityId, caller);
    throw new ConflictError('The entity is being offboarded by another request right now.', 'offboarding_open');
  }

  return {
    prepare,
    commit,
    view,
    async create(input: { entityId: string }, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<OffboardingCreated> {
      const prepared = await prepare(input, caller, correlationId, idempotencyKey);
      return 'replay' in prepared ? prepared.replay : commit(prepared.draft);
    },
    get: async (id: string, caller: Caller) => view(await lifecycle.findOwned(KIND, id, caller)),
    async list(caller: Caller, query: OffboardingQuery): Promise<Page<OffboardingRequestView>> {
      const page = await lifecycle.list(KIND, caller, query);
      return { ...page, items: page.items.map(view) };
    },
    cancel: async (id: string, caller: Caller, correlationId: string) => view(await lifecycle.cancel(KIND, id, caller, correlationId)),
    history: (id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }) => lifecycle.history(KIND, id, caller, query),
  } satisfies OffboardingApi & Record<string, unknown>;
}

export type OffboardingService = ReturnType<typeof createOffboardingService>;
