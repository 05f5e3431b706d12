import { ConflictError, IdempotencyKeyReusedError, InvalidTransitionError, NotFoundError } from './errors.ts';
import { canonicalJson, type TrailOwner, transitionHash } from './hash-chain.ts';
import { type AnyKind, type KindRegistry, type ListFilters, trailOwner } from './kind.ts';
import type { Notary, ReceiptSigner, SealedTrail, Seals } from './proofs.ts';
import { canTransition, decideCancel, isTerminal } from './status-machine.ts';
import type { Cursor, EntityClaim, IdempotencyRecord, InboxMarker, PageTokens, RecordedElsewhere, RequestStore, SessionClaim, StoredPage } from './store.ts';
import {
  type Actor,
  type Caller,
  type EntityEffect,
  type Page,
  type RequestDetails,
  type RequestError,
  type Source,
  type Status,
  type StoredRequest,
  summaryOf,
  type Transition,
  type TransitionEvidence,
} from './types.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHash, randomUUID } = process.getBuiltinModule('node:crypto');

/**
 * The lifecycle core every kind of request runs on (docs/architecture.md): the one transition path, the
 * one way a request begins, and the cancel, list and history every kind has. It knows the kinds it is
 * given (a function builds it with only the kinds it serves) through their modules' `Kind`; what a kind's
 * API looks like is ./requests.ts, the same for every kind.
 */

export interface LifecycleOptions {
  store: RequestStore;
  pageTokens: PageTokens;
  /** The kinds this function serves; a request of any other kind is unknown to it. */
  kinds: KindRegistry;
  /** Signs the head of a trail at each consent decision and terminal status (./proofs.ts). */
  notary: Notary;
  now?: () => Date;
  newId?: () => string;
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
  /** An end user's decision: how it reached us (hashed with the record), and its consent receipt. */
  decision?: { evidence: TransitionEvidence; receipt: ReceiptSigner };
}

/** What a caller of `transition` wants done with the current state. */
export type Decide = (current: StoredRequest) => TransitionChange | 'unchanged';

export type TransitionOutcome =
  | { outcome: 'applied'; request: StoredRequest; record: Transition }
  | { outcome: 'unchanged'; request: StoredRequest }
  | { outcome: 'duplicate-message' };

/** An Idempotency-Key scoped to a tenant and kind, with the hash of the body it came with. */
export interface Idempotency {
  key: string;
  payloadHash: string;
}

const MAX_ATTEMPTS = 8;
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_PAGE_SIZE = 25;

export function pageSizeOf(value: string | undefined): number {
  return value === undefined ? DEFAULT_PAGE_SIZE : Number(value);
}

export function createLifecycle(options: LifecycleOptions) {
  const { store, pageTokens, kinds } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;

  function record(fields: Omit<Transition, 'hash'>, owner: TrailOwner): Transition {
    return { ...fields, hash: transitionHash(fields, owner) };
  }

  /** The kind of a stored request, if this function serves it. */
  function kindOf(request: Pick<StoredRequest, 'id' | 'kind'>) {
    const kind = kinds.get(request.kind);
    if (!kind) throw new NotFoundError(`No request with id ${request.id}.`);
    return kind;
  }

  /**
   * The first record of a new request's trail (`null → Pending`), bound to the request: by its principal
   * through the API, unless `origin` says otherwise (an end user's guided session).
   */
  function firstRecord(
    request: Pick<StoredRequest, 'id' | 'tenantId' | 'kind'>,
    caller: Caller,
    at: string,
    correlationId: string,
    origin?: { actor: Actor; source: Source },
  ) {
    return record(
      {
        version: 1,
        from: null,
        to: 'Pending',
        at,
        actor: origin?.actor ?? { type: 'principal', id: caller.principalId },
        source: origin?.source ?? 'api',
        correlationId,
        previousHash: null,
      },
      trailOwner(request, kindOf(request)),
    );
  }

  /** The stored first answer for a key, if the body is the same one; another body is a 422. */
  function replayOf<V>(held: { payloadHash: string; response: unknown }, payloadHash: string): { request: V; replayed: true } {
    if (held.payloadHash !== payloadHash) {
      throw new IdempotencyKeyReusedError('This Idempotency-Key was used with a different request body.');
    }
    return { request: held.response as V, replayed: true };
  }

  /** An Idempotency-Key scoped to the caller's tenant and the request kind, with the body it came with. */
  function idempotencyOf(kind: AnyKind, caller: Caller, input: unknown, key: string | undefined): Idempotency | undefined {
    // Only keyed creates compare bodies; the others do not pay for hashing one.
    return key === undefined
      ? undefined
      : {
          key: `${caller.tenantId}|${kind.name}|${key}`,
          payloadHash: createHash('sha256').update(canonicalJson(input)).digest('hex'),
        };
  }

  /** The stored first answer when the key was used before (a 422 for another body); undefined without one. */
  async function findReplay<V>(idempotency: Idempotency | undefined): Promise<{ request: V; replayed: true } | undefined> {
    if (!idempotency) return undefined;
    const held = await store.findIdempotency(idempotency.key);
    return held ? replayOf<V>(held, idempotency.payloadHash) : undefined;
  }

  /**
   * The one way a request begins, whatever its kind: the request and its first transition in one
   * transaction, with the idempotency record when there is a key (so a key never points at a request that
   * does not exist), and the entity or guided session it claims when it claims one. A concurrent create
   * with the same key that won answers its response instead.
   */
  async function insertFirst<V>(
    request: StoredRequest,
    first: Transition,
    created: V,
    options: { idempotency?: Idempotency | undefined; claim?: EntityClaim; session?: SessionClaim | undefined } = {},
  ): Promise<'inserted' | 'entity-unavailable' | 'session-used' | { request: V; replayed: true }> {
    const { idempotency, claim, session } = options;
    const held: IdempotencyRecord | undefined = idempotency && {
      ...idempotency,
      response: created,
      expiresAt: Math.floor(now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const result = await store.insert(request, first, {
        ...(held ? { idempotency: held } : {}),
        ...(claim ? { claim } : {}),
        ...(session ? { session } : {}),
      });
      if (result.outcome === 'inserted' || result.outcome === 'entity-unavailable' || result.outcome === 'session-used') return result.outcome;
      if (result.outcome === 'replay') return replayOf<V>(result.record, held!.payloadHash);
    }
    throw new ConflictError('A request with this Idempotency-Key is being created right now; retry.', 'idempotency_in_progress');
  }

  /**
   * The one place a status changes: read, decide, write the new state and its record in one
   * transaction, conditional on the state read, with what the change does to the entity registry. On a
   * lost race it reads again and decides again.
   */
  async function transition(id: string, decide: Decide, meta: TransitionMeta): Promise<TransitionOutcome> {
    // The first read may miss the last second's change (it costs half): a write decided on it is
    // conditional on the version it saw, and any other answer is decided again on a read that cannot.
    // A decision reads strongly at once: its receipt is signed before the write, and a lost race would
    // sign it again.
    let strong = meta.decision !== undefined;
    for (let attempt = 1; ; attempt++) {
      const current = await store.get(id, { eventually: !strong });
      let change: ReturnType<Decide>;
      let kind: AnyKind;
      try {
        if (!current) throw new NotFoundError(`No request with id ${id}.`);
        // decide() may throw a domain error (not found for this caller, refused): nothing is written then.
        change = decide(current);
        kind = kindOf(current);
        if (change !== 'unchanged' && !canTransition(current.status, change.to, kind.machine)) {
          throw new InvalidTransitionError(`A ${current.status} request cannot become ${change.to}.`);
        }
      } catch (error) {
        if (strong) throw error;
        strong = true;
        attempt--;
        continue;
      }
      if (change === 'unchanged') {
        if (strong) return { outcome: 'unchanged', request: current! };
        strong = true;
        attempt--;
        continue;
      }
      const at = now().toISOString();
      const entry = record(
        {
          version: current.version + 1,
          from: current.status,
          to: change.to,
          at,
          actor: meta.actor,
          source: meta.source,
          ...(change.reason === undefined ? {} : { reason: change.reason }),
          ...(change.errors === undefined ? {} : { errors: change.errors }),
          ...(meta.decision ? { evidence: meta.decision.evidence } : {}),
          correlationId: meta.correlationId,
          previousHash: current.lastHash,
        },
        trailOwner(current, kind),
      );
      const next: StoredRequest = {
        ...withDetails(current, change.details),
        status: change.to,
        updated: at,
        version: entry.version,
        errors: change.errors ?? current.errors,
        lastHash: entry.hash,
        lastTransition: summaryOf(entry),
      };
      const { effects: entityEffects, alsoRecorded } = await registryChanges(next, kind.entityEffects?.(current, next) ?? [], meta, at);
      const seals = await sealsOf(next, entry, kind, meta);
      const result = await store.applyTransition(current, next, entry, {
        ...(meta.inbox ? { inbox: meta.inbox } : {}),
        entityEffects,
        seals,
        alsoRecorded,
      });
      if (result === 'applied') return { outcome: 'applied', request: next, record: entry };
      if (result === 'duplicate-message') return { outcome: 'duplicate-message' };
      strong = true;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConflictError('The request is being changed by others right now; retry.', 'concurrent_modification');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }

  /**
   * The proofs a record carries, signed before the write that keeps them (so they are written with it, or
   * not at all): a decision's receipt, and a checkpoint of the trail's head at a decision or a terminal status.
   */
  async function sealsOf(next: StoredRequest, entry: Transition, kind: AnyKind | undefined, meta: Pick<TransitionMeta, 'decision'>): Promise<Seals> {
    if (!meta.decision && !isTerminal(next.status, kind?.machine)) return {};
    const [checkpoint, receipt] = await Promise.all([
      options.notary.checkpoint({ requestId: next.id, tenantId: next.tenantId, version: entry.version, headHash: entry.hash, at: entry.at }),
      meta.decision?.receipt(entry, next),
    ]);
    return { checkpoint, ...(receipt ? { receipt } : {}) };
  }

  /**
   * A change to the entity registry that takes an entity from another tenant (another tenant's onboarding
   * of it succeeded: a takeover; or an offboarding opened before it moved succeeded) is a record in that
   * tenant's trail too: on the onboarding that registered the entity there, its status unchanged, written
   * in the same transaction and only if the registry still names that tenant. The record names neither the
   * other tenant nor its request.
   */
  async function registryChanges(next: StoredRequest, effects: readonly EntityEffect[], meta: TransitionMeta, at: string) {
    const alsoRecorded: RecordedElsewhere[] = [];
    const decided: EntityEffect[] = [];
    for (const effect of effects) {
      const registered = await store.findEntity(effect.entityId);
      decided.push({ ...effect, heldBy: registered ? { tenantId: registered.tenantId, onboardingRequestId: registered.onboardingRequestId } : null });
      const takesFromAnother = 'register' in effect || effect.offboarded;
      if (!registered || registered.tenantId === next.tenantId || !takesFromAnother) continue;
      const affected = await store.get(registered.onboardingRequestId);
      if (!affected || affected.tenantId !== registered.tenantId) continue;
      const what =
        'register' in effect
          ? 'was onboarded by another tenant: it is no longer registered to yours'
          : 'was offboarded by a request opened before it moved to your tenant';
      const noted = record(
        {
          version: affected.version + 1,
          from: affected.status,
          to: affected.status,
          at,
          actor: { type: 'system', id: 'entity-registry' },
          source: meta.source,
          reason: `Entity ${effect.entityId} ${what}`,
          // Its own id: the other tenant's correlation id (its caller may choose it) is not this tenant's to see.
          correlationId: `entity-registry:${newId()}`,
          previousHash: affected.lastHash,
        },
        // The registry holds entity onboardings only: a function that does not serve that kind (an
        // offboarding's) still binds the record to its request as an Entity request's.
        trailOwner(affected, kinds.get(affected.kind) ?? { requestType: 'Entity' }),
      );
      const affectedNext: StoredRequest = { ...affected, version: noted.version, lastHash: noted.hash, lastTransition: summaryOf(noted) };
      alsoRecorded.push({ current: affected, next: affectedNext, record: noted, seals: await sealsOf(affectedNext, noted, kinds.get(affected.kind), {}) });
    }
    return { effects: decided, alsoRecorded };
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

  /** A request the caller may see: same tenant, same kind. Anything else is indistinguishable from missing. */
  function ensureOwned(request: StoredRequest | undefined, kind: AnyKind, id: string, caller: Caller) {
    if (!request || request.tenantId !== caller.tenantId || request.kind !== kind.name) {
      throw new NotFoundError(`No ${kind.noun} with id ${id}.`);
    }
    return request;
  }

  async function findOwned(kind: AnyKind, id: string, caller: Caller): Promise<StoredRequest> {
    return ensureOwned(await store.get(id), kind, id, caller);
  }

  /** The cancel of any kind: its machine says from where. `details`: what the request's details become with it. */
  async function cancel(
    kind: AnyKind,
    id: string,
    caller: Caller,
    correlationId: string,
    details?: (current: StoredRequest) => RequestDetails,
  ): Promise<StoredRequest> {
    const result = await transition(
      id,
      (current) => {
        ensureOwned(current, kind, id, caller);
        const decision = decideCancel(current.status, kind.machine);
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
  async function list<Q extends ListFilters>(kind: AnyKind, caller: Caller, query: Q): Promise<Page<StoredRequest>> {
    const filter = kind.filter?.(query);
    const scope = ['list', caller.tenantId, kind.name, query.status ?? '', filter?.scope ?? ''].join('|');
    const page = await store.listByTenant({
      tenantId: caller.tenantId,
      kind: kind.name,
      ...(query.status ? { status: query.status } : {}),
      ...(filter ? { matches: filter.matches } : {}),
      limit: pageSizeOf(query.pageSize),
      after: decodeToken(query.continuationToken, scope),
    });
    return { items: page.items, continuationToken: encodeToken(page.cursor, scope) };
  }

  /** The trail of a request of one kind, oldest first. */
  async function history(
    kind: AnyKind,
    id: string,
    caller: Caller,
    query: { pageSize?: string | undefined; continuationToken?: string | undefined },
  ): Promise<Page<Transition>> {
    // A token was issued only to whoever read the first page of this trail, with its kind: the request is
    // read, and its owner checked, with the first page, in the same query.
    const scope = ['history', kind.name, caller.tenantId, id].join('|');
    const after = decodeToken(query.continuationToken, scope);
    const limit = pageSizeOf(query.pageSize);
    let page: StoredPage<Transition>;
    if (after) page = await store.history(id, limit, after);
    else {
      const first = await store.trail(id, limit);
      ensureOwned(first.request, kind, id, caller);
      page = first.page;
    }
    return { items: page.items, continuationToken: encodeToken(page.cursor, scope) };
  }

  const owns = (kind: AnyKind, caller: Caller) => (request: StoredRequest) => request.tenantId === caller.tenantId && request.kind === kind.name;

  /** A request's whole trail with its proofs, for its evidence bundle: the caller's own only. */
  async function sealedTrail(kind: AnyKind, id: string, caller: Caller): Promise<SealedTrail & { request: StoredRequest }> {
    const trail = await store.sealedTrail(id, owns(kind, caller));
    return { ...trail, request: ensureOwned(trail.request, kind, id, caller) };
  }

  /** The consent receipt of the end user's decision on the caller's request; none yet is a 404. */
  async function decisionReceipt(kind: AnyKind, id: string, caller: Caller): Promise<string> {
    const { request, receipt } = await store.decisionReceipt(id);
    ensureOwned(request, kind, id, caller);
    if (!receipt) throw new NotFoundError(`No consent decision has been recorded for ${kind.noun} ${id}.`);
    return receipt;
  }

  return {
    store,
    now,
    newId,
    kindOf,
    firstRecord,
    idempotencyOf,
    findReplay,
    insertFirst,
    transition,
    updateDetails,
    findOwned,
    cancel,
    list,
    history,
    sealedTrail,
    decisionReceipt,
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
