import { createHash, randomUUID } from 'node:crypto';
import {
  ConflictError, ForbiddenError, IdempotencyKeyReusedError, InvalidTransitionError, NotFoundError, ValidationError,
} from './errors.ts';
import { canonicalJson, transitionHash } from './hash-chain.ts';
import type { CreateCollectiveInput, CreateEntityInput, ListQuery } from './schemas.ts';
import { canTransition, decideCancel } from './status-machine.ts';
import type { Cursor, InboxMarker, OnboardingStore, PageTokens } from './store.ts';
import type {
  Actor, Caller, OnboardingRequest, Page, RequestData, RequestError, RequestType, Source, Status, Transition,
} from './types.ts';

export interface ServiceOptions {
  store: OnboardingStore;
  pageTokens: PageTokens;
  /** `{id}` is replaced by the request id. */
  consentUrl: string;
  documentationUrl: string;
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

export interface TransitionChange {
  to: Status;
  errors?: RequestError[];
  reason?: string;
  /** Merged into `data.entity` (a Succeeded event may carry the created entity). */
  entity?: Record<string, unknown>;
  /** Proxy mode: the snapshot and consent links as the platform now has them, replacing ours. */
  mirror?: Mirror;
}

/** What proxy mode keeps of the platform's answer besides the status (lib/onboarding/proxy.ts). */
export interface Mirror {
  data: RequestData;
  platformAction?: OnboardingRequest['platformAction'];
}

export interface TransitionMeta {
  actor: Actor;
  source: Source;
  correlationId: string;
  inbox?: InboxMarker;
}

/** What a caller of `transition` wants done with the current state. */
export type Decide = (current: OnboardingRequest) => TransitionChange | 'unchanged';

export type TransitionOutcome =
  | { outcome: 'applied'; request: OnboardingRequest; record: Transition }
  | { outcome: 'unchanged'; request: OnboardingRequest }
  | { outcome: 'duplicate-message' };

export type CreateInput = CreateCollectiveInput | CreateEntityInput;

const MAX_ATTEMPTS = 8;
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export function createOnboardingService(options: ServiceOptions) {
  const { store, pageTokens } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;

  /** Fields in the platform's order, whatever order the store returned them in. */
  function view(request: OnboardingRequest): OnboardingRequestView {
    const action = request.status === 'Pending'
      ? {
          type: 'Consent' as const,
          redirectLink: request.platformAction?.redirectLink ?? options.consentUrl.replaceAll('{id}', request.id),
          documentationLink: request.platformAction?.documentationLink ?? options.documentationUrl,
        }
      : null;
    return {
      id: request.id,
      requestType: request.requestType,
      status: request.status,
      created: request.created,
      updated: request.updated,
      principalId: request.principalId,
      returnUrl: request.returnUrl,
      action,
      data: request.data,
      errors: request.errors,
      version: request.version,
    };
  }

  /** A request the caller may see: same tenant, same type. Anything else is indistinguishable from missing. */
  function ensureOwned(request: OnboardingRequest | undefined, requestType: RequestType, id: string, caller: Caller) {
    if (!request || request.tenantId !== caller.tenantId || request.requestType !== requestType) {
      throw new NotFoundError(`No ${requestType.toLowerCase()} onboarding request with id ${id}.`);
    }
    return request;
  }

  async function findOwned(requestType: RequestType, id: string, caller: Caller): Promise<OnboardingRequest> {
    return ensureOwned(await store.get(id), requestType, id, caller);
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

  /** Proxy mode: what the platform answered, kept in our copy (its snapshot replaces ours, its consent links ours). */
  function withMirror(request: OnboardingRequest, mirror: Mirror | undefined): OnboardingRequest {
    if (!mirror) return request;
    return { ...request, data: mirror.data, ...(mirror.platformAction ? { platformAction: mirror.platformAction } : {}) };
  }

  function record(fields: Omit<Transition, 'hash'>): Transition {
    return { ...fields, hash: transitionHash(fields) };
  }

  /** The stored first answer for a key, if the body is the same one; another body is a 422. */
  function replayOf(record: { payloadHash: string; response: unknown }, payloadHash: string) {
    if (record.payloadHash !== payloadHash) {
      throw new IdempotencyKeyReusedError('This Idempotency-Key was used with a different request body.');
    }
    return { request: record.response as OnboardingRequestView, replayed: true };
  }

  /**
   * With an Idempotency-Key, the key is written in the create's own transaction: the same key and body
   * within 24 h replays the first answer; another body is a 422. No in-progress window, no orphan keys.
   * `onPlatform`, in proxy mode, creates the request on the platform (after every local check and after an
   * idempotent replay had its chance) and returns the platform's id and what to keep of its answer.
   */
  async function create(
    requestType: RequestType, input: CreateInput, caller: Caller, correlationId: string, idempotencyKey?: string,
    onPlatform?: () => Promise<{ id: string; mirror: (request: OnboardingRequest) => Mirror }>,
  ): Promise<{ request: OnboardingRequestView; replayed: boolean }> {
    if (input.tenantId != null && input.tenantId.toLowerCase() !== caller.tenantId) {
      throw new ForbiddenError('tenantId is not the tenant of your token.');
    }
    const returnUrl = checkReturnUrl(input.returnUrl);
    const scopedKey = `${caller.tenantId}|${requestType}|${idempotencyKey}`;
    // Only keyed creates compare bodies; the others do not pay for hashing one.
    const payloadHash = idempotencyKey === undefined ? '' : createHash('sha256').update(canonicalJson(input)).digest('hex');
    if (idempotencyKey !== undefined && onPlatform) {
      const held = await store.findIdempotency(scopedKey);
      if (held) return replayOf(held, payloadHash);
    }
    const platform = onPlatform ? await onPlatform() : undefined;
    const id = platform?.id ?? newId();
    const at = now().toISOString();
    const first = record({
      version: 1,
      from: null,
      to: 'Pending',
      at,
      actor: { type: 'principal', id: caller.principalId },
      source: 'api',
      correlationId,
      previousHash: null,
    });
    const ours: OnboardingRequest = {
      id,
      requestType,
      status: 'Pending',
      created: at,
      updated: at,
      principalId: caller.principalId,
      tenantId: caller.tenantId,
      returnUrl,
      data: snapshot(requestType, input, caller.tenantId),
      errors: [],
      version: 1,
      lastHash: first.hash,
    };
    const request = withMirror(ours, platform?.mirror(ours));
    const created = view(request);
    if (idempotencyKey === undefined) {
      await store.insert(request, first);
      return { request: created, replayed: false };
    }
    const idempotency = {
      key: scopedKey,
      payloadHash,
      response: created,
      expiresAt: Math.floor(now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const result = await store.insert(request, first, idempotency);
      if (result.outcome === 'inserted') return { request: created, replayed: false };
      if (result.outcome === 'replay') return replayOf(result.record, payloadHash);
    }
    throw new ConflictError('A request with this Idempotency-Key is being created right now; retry.', 'idempotency_in_progress');
  }

  /**
   * The one place a status changes: read, decide, write the new state and its record in one
   * transaction, conditional on the state read. On a lost race it reads again and decides again.
   */
  async function transition(id: string, decide: Decide, meta: TransitionMeta): Promise<TransitionOutcome> {
    for (let attempt = 1; ; attempt++) {
      const current = await store.get(id);
      if (!current) throw new NotFoundError(`No onboarding request with id ${id}.`);
      // decide() may throw a domain error (not found for this caller, refused): nothing is written then.
      const change = decide(current);
      if (change === 'unchanged') return { outcome: 'unchanged', request: current };
      if (!canTransition(current.status, change.to)) {
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
      });
      const next = withMirror({
        ...current,
        status: change.to,
        updated: at,
        version: entry.version,
        errors: change.errors ?? current.errors,
        data: change.entity ? { ...current.data, entity: { ...current.data.entity, ...change.entity } } : current.data,
        lastHash: entry.hash,
      }, change.mirror);
      const result = await store.applyTransition(current, next, entry, meta.inbox);
      if (result === 'applied') return { outcome: 'applied', request: next, record: entry };
      if (result === 'duplicate-message') return { outcome: 'duplicate-message' };
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConflictError('The request is being changed by others right now; retry.', 'concurrent_modification');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }

  /**
   * Proxy mode: the platform's snapshot changed but not the status. Not a transition (the version counts
   * transitions, and `updated` is when the status last changed, which the expiry ages go by); written only
   * if the request is still as read, so it never overwrites a newer state. A lost race keeps the newer one.
   */
  async function refreshMirror(current: OnboardingRequest, mirror: Mirror): Promise<OnboardingRequest> {
    const next = withMirror(current, mirror);
    return (await store.replaceMirror(current, next)) === 'applied' ? next : current;
  }

  /** `mirror`, in proxy mode: the platform's answer to its own cancel, kept with ours. */
  async function cancel(
    requestType: RequestType, id: string, caller: Caller, correlationId: string, mirror?: (current: OnboardingRequest) => Mirror,
  ) {
    const result = await transition(
      id,
      (current) => {
        ensureOwned(current, requestType, id, caller);
        const decision = decideCancel(current.status);
        if (decision === 'already-canceled') return 'unchanged';
        if (decision === 'refuse') {
          throw new InvalidTransitionError(`The request is ${current.status} and can no longer be canceled.`);
        }
        return { to: 'Canceled', reason: 'Canceled by the API caller', ...(mirror ? { mirror: mirror(current) } : {}) };
      },
      { actor: { type: 'principal', id: caller.principalId }, source: 'api', correlationId },
    );
    if (result.outcome === 'duplicate-message') throw new Error('unreachable: cancel carries no message id');
    return view(result.request);
  }

  async function get(requestType: RequestType, id: string, caller: Caller) {
    return view(await findOwned(requestType, id, caller));
  }

  function decodeToken(token: string | undefined, scope: string): Cursor | undefined {
    return token === undefined ? undefined : pageTokens.decode(token, scope);
  }

  function encodeToken(cursor: Cursor | undefined, scope: string): string | null {
    return cursor === undefined ? null : pageTokens.encode(cursor, scope);
  }

  async function list(requestType: RequestType, caller: Caller, query: ListQuery): Promise<Page<OnboardingRequestView>> {
    const scope = ['list', caller.tenantId, requestType, query.status ?? '', query.manufacturer ?? '', query.type ?? ''].join('|');
    const page = await store.listByTenant({
      tenantId: caller.tenantId,
      requestType,
      ...(query.status ? { status: query.status } : {}),
      ...(query.manufacturer ? { manufacturer: query.manufacturer } : {}),
      ...(query.type ? { entityType: query.type } : {}),
      limit: pageSizeOf(query.pageSize),
      after: decodeToken(query.continuationToken, scope),
    });
    return { items: page.items.map(view), continuationToken: encodeToken(page.cursor, scope) };
  }

  async function history(
    requestType: RequestType, id: string, caller: Caller, query: { pageSize?: string; continuationToken?: string },
  ): Promise<Page<Transition>> {
    await findOwned(requestType, id, caller);
    const scope = ['history', caller.tenantId, id].join('|');
    const page = await store.history(id, pageSizeOf(query.pageSize), decodeToken(query.continuationToken, scope));
    return { items: page.items, continuationToken: encodeToken(page.cursor, scope) };
  }

  return { create, get, list, cancel, history, transition, refreshMirror, view };
}

export type OnboardingService = ReturnType<typeof createOnboardingService>;

export const DEFAULT_PAGE_SIZE = 25;

export function pageSizeOf(value: string | undefined): number {
  return value === undefined ? DEFAULT_PAGE_SIZE : Number(value);
}
