import { ConflictError } from './errors.ts';
import type { Draft, Kind, ListFilters, PrepareContext, RequestView } from './kind.ts';
import type { Idempotency, Lifecycle } from './lifecycle.ts';
import {
  type Actor,
  type Caller,
  type ConsentLinks,
  type Page,
  type RequestDetails,
  type Source,
  type StoredRequest,
  summaryOf,
  type Transition,
} from './types.ts';

/** Per call: who to blame in the log, the caller's Idempotency-Key (creates), how long the invocation has left. */
export interface Call {
  correlationId: string;
  idempotencyKey?: string | undefined;
  remainingMs?: (() => number) | undefined;
}

export interface PageQuery {
  pageSize?: string | undefined;
  continuationToken?: string | undefined;
}

export interface Created<View> {
  request: View;
  /** True when this is the stored first answer to the same Idempotency-Key and body. */
  replayed: boolean;
}

/**
 * The API of a kind of request, the same for every kind: what its five functions serve. The lifecycle's
 * own in local mode (`createRequests`), the platform's decorator in proxy mode (lib/proxy/requests.ts).
 */
export interface RequestsApi<Input, Query extends ListFilters, View extends RequestView> {
  create(input: Input, caller: Caller, call: Call): Promise<Created<View>>;
  get(id: string, caller: Caller, call: Call): Promise<View>;
  list(caller: Caller, query: Query, call: Call): Promise<Page<View>>;
  cancel(id: string, caller: Caller, call: Call): Promise<View>;
  history(id: string, caller: Caller, query: PageQuery): Promise<Page<Transition>>;
}

/** A create that passed every check, not yet written: `commit` writes it. In proxy mode the platform makes it in between. */
export interface Prepared<Input> {
  input: Input;
  caller: Caller;
  correlationId: string;
  idempotency?: Idempotency | undefined;
  draft: Draft;
}

/** Who made a request when not the caller through the API: an end user's guided session, which the create claims. */
export interface Origin {
  actor: Actor;
  source: Source;
  session: string;
}

/** A request registered elsewhere first (the platform): its id, and its details laid over ours. */
export interface Assigned {
  id: string;
  details?: (ours: RequestDetails) => RequestDetails;
}

export interface RequestsOptions {
  /** The consent links of a new request (this service's consent page), for kinds with a consent step. */
  consentLinks?: ((request: Pick<StoredRequest, 'id' | 'tenantId' | 'created'>) => ConsentLinks) | undefined;
  /** Outside production a returnUrl may be plain http on localhost. */
  allowLoopbackHttpReturnUrl: boolean;
}

/**
 * A kind's requests on the lifecycle core: create (prepare, then commit), get, list, cancel and history,
 * whatever the kind. `prepare`, `findReplay`, `commit` and `view` are there for the proxy decorator and
 * guided sessions, which create in steps.
 */
export function createRequests<Input, Query extends ListFilters, View extends RequestView>(
  kind: Kind<Input, Query, View>,
  core: Lifecycle,
  options: RequestsOptions,
) {
  const context: PrepareContext = { findEntity: (entityId) => core.store.findEntity(entityId), allowLoopbackHttpReturnUrl: options.allowLoopbackHttpReturnUrl };
  const consentLinks = kind.consentSubject ? options.consentLinks : undefined;
  const view = (request: StoredRequest) => kind.view(request, { consentLinks });

  /**
   * Every check a create makes before anything is written. A refusal may be a replay: an offboarding's
   * second create finds its entity claimed by the first, whose answer is what the same key must get.
   */
  async function prepare(input: Input, caller: Caller, call: Call): Promise<Prepared<Input> | { replay: Created<View> }> {
    const idempotency = core.idempotencyOf(kind, caller, input, call.idempotencyKey);
    try {
      return { input, caller, correlationId: call.correlationId, idempotency, draft: await kind.prepare(input, caller, context) };
    } catch (error) {
      const replay = await core.findReplay<View>(idempotency);
      if (replay) return { replay };
      throw error;
    }
  }

  /**
   * The stored first answer when the key was used before (a 422 for another body). Only needed before
   * registering a request elsewhere: the create's own transaction detects a replay.
   */
  const findReplay = (prepared: Prepared<Input>) => core.findReplay<View>(prepared.idempotency);

  /**
   * Writes a prepared create: the request and its first transition (`null → Pending`) in one transaction,
   * with the idempotency record, the entity it claims and the guided session it yields from, so a key never
   * points at a request that does not exist. A concurrent create with the same key that won answers its
   * response instead.
   */
  async function commit(prepared: Prepared<Input>, assigned?: Assigned, origin?: Origin): Promise<Created<View>> {
    const { caller, draft } = prepared;
    const id = assigned?.id ?? core.newId();
    const at = core.now().toISOString();
    const identity = { id, tenantId: caller.tenantId, kind: kind.name, created: at };
    const first = core.firstRecord(identity, caller, at, prepared.correlationId, origin);
    const ours: RequestDetails = { data: draft.data, ...(consentLinks ? { consent: consentLinks(identity) } : {}) };
    const details = assigned?.details ? assigned.details(ours) : ours;
    const request: StoredRequest = {
      id,
      kind: kind.name,
      status: 'Pending',
      created: at,
      updated: at,
      principalId: caller.principalId,
      tenantId: caller.tenantId,
      returnUrl: draft.returnUrl,
      data: details.data,
      ...(details.consent ? { consent: details.consent } : {}),
      errors: [],
      version: 1,
      lastHash: first.hash,
      lastTransition: summaryOf(first),
    };
    const created = view(request);
    const inserted = await core.insertFirst(request, first, created, {
      idempotency: prepared.idempotency,
      claim: draft.claimsEntity === undefined ? undefined : { entityId: draft.claimsEntity, tenantId: caller.tenantId, requestId: id },
      session: origin && { sessionId: origin.session, requestId: id, now: at },
    });
    if (inserted === 'inserted') return { request: created, replayed: false };
    if (inserted === 'session-used') throw new ConflictError('The session has yielded its request already, or expired.', 'session_used');
    if (inserted === 'entity-unavailable') {
      // Another create claimed the entity first, or it went away meanwhile: the checks again say which.
      await kind.prepare(prepared.input, caller, context);
      throw new ConflictError('The entity is being offboarded by another request right now.', 'offboarding_open');
    }
    return inserted;
  }

  const api: RequestsApi<Input, Query, View> = {
    async create(input, caller, call) {
      const prepared = await prepare(input, caller, call);
      return 'replay' in prepared ? prepared.replay : commit(prepared);
    },
    get: async (id, caller) => view(await core.findOwned(kind, id, caller)),
    async list(caller, query) {
      const page = await core.list(kind, caller, query);
      return { ...page, items: page.items.map(view) };
    },
    cancel: async (id, caller, call) => view(await core.cancel(kind, id, caller, call.correlationId)),
    history: (id, caller, query) => core.history(kind, id, caller, query),
  };

  return {
    ...api,
    kind,
    core,
    view,
    prepare,
    findReplay,
    commit,
    /** A cancel whose details change with it (proxy mode: the platform's answer). */
    cancelWith: async (id: string, caller: Caller, call: Call, details: (current: StoredRequest) => RequestDetails) =>
      view(await core.cancel(kind, id, caller, call.correlationId, details)),
  };
}

export type LocalRequests<Input, Query extends ListFilters, View extends RequestView> = ReturnType<typeof createRequests<Input, Query, View>>;
