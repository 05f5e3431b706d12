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
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event for one endpoint, with where its retries stand. */
export interface Delivery {
  endpointId: string;
  eventId: string;
  eventType: EventType;
  /** The event as sent, byte for byte on every attempt (only the signature's timestamp changes). */
  payload: string;
  created: string;
  status: DeliveryStatus;
  /** Attempts made so far, scheduled and manual. */
  attempts: number;
  /** When the next scheduled attempt is due, while pending. */
  nextAttemptAt: string | null;
}

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
  getEndpoint(id: string): Promise<WebhookEndpoint | undefined>;
  /** Writes `next` if the stored endpoint is still at `current.version`. */
  replaceEndpoint(current: WebhookEndpoint, next: WebhookEndpoint): Promise<'applied' | 'conflict'>;
  /** Deletes the endpoint and uncounts it in the same write; `absent` when it was already gone (counted off once). */
  deleteEndpoint(endpoint: WebhookEndpoint): Promise<'deleted' | 'absent'>;
  /** A tenant's endpoints, newest first. */
  listEndpoints(tenantId: string, limit: number, after?: Cursor): Promise<StoredPage<WebhookEndpoint>>;
  /** Creates the delivery unless it exists (a redelivered stream record, a second reader): `exists` then. */
  insertDelivery(delivery: Delivery): Promise<'created' | 'exists'>;
  getDelivery(endpointId: string, eventId: string): Promise<Delivery | undefined>;
  /**
   * Takes the delivery for one attempt until `leaseUntil`, so no two attempts of it run at once; with
   * `dueOnly`, only while it is pending and due by `now`. Undefined when it is not to be had.
   */
  claimDelivery(endpointId: string, eventId: string, claim: { now: string; leaseUntil: string; dueOnly: boolean }): Promise<Delivery | undefined>;
  /** The attempt and the delivery's new state together, releasing the claim. */
  recordAttempt(next: Delivery, attempt: DeliveryAttempt): Promise<void>;
  /** An endpoint's attempts, newest first. */
  listAttempts(endpointId: string, limit: number, after?: Cursor): Promise<StoredPage<DeliveryAttempt>>;
  /** Pending deliveries due by `before`, oldest first, a page of one shard of the due index. */
  listDue(shard: number, before: string, limit: number, after?: Cursor): Promise<StoredPage<DueDelivery>>;
  readonly dueShards: number;
}
