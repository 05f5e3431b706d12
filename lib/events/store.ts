import type { Cursor, StoredPage } from '../lifecycle/store.ts';
import type { EventType, SubscribableEventType } from './event.ts';

/** An integrator's webhook endpoint, as stored. */
export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  /** The event types it receives. */
  eventTypes: SubscribableEventType[];
  disabled: boolean;
  /** Why it was disabled, when the service did it (5 days without a successful delivery). */
  disabledReason: string | null;
  created: string;
  updated: string;
  /** Counts changes, so a change is written only over the state it was decided on. */
  version: number;
  /** The signing secret (`whsec_…`); after a rotation the one it replaced keeps signing until its expiry. */
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  /** Since when every delivery failed (null after a success); 5 days of that disables the endpoint. */
  failingSince: string | null;
  /** Failed attempts since the last success (absent: none). */
  consecutiveFailures?: number;
  /** Until when scheduled attempts wait, after failures in a row (absent or null: they go). */
  circuitOpenUntil?: string | null;
  /** True once an attempt succeeded with no failure since: until then one attempt at a time (docs/events.md). */
  proven?: boolean;
  /**
   * The turn of an endpoint not proven: until when one attempt at it may take, whose it is, and the events
   * that came meanwhile, for that attempt to send once it succeeds (docs/events.md).
   */
  busyUntil?: string | null;
  busyOwner?: string;
  busyWaiting?: string[];
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event for one endpoint, with where its retries stand. The event's payload is kept once, beside it. */
export interface Delivery {
  endpointId: string;
  eventId: string;
  eventType: EventType;
  created: string;
  status: DeliveryStatus;
  /** Attempts made so far, scheduled and manual. */
  attempts: number;
  /** When the next scheduled attempt is due, while pending after a failure. */
  nextAttemptAt: string | null;
}

/** Who may attempt a delivery until when: whoever made or claimed it, so no two attempts run at once. */
export interface Lease {
  owner: string;
  until: string;
}

/** A delivery as stored, with its lease while one is held. */
export type StoredDelivery = Delivery & { leaseOwner?: string; leaseUntil?: string };

/** One attempt at a delivery, as `GET …/deliveries` lists it. */
export interface DeliveryAttempt {
  eventId: string;
  eventType: EventType;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** When the next attempt is due after this one; null when none is (succeeded, failed for good, or manual). */
  nextAttemptAt: string | null;
  /** A retry or test asked for through the API, rather than one of the schedule. */
  manual: boolean;
}

/** A delivery due in the due index: enough to claim it. */
export interface DueDelivery {
  endpointId: string;
  eventId: string;
  nextAttemptAt: string;
}

/** The persistence of endpoints and deliveries; lib/store/dynamo-events.ts implements it on the table. */
export interface EventStore {
  /**
   * Creates the endpoint if its tenant has fewer than `max`, counting it in the same write, so concurrent
   * creates cannot pass the limit together: `limit` when the tenant already has `max`.
   */
  insertEndpoint(endpoint: WebhookEndpoint, max: number): Promise<'created' | 'limit'>;
  /**
   * Marks the endpoint busy until `until` for `owner` (its turn), unless another holds it at `now`.
   * `waitOnTurn` leaves events for the owner of a turn still held at `now` (false: it has ended);
   * `releaseBusy` ends the owner's turn and answers the events left for it. None moves the endpoint's
   * version; any write of the endpoint ends a turn.
   */
  markBusy(id: string, mark: { owner: string; until: string; now: string }): Promise<boolean>;
  waitOnTurn(id: string, mark: { owner: string; eventIds: readonly string[]; now: string }): Promise<boolean>;
  releaseBusy(id: string, owner: string): Promise<string[]>;
  /** `eventually`: a read that may miss a change of the last second (half the cost), for a delivery's attempt. */
  getEndpoint(id: string, options?: { eventually?: boolean }): Promise<WebhookEndpoint | undefined>;
  /**
   * Writes `next` if the stored endpoint is still at `current.version` (and, `unlessWaiting`, no event
   * waits on its turn: that attempt takes them first).
   */
  replaceEndpoint(current: WebhookEndpoint, next: WebhookEndpoint, options?: { unlessWaiting?: boolean }): Promise<'applied' | 'conflict'>;
  /** Deletes the endpoint and uncounts it in the same write; `absent` when it was already gone (counted off once). */
  deleteEndpoint(endpoint: WebhookEndpoint): Promise<'deleted' | 'absent'>;
  /** A tenant's endpoints, newest first. */
  listEndpoints(tenantId: string, limit: number, after?: Cursor): Promise<StoredPage<WebhookEndpoint>>;
  /** The event as sent, byte for byte on every attempt: stored once, for its retries. */
  putPayload(eventId: string, payload: string, created: string): Promise<void>;
  getPayload(eventId: string): Promise<string | undefined>;
  /**
   * Creates the delivery, held by `lease` for its first attempt, unless a reader of the event made it
   * before: then that one, as stored.
   */
  insertDelivery(delivery: Delivery, lease: Lease | undefined): Promise<{ created: true } | { created: false; existing: StoredDelivery }>;
  getDelivery(eventId: string, endpointId: string): Promise<StoredDelivery | undefined>;
  /**
   * Takes the delivery for one attempt under `lease`, if no other lease holds it at `now`: `due` only while
   * a retry is due by `now`, `first` only while no attempt was made, `any` whatever its state.
   */
  claimDelivery(eventId: string, endpointId: string, claim: { now: string; lease: Lease; only: 'due' | 'first' | 'any' }): Promise<StoredDelivery | undefined>;
  /** A delivery not attempted now, due at `until` (in the due index), if `lease` still holds it (the write ends it). */
  deferDelivery(eventId: string, endpointId: string, until: string, lease: Lease): Promise<void>;
  /** The delivery's new state, if `lease` still holds it (the write ends it), then the attempt. */
  recordAttempt(next: Delivery, attempt: DeliveryAttempt, lease: Lease): Promise<'recorded' | 'lost'>;
  /** An endpoint's attempts, newest first. */
  listAttempts(endpointId: string, limit: number, after?: Cursor): Promise<StoredPage<DeliveryAttempt>>;
  /** Pending deliveries due by `before`, oldest first, a page of one shard of the due index. */
  listDue(shard: number, before: string, limit: number, after?: Cursor): Promise<StoredPage<DueDelivery>>;
  readonly dueShards: number;
}

/** What the webhook endpoints API reads and writes: endpoints, their attempts and one delivery's state. */
export type EndpointStore = Pick<
  EventStore,
  'insertEndpoint' | 'getEndpoint' | 'replaceEndpoint' | 'deleteEndpoint' | 'listEndpoints' | 'listAttempts' | 'getDelivery'
>;
