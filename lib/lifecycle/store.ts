import type { SealedTrail, Seals } from './proofs.ts';
import type { EntityEffect, EntityRecord, GuidedSession, Status, StoredRequest, Transition } from './types.ts';

/** Where a page stopped; only the store understands it, the page-token codec only carries it. */
export type Cursor = Record<string, unknown>;

export interface StoredPage<T> {
  items: T[];
  cursor: Cursor | undefined;
}

export interface TenantListQuery {
  tenantId: string;
  /** The kind's name. */
  kind: string;
  status?: Status;
  /** A kind's own filter (entity onboarding's manufacturer and type), applied within the tenant's index. */
  matches?: (request: StoredRequest) => boolean;
  limit: number;
  after?: Cursor;
}

/** An entry of the open-requests index: enough to decide whether to look closer. */
export interface OpenRequestRef {
  id: string;
  kind: string;
  status: Status;
  updated: string;
}

export interface StaleQuery {
  status: Status;
  /** ISO time: entries whose status is older than this. */
  before: string;
  shard: number;
  limit: number;
  after?: Cursor;
}

/** Written in the same transaction as a transition: the webhook message that caused it. */
export interface InboxMarker {
  messageId: string;
  /** SHA-256 of the message's bytes: a redelivery carries the same, another message under the same id does not. */
  payloadHash: string;
  expiresAt: number;
}

/** Another request's record written in a transition's transaction (a registry change another tenant caused), if that request is still `current`. */
export interface RecordedElsewhere {
  current: StoredRequest;
  next: StoredRequest;
  record: Transition;
  seals: Seals;
}

export type ApplyResult = 'applied' | 'conflict' | 'duplicate-message';

/** Written with a create that carried an Idempotency-Key: what a replay must answer, and what it must match. */
export interface IdempotencyRecord {
  /** Already scoped to tenant, request type and the caller's key. */
  key: string;
  payloadHash: string;
  response: unknown;
  expiresAt: number;
}

export type InsertResult =
  | { outcome: 'inserted' }
  | { outcome: 'replay'; record: Pick<IdempotencyRecord, 'payloadHash' | 'response'> }
  | { outcome: 'conflict' }
  /** The entity to claim is unknown to the tenant, offboarded, or has an offboarding open already. */
  | { outcome: 'entity-unavailable' }
  /** The guided session yielded its request already, or expired meanwhile. */
  | { outcome: 'session-used' };

/** Written with the create of a guided session's request: the session yields this one, or nothing at all. */
export interface SessionClaim {
  sessionId: string;
  requestId: string;
  /** ISO time: the session must not have expired by then. */
  now: string;
}

/** Written with the create of an offboarding: the entity's one open offboarding, or nothing at all. */
export interface EntityClaim {
  entityId: string;
  tenantId: string;
  requestId: string;
}

/** The persistence the requests of every kind need. lib/store implements it on DynamoDB; nothing here knows keys. */
export interface RequestStore {
  /**
   * Creation is the first transition: the request and its record, together or not at all, and with an
   * idempotency record in the same transaction, so a key can never point at a request that does not exist.
   * `replay` when an unexpired record holds the key already (nothing written).
   */
  insert(
    request: StoredRequest,
    first: Transition,
    options?: { idempotency?: IdempotencyRecord; claim?: EntityClaim; session?: SessionClaim },
  ): Promise<InsertResult>;
  /** `eventually`: a read that may miss the last second's change (half the cost), for a write conditional on what it saw. */
  get(id: string, options?: { eventually?: boolean }): Promise<StoredRequest | undefined>;
  /** The unexpired idempotency record of a scoped key, if any. */
  findIdempotency(key: string): Promise<Pick<IdempotencyRecord, 'payloadHash' | 'response'> | undefined>;
  /**
   * Writes `next` and its record if the stored request is still at `current.version` and `current.status`.
   * `conflict` means somebody else moved it first; nothing was written.
   */
  applyTransition(
    current: StoredRequest,
    next: StoredRequest,
    record: Transition,
    options?: { inbox?: InboxMarker; entityEffects?: readonly EntityEffect[]; seals?: Seals; alsoRecorded?: readonly RecordedElsewhere[] },
  ): Promise<ApplyResult>;
  /** What the entity registry knows of an entity, if anything. */
  findEntity(entityId: string): Promise<EntityRecord | undefined>;
  /**
   * Writes `next` (same status and version, other details) if the stored request is still `current`; no
   * transition record, since nothing transitioned. `conflict` when it changed meanwhile.
   */
  updateDetails(current: StoredRequest, next: StoredRequest): Promise<'applied' | 'conflict'>;
  listByTenant(query: TenantListQuery): Promise<StoredPage<StoredRequest>>;
  /** Open requests in `status` since before `before`, oldest first, from one shard of the sparse open index. */
  listStale(query: StaleQuery): Promise<StoredPage<OpenRequestRef>>;
  /** Every request id, one shard of the allRequests index at a time (the audit's walk; no Scan). */
  listRequestIds(shard: number, limit: number, after?: Cursor): Promise<StoredPage<string>>;
  /** How many shards listStale and listRequestIds spread over. */
  readonly openShards: number;
  /** The message applied before under this id to this request (while it is remembered), if any. */
  findWebhookMessage(requestId: string, messageId: string): Promise<Pick<InboxMarker, 'payloadHash'> | undefined>;
  history(id: string, limit: number, after?: Cursor): Promise<StoredPage<Transition>>;
  /**
   * The request, its whole trail and the proofs its records carry (an evidence bundle's reads); nothing
   * past the first page when `accept` refuses the request (another tenant's).
   */
  sealedTrail(id: string, accept?: (request: StoredRequest) => boolean): Promise<SealedTrail>;
  /** The request and the consent receipt of its end user's decision, if one was made, in one read. */
  decisionReceipt(id: string): Promise<{ request: StoredRequest | undefined; receipt: string | undefined }>;
  /** The request and the first page of its trail, in one read. */
  trail(id: string, limit: number): Promise<{ request: StoredRequest | undefined; page: StoredPage<Transition> }>;
}

/**
 * Guided onboarding sessions, apart from the requests' store: only the functions that serve
 * sessions carry them. A session is claimed by its request in the request's create (`insert`, `session`).
 */
export interface SessionStore {
  insertSession(session: GuidedSession): Promise<void>;
  getSession(id: string): Promise<GuidedSession | undefined>;
  /** A tenant's sessions, newest first. */
  listSessions(tenantId: string, limit: number, after?: Cursor): Promise<StoredPage<GuidedSession>>;
  /** Sessions past `before` that the cleanup has not marked yet, from one shard of the open index. */
  listSessionsToExpire(shard: number, before: string, limit: number): Promise<GuidedSession[]>;
  markSessionExpired(session: GuidedSession): Promise<void>;
  /** How many shards listSessionsToExpire spreads over. */
  readonly openShards: number;
}

/** Signs and checks continuation tokens, bound to the list they belong to. */
export interface PageTokens {
  encode(cursor: Cursor, scope: string): string;
  /** Throws a ValidationError for a token that was altered or issued for another list. */
  decode(token: string, scope: string): Cursor;
}
