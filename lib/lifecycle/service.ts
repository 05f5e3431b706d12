import { createHash, randomUUID } from 'node:crypto';
import {
  ConflictError, ForbiddenError, IdempotencyKeyReusedError, InvalidTransitionError, NotFoundError, ValidationError,
} from './errors.ts';
import { canonicalJson, type TrailOwner, transitionHash } from './hash-chain.ts';
import type { CreateCollectiveInput, CreateEntityInput, ListQuery } from './schemas.ts';
import { canTransition, decideCancel, KINDS, trailOwner } from './status-machine.ts';
import type { Cursor, EntityClaim, IdempotencyRecord, InboxMarker, OnboardingStore, PageTokens } from './store.ts';
import type {
  Actor, Caller, ConsentLinks, StoredRequest, Page, RequestData, RequestDetails, RequestError, RequestKind, RequestType, Source,
  Status, Transition, EntityRecord,
} from './types.ts';

export interface ServiceOptions {
  store: OnboardingStore;
  pageTokens: PageTokens;
  /** Where the end user of a new request goes to consent (contract §2 `action`). */
  consentLinks: (request: Pick<StoredRequest, 'id' | 'tenantId' | 'requestType'>) => ConsentLinks;
  /** Outside production a returnUrl may be plain http on localhost. */
  allowLoopbackHttpReturnUrl: boolean;
  now?: () => Date;
  newId?: () => string;
}

/** The public shape of a request (contract §2): the stored one without internals, with `action` while Pending. */
export interface OnboardingRequestView {
  id: string;
  requestType: RequestType;
  status: Status;
  created: string;
  updated: string;
  principalId: string;
  returnUrl: string | null;
  action: { type: 'Consent'; redirectLink: string; documentationLink: string } | null;
  data: RequestData;
  errors: RequestError[];
  version: number;
}

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

export interface TransitionChange {
  to: Status;
  errors?: RequestError[];
  reason?: string;
  /** The request's details after the change, when they change with it (a snapshot that came with the event). */
  details?: RequestDetails;
}

export interface TransitionMeta {
  actor: Actor;
  source: Source;
  correlationId: string;
  inbox?: InboxMarker;
}

/** What a caller of `transition` wants done with the current state. */
export type Decide = (current: StoredRequest) => TransitionChange | 'unchanged';

export type TransitionOutcome =
  | { outcome: 'applied'; request: StoredRequest; record: Transition }
  | { outcome: 'unchanged'; request: StoredRequest }
  | { outcome: 'duplicate-message' };

export type CreateInput = CreateCollectiveInput | CreateEntityInput;

export interface Created {
  request: OnboardingRequestView;
  /** True when this is the stored first answer to the same Idempotency-Key and body. */
  replayed: boolean;
}

/**
 * A create that passed every check, not yet written. `commitCreate` writes it; in between, a request may
 * be registered elsewhere (the platform, in proxy mode), which then gives its id and details.
 */
export interface CreateDraft {
  requestType: RequestType;
  input: CreateInput;
  caller: Caller;
  correlationId: string;
  returnUrl: string | null;
  idempotency?: { key: string; payloadHash: string };
}

/** The API the functions serve: the lifecycle itself in local mode, the platform's decorator in proxy mode. */
export interface OnboardingApi {
  create(requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<Created>;
  get(requestType: RequestType, id: string, caller: Caller, correlationId?: string): Promise<OnboardingRequestView>;
  list(requestType: RequestType, caller: Caller, query: ListQuery, correlationId?: string, remainingMs?: () => number): Promise<Page<OnboardingRequestView>>;
  cancel(requestType: RequestType, id: string, caller: Caller, correlationId: string): Promise<OnboardingRequestView>;
  history(requestType: RequestType, id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }): Promise<Page<Transition>>;
}

/** The offboarding API the functions serve (contract §12): the lifecycle's, or the platform's decorator. */
export interface OffboardingApi {
  create(input: { entityId: string }, caller: Caller, correlationId: string, idempotencyKey?: string): Promise<{ request: OffboardingRequestView; replayed: boolean }>;
  get(id: string, caller: Caller): Promise<OffboardingRequestView>;
  list(caller: Caller, query: OffboardingQuery): Promise<Page<OffboardingRequestView>>;
  cancel(id: string, caller: Caller, correlationId: string): Promise<OffboardingRequestView>;
  history(id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }): Promise<Page<Transition>>;
}

const MAX_ATTEMPTS = 8;
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export function createOnboardingService(options: ServiceOptions) {
  const { store, pageTokens } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;

  /** Fields in the platform's order, whatever order the store returned them in. */
  function view(request: StoredRequest): OnboardingRequestView {
    const links = request.status === 'Pending' ? (request.consent ?? options.consentLinks(request)) : undefined;
    return {
      id: request.id,
      requestType: KINDS[request.requestType].requestType,
      status: request.status,
      created: request.created,
      updated: request.updated,
      principalId: request.principalId,
      returnUrl: request.returnUrl,
      action: links ? { type: 'Consent', redirectLink: links.redirectLink, documentationLink: links.documentationLink } : null,
      data: request.data,
      errors: request.errors,
      version: request.version,
    };
  }

  function offboardingView(request: StoredRequest): OffboardingRequestView {
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

  /** A request the caller may see: same tenant, same kind. Anything else is indistinguishable from missing. */
  function ensureOwned(request: StoredRequest | undefined, kind: RequestKind, id: string, caller: Caller) {
    if (!request || request.tenantId !== caller.tenantId || request.requestType !== kind) {
      throw new NotFoundError(`No ${KINDS[kind].noun} with id ${id}.`);
    }
    return request;
  }

  async function findOwned(kind: RequestKind, id: string, caller: Caller): Promise<StoredRequest> {
    return ensureOwned(await store.get(id), kind, id, caller);
  }

  function checkReturnUrl(returnUrl: string | null | undefined): string | null {
    if (returnUrl == null) return null;
    let url: URL;
    try {
      url = new URL(returnUrl);
    } catch {
      throw new ValidationError('returnUrl is not a valid URL.', [{ path: '/returnUrl', message: 'must be an absolute URL' }]);
    }
    const loopback = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(loopback && options.allowLoopbackHttpReturnUrl)) {
      const allowed = options.allowLoopbackHttpReturnUrl ? 'https (or http on localhost)' : 'https';
      throw new ValidationError(`returnUrl must use ${allowed}.`, [{ path: '/returnUrl', message: `must use ${allowed}` }]);
    }
    return url.href;
  }

  function snapshot(requestType: RequestType, input: CreateInput, tenantId: string): RequestData {
    const data: RequestData = { tenant: { id: tenantId } };
    if (requestType === 'Collective') {
      const collective = input as CreateCollectiveInput;
      data.collective = {
        id: collective.collectiveId ?? null,
        name: collective.name,
        owner: collective.owner ?? null,
        properties: collective.properties ?? null,
        tenantId,
        type: collective.type,
      };
    } else {
      const entity = input as CreateEntityInput;
      data.entity = {
        id: null,
        collectiveId: entity.collectiveId ?? null,
        owner: entity.owner ?? null,
        properties: entity.properties ?? null,
        tenantId,
        type: entity.type,
        information: {
          code: entity.code ?? null,
          ean: entity.ean ?? null,
          email: entity.email ?? null,
          manufacturer: entity.manufacturer,
          model: entity.model ?? null,
          reference: entity.reference ?? null,
          track: entity.track ?? null,
          type: entity.type,
          uuid: entity.uuid ?? null,
          vin: entity.vin ?? null,
        },
        reference: { manufacturer: entity.manufacturer, type: entity.type, reference: entity.reference ?? null },
      };
    }
    return data;
  }

  function record(fields: Omit<Transition, 'hash'>, owner: TrailOwner): Transition {
    return { ...fields, hash: transitionHash(fields, owner) };
  }

  /** The stored first answer for a key, if the body is the same one; another body is a 422. */
  function replayOf(held: { payloadHash: string; response: unknown }, payloadHash: string): Created {
    if (held.payloadHash !== payloadHash) {
      throw new IdempotencyKeyReusedError('This Idempotency-Key was used with a different request body.');
    }
    return { request: held.response as OnboardingRequestView, replayed: true };
  }

  /** An Idempotency-Key scoped to the caller's tenant and the request kind, with the body it came with. */
  function idempotencyOf(kind: RequestKind, caller: Caller, input: unknown, key: string | undefined) {
    // Only keyed creates compare bodies; the others do not pay for hashing one.
    return key === undefined ? undefined : {
      key: `${caller.tenantId}|${kind}|${key}`,
      payloadHash: createHash('sha256').update(canonicalJson(input)).digest('hex'),
    };
  }

  /** Every check a create makes before anything is written: the tenant and the returnUrl. */
  function prepareCreate(
    requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string,
  ): CreateDraft {
    if (input.tenantId != null && input.tenantId.toLowerCase() !== caller.tenantId) {
      throw new ForbiddenError('tenantId is not the tenant of your token.');
    }
    const returnUrl = checkReturnUrl(input.returnUrl);
    const idempotency = idempotencyOf(requestType, caller, input, idempotencyKey);
    return { requestType, input, caller, correlationId, returnUrl, ...(idempotency ? { idempotency } : {}) };
  }

  /**
   * The stored first answer when the draft's Idempotency-Key was used before (a 422 for another body).
   * Only needed before registering a request elsewhere: the create's own transaction detects a replay.
   */
  async function findReplay(draft: CreateDraft): Promise<Created | undefined> {
    if (!draft.idempotency) return undefined;
    const held = await store.findIdempotency(draft.idempotency.key);
    return held ? replayOf(held, draft.idempotency.payloadHash) : undefined;
  }

  /**
   * Writes a prepared create: the request and its first transition (`null → Pending`) in one transaction,
   * with the idempotency record when there is a key, so a key never points at a request that does not
   * exist. A concurrent create with the same key that won answers its response instead. `assigned` gives
   * the id, and the details laid over ours, of a request registered elsewhere first.
   */
  async function commitCreate(
    draft: CreateDraft, assigned?: { id: string; details?: (ours: RequestDetails) => RequestDetails },
  ): Promise<Created> {
    const { requestType, caller } = draft;
    const id = assigned?.id ?? newId();
    const at = now().toISOString();
    const identity = { id, tenantId: caller.tenantId, requestType };
    const first = record({
      version: 1,
      from: null,
      to: 'Pending',
      at,
      actor: { type: 'principal', id: caller.principalId },
      source: 'api',
      correlationId: draft.correlationId,
      previousHash: null,
    }, trailOwner(identity));
    const ours = { data: snapshot(requestType, draft.input, caller.tenantId), consent: options.consentLinks(identity) };
    const details = assigned?.details ? assigned.details(ours) : ours;
    const request: StoredRequest = {
      id,
      requestType,
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
    };
    const created = view(request);
    const inserted = await insertFirst(request, first, created, draft.idempotency);
    if (inserted === 'entity-unavailable') throw new Error('unreachable: an onboarding claims no entity');
    return inserted === 'inserted' ? { request: created, replayed: false } : inserted;
  }

  /**
   * The one way a request begins, whatever its kind: the request and its first transition in one
   * transaction, with the idempotency record when there is a key (so a key never points at a request that
   * does not exist) and the entity claim when there is one. A concurrent create with the same key that won
   * answers its response instead.
   */
  async function insertFirst<V>(
    request: StoredRequest, first: Transition, created: V, idempotency?: { key: string; payloadHash: string }, claim?: EntityClaim,
  ): Promise<'inserted' | 'entity-unavailable' | { request: V; replayed: true }> {
    const record: IdempotencyRecord | undefined = idempotency && {
      ...idempotency,
      response: created,
      expiresAt: Math.floor(now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const result = await store.insert(request, first, { ...(record ? { idempotency: record } : {}), ...(claim ? { claim } : {}) });
      if (result.outcome === 'inserted' || result.outcome === 'entity-unavailable') return result.outcome;
      if (result.outcome === 'replay') return replayOf(result.record, record!.payloadHash) as { request: V; replayed: true };
    }
    throw new ConflictError('A request with this Idempotency-Key is being created right now; retry.', 'idempotency_in_progress');
  }

  /**
   * With an Idempotency-Key, the key is written in the create's own transaction: the same key and body
   * within 24 h replays the first answer; another body is a 422. No in-progress window, no orphan keys.
   */
  async function create(
    requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string,
  ): Promise<Created> {
    return commitCreate(prepareCreate(requestType, input, caller, correlationId, idempotencyKey));
  }

  /**
   * The one place a status changes: read, decide, write the new state and its record in one
   * transaction, conditional on the state read. On a lost race it reads again and decides again.
   */
  async function transition(id: string, decide: Decide, meta: TransitionMeta): Promise<TransitionOutcome> {
    for (let attempt = 1; ; attempt++) {
      const current = await store.get(id);
      if (!current) throw new NotFoundError(`No request with id ${id}.`);
      // decide() may throw a domain error (not found for this caller, refused): nothing is written then.
      const change = decide(current);
      if (change === 'unchanged') return { outcome: 'unchanged', request: current };
      if (!canTransition(current.status, change.to, KINDS[current.requestType].machine)) {
        throw new InvalidTransitionError(`A ${current.status} request cannot become ${change.to}.`);
      }
      const at = now().toISOString();
      const entry = record({
        version: current.version + 1,
        from: current.status,
        to: change.to,
        at,
        actor: meta.actor,
        source: meta.source,
        ...(change.reason === undefined ? {} : { reason: change.reason }),
        ...(change.errors === undefined ? {} : { errors: change.errors }),
        correlationId: meta.correlationId,
        previousHash: current.lastHash,
      }, trailOwner(current));
      const next: StoredRequest = {
        ...withDetails(current, change.details),
        status: change.to,
        updated: at,
        version: entry.version,
        errors: change.errors ?? current.errors,
        lastHash: entry.hash,
      };
      const entityEffects = KINDS[current.requestType].entityEffects?.(current, next) ?? [];
      const result = await store.applyTransition(current, next, entry, { ...(meta.inbox ? { inbox: meta.inbox } : {}), entityEffects });
      if (result === 'applied') return { outcome: 'applied', request: next, record: entry };
      if (result === 'duplicate-message') return { outcome: 'duplicate-message' };
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConflictError('The request is being changed by others right now; retry.', 'concurrent_modification');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }

  function withDetails(request: StoredRequest, details: RequestDetails | undefined): StoredRequest {
    if (!details) return request;
    return { ...request, data: details.data, ...(details.consent ? { consent: details.consent } : {}) };
  }

  /**
   * New details without a status change. Not a transition (the version counts transitions, and `updated`
   * is when the status last changed, which the expiry ages go by); written only if the request is still
   * as read, so it never overwrites a newer state. A lost race keeps the newer one.
   */
  async function updateDetails(current: StoredRequest, details: RequestDetails): Promise<StoredRequest> {
    const next = withDetails(current, details);
    return (await store.updateDetails(current, next)) === 'applied' ? next : current;
  }

  /** The cancel of any kind: its machine says from where (contract §3, §12). `details`: what the request's details become with it. */
  async function cancelKind(
    kind: RequestKind, id: string, caller: Caller, correlationId: string, details?: (current: StoredRequest) => RequestDetails,
  ): Promise<StoredRequest> {
    const result = await transition(
      id,
      (current) => {
        ensureOwned(current, kind, id, caller);
        const decision = decideCancel(current.status, KINDS[kind].machine);
        if (decision === 'already-canceled') return 'unchanged';
        if (decision === 'refuse') {
          throw new InvalidTransitionError(`The request is ${current.status} and can no longer be canceled.`);
        }
        return { to: 'Canceled', reason: 'Canceled by the API caller', ...(details ? { details: details(current) } : {}) };
      },
      { actor: { type: 'principal', id: caller.principalId }, source: 'api', correlationId },
    );
    if (result.outcome === 'duplicate-message') throw new Error('unreachable: cancel carries no message id');
    return result.request;
  }

  function decodeToken(token: string | undefined, scope: string): Cursor | undefined {
    return token === undefined ? undefined : pageTokens.decode(token, scope);
  }

  function encodeToken(cursor: Cursor | undefined, scope: string): string | null {
    return cursor === undefined ? null : pageTokens.encode(cursor, scope);
  }

  /** A page of the caller's requests of one kind, newest first; a token is bound to its list. */
  async function listKind(kind: RequestKind, caller: Caller, query: ListQuery): Promise<Page<StoredRequest>> {
    const scope = ['list', caller.tenantId, kind, query.status ?? '', query.manufacturer ?? '', query.type ?? ''].join('|');
    const page = await store.listByTenant({
      tenantId: caller.tenantId,
      requestType: kind,
      ...(query.status ? { status: query.status } : {}),
      ...(query.manufacturer ? { manufacturer: query.manufacturer } : {}),
      ...(query.type ? { entityType: query.type } : {}),
      limit: pageSizeOf(query.pageSize),
      after: decodeToken(query.continuationToken, scope),
    });
    return { items: page.items, continuationToken: encodeToken(page.cursor, scope) };
  }

  /** The trail of a request of one kind, oldest first. */
  async function historyKind(
    kind: RequestKind, id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string },
  ): Promise<Page<Transition>> {
    await findOwned(kind, id, caller);
    const scope = ['history', caller.tenantId, id].join('|');
    const page = await store.history(id, pageSizeOf(query.pageSize), decodeToken(query.continuationToken, scope));
    return { items: page.items, continuationToken: encodeToken(page.cursor, scope) };
  }

  // Onboarding (contract §4) ------------------------------------------------------------------------------

  async function cancel(
    requestType: RequestType, id: string, caller: Caller, correlationId: string, details?: (current: StoredRequest) => RequestDetails,
  ): Promise<OnboardingRequestView> {
    return view(await cancelKind(requestType, id, caller, correlationId, details));
  }

  async function get(requestType: RequestType, id: string, caller: Caller): Promise<OnboardingRequestView> {
    return view(await findOwned(requestType, id, caller));
  }

  async function list(requestType: RequestType, caller: Caller, query: ListQuery): Promise<Page<OnboardingRequestView>> {
    const page = await listKind(requestType, caller, query);
    return { ...page, items: page.items.map(view) };
  }

  function history(requestType: RequestType, id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }) {
    return historyKind(requestType, id, caller, query);
  }

  // Offboarding (contract §12) ----------------------------------------------------------------------------

  /**
   * Every check an offboarding makes before anything is written: a replay of an earlier answer (then that
   * answer), the entity known to the caller's tenant and still onboarded (else 404), and no offboarding
   * open for it already (409). The create's own transaction claims the entity, so racing creates make one.
   */
  async function prepareOffboarding(
    input: { entityId: string }, caller: Caller, correlationId: string, idempotencyKey?: string,
  ): Promise<{ replay: { request: OffboardingRequestView; replayed: true } } | { draft: OffboardingDraft }> {
    const entityId = input.entityId.toLowerCase();
    const idempotency = idempotencyOf('EntityOffboarding', caller, { entityId }, idempotencyKey);
    if (idempotency) {
      const held = await store.findIdempotency(idempotency.key);
      if (held) return { replay: replayOf(held, idempotency.payloadHash) as unknown as { request: OffboardingRequestView; replayed: true } };
    }
    const entity = entityAvailable(await store.findEntity(entityId), entityId, caller);
    return { draft: { entityId, collectiveId: entity.collectiveId, caller, correlationId, ...(idempotency ? { idempotency } : {}) } };
  }

  function entityAvailable(entity: EntityRecord | undefined, entityId: string, caller: Caller): EntityRecord {
    if (!entity || entity.tenantId !== caller.tenantId || entity.state !== 'Onboarded') {
      throw new NotFoundError(`No entity with id ${entityId} is onboarded for your tenant.`);
    }
    if (entity.openOffboarding) {
      throw new ConflictError(`The entity already has an open offboarding request, ${entity.openOffboarding}.`, 'offboarding_open');
    }
    return entity;
  }

  /** Writes a prepared offboarding with its first transition, claiming the entity; `assigned`: an id given elsewhere. */
  async function commitOffboarding(draft: OffboardingDraft, assigned?: { id: string }): Promise<{ request: OffboardingRequestView; replayed: boolean }> {
    const { caller } = draft;
    const id = assigned?.id ?? newId();
    const at = now().toISOString();
    const first = record({
      version: 1, from: null, to: 'Pending', at, actor: { type: 'principal', id: caller.principalId }, source: 'api',
      correlationId: draft.correlationId, previousHash: null,
    }, trailOwner({ id, tenantId: caller.tenantId, requestType: 'EntityOffboarding' }));
    const request: StoredRequest = {
      id,
      requestType: 'EntityOffboarding',
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
    };
    const created = offboardingView(request);
    const claim = { entityId: draft.entityId, tenantId: caller.tenantId, requestId: id };
    const inserted = await insertFirst(request, first, created, draft.idempotency, claim);
    if (inserted === 'inserted') return { request: created, replayed: false };
    if (inserted !== 'entity-unavailable') return inserted;
    // Another offboarding won the race for the entity (or it went away meanwhile): say which.
    entityAvailable(await store.findEntity(draft.entityId), draft.entityId, caller);
    throw new ConflictError('The entity is being offboarded by another request right now.', 'offboarding_open');
  }

  async function createOffboarding(input: { entityId: string }, caller: Caller, correlationId: string, idempotencyKey?: string) {
    const prepared = await prepareOffboarding(input, caller, correlationId, idempotencyKey);
    return 'replay' in prepared ? prepared.replay : commitOffboarding(prepared.draft);
  }

  const offboarding = {
    prepare: prepareOffboarding,
    commit: commitOffboarding,
    create: createOffboarding,
    get: async (id: string, caller: Caller) => offboardingView(await findOwned('EntityOffboarding', id, caller)),
    list: async (caller: Caller, query: OffboardingQuery) => {
      const page = await listKind('EntityOffboarding', caller, query);
      return { ...page, items: page.items.map(offboardingView) };
    },
    cancel: async (id: string, caller: Caller, correlationId: string) => offboardingView(await cancelKind('EntityOffboarding', id, caller, correlationId)),
    history: (id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string }) => historyKind('EntityOffboarding', id, caller, query),
    view: offboardingView,
  };

  return { create, prepareCreate, findReplay, commitCreate, get, list, cancel, history, transition, updateDetails, view, offboarding };
}

export interface OffboardingDraft {
  entityId: string;
  collectiveId: string | null;
  caller: Caller;
  correlationId: string;
  idempotency?: { key: string; payloadHash: string };
}

export type OnboardingService = ReturnType<typeof createOnboardingService>;

export const DEFAULT_PAGE_SIZE = 25;

export function pageSizeOf(value: string | undefined): number {
  return value === undefined ? DEFAULT_PAGE_SIZE : Number(value);
}
