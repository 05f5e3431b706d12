import { OPEN_STATUSES } from '../lifecycle/status-machine.ts';
import type { StoredRequest } from '../lifecycle/types.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHash } = process.getBuiltinModule('node:crypto');

/**
 * The single-table layout: every key and index attribute is built here and nowhere else.
 *
 * | item        | pk                | sk                       | indexes                                   |
 * |-------------|-------------------|--------------------------|-------------------------------------------|
 * | request     | REQUEST#<id>      | REQUEST                  | byTenant, openByAge (open), allRequests   |
 * | transition  | REQUEST#<id>      | TRANSITION#<version:10>  |                                           |
 * | webhook msg | WEBHOOK#<request id>#<msg id> | WEBHOOK      | (TTL on expiresAt)                        |
 * | idempotency | IDEMPOTENCY#<sha> | IDEMPOTENCY              | (TTL on expiresAt)                        |
 * | entity      | ENTITY#<entity id> | ENTITY                  | (the registry: whose, open offboarding)   |
 * | session     | SESSION#<id>      | SESSION                  | byTenant (TENANT#<t>#GuidedSession), openByAge (Session#<expiresAt>, until marked expired) |
 * | endpoint    | ENDPOINT#<id>     | ENDPOINT                 | byTenant (TENANT#<t>#WebhookEndpoint)     |
 * | endpoint count | ENDPOINT#TENANT#<tenant id> | ENDPOINT_COUNT | (a tenant's endpoints: `count`, the limit's guard) |
 * | event payload | DELIVERY#<event id> | PAYLOAD               | TTL                                       |
 * | delivery    | DELIVERY#<event id> | ENDPOINT#<endpoint id> | dueDeliveries (while a retry is due); TTL |
 * | attempt     | DELIVERY#<event id> | ATTEMPT#<endpoint id>#<n> | attemptsByEndpoint (ENDPOINT#<id>#<shard>, <at>#<event id>#<n>); TTL |
 */
export const INDEX = {
  byTenant: 'byTenant',
  openByAge: 'openByAge',
  allRequests: 'allRequests',
  dueDeliveries: 'dueDeliveries',
  attemptsByEndpoint: 'attemptsByEndpoint',
} as const;

/** Open requests spread over this many partitions of the openByAge index, so no one key takes every write. */
export const OPEN_SHARDS = 8;

export const requestKey = (id: string) => ({ pk: `REQUEST#${id}`, sk: 'REQUEST' });
export const transitionSk = (version: number) => `TRANSITION#${String(version).padStart(10, '0')}`;
export const TRANSITION_SK_PREFIX = 'TRANSITION#';
export const transitionKey = (id: string, version: number) => ({ pk: `REQUEST#${id}`, sk: transitionSk(version) });
/** A message id is one message to one request: the same id for another request is another message. */
export const webhookMessageKey = (requestId: string, messageId: string) => ({ pk: `WEBHOOK#${requestId}#${messageId}`, sk: 'WEBHOOK' });
export const entityKey = (entityId: string) => ({ pk: `ENTITY#${entityId}`, sk: 'ENTITY' });
/** Hashed: callers' keys are up to 255 arbitrary characters, and spread evenly this way. */
export const idempotencyKey = (scopedKey: string) => ({
  pk: `IDEMPOTENCY#${createHash('sha256').update(scopedKey).digest('hex')}`,
  sk: 'IDEMPOTENCY',
});

/** A guided onboarding session. */
export const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });
/** The prefix of sessions in the open index, beside the open requests' statuses (which the cleanup walks by name). */
export const SESSION_OPEN_PREFIX = 'Session#';
export function sessionIndexAttributes(session: {
  id: string;
  tenantId: string;
  created: string;
  expiresAt: string;
  markedExpired: boolean;
}): Record<string, string> {
  return {
    gsi1pk: tenantPk(session.tenantId, 'GuidedSession'),
    gsi1sk: `${session.created}#${session.id}`,
    ...(session.markedExpired ? {} : { openShard: openShardPk(openShardOf(session.id)), openKey: `${SESSION_OPEN_PREFIX}${session.expiresAt}#${session.id}` }),
  };
}

/** Outbound events: an endpoint; an event's payload, its deliveries (one per endpoint) and their attempts. */
export const endpointKey = (id: string) => ({ pk: `ENDPOINT#${id}`, sk: 'ENDPOINT' });
/**
 * Keyed by event, not by endpoint: a busy endpoint's deliveries spread over the table's partitions instead
 * of all writing one key. Under the event: its payload, once, and each endpoint's delivery and attempts.
 */
export const eventPayloadKey = (eventId: string) => ({ pk: `DELIVERY#${eventId}`, sk: 'PAYLOAD' });
export const deliveryKey = (eventId: string, endpointId: string) => ({ pk: `DELIVERY#${eventId}`, sk: `ENDPOINT#${endpointId}` });
export const attemptKey = (eventId: string, endpointId: string, attempt: number) => ({
  pk: `DELIVERY#${eventId}`,
  sk: `ATTEMPT#${endpointId}#${String(attempt).padStart(3, '0')}`,
});
/** An endpoint's attempts spread over this many partitions of their index, all read for a page. */
export const ATTEMPT_SHARDS = 4;
export const attemptShardPk = (endpointId: string, shard: number) => `ENDPOINT#${endpointId}#${shard}`;
/** An attempt's place in the endpoint's list: a shard by its event, then newest first by time. */
export function attemptIndexAttributes(endpointId: string, eventId: string, at: string, attempt: number) {
  return {
    attemptShard: attemptShardPk(endpointId, shardOf(eventId, ATTEMPT_SHARDS)),
    attemptKey: `${at}#${eventId}#${String(attempt).padStart(3, '0')}`,
  };
}
export const endpointIndexAttributes = (endpoint: { tenantId: string; created: string; id: string }) => ({
  gsi1pk: tenantPk(endpoint.tenantId, 'WebhookEndpoint'),
  gsi1sk: `${endpoint.created}#${endpoint.id}`,
});
/**
 * How many endpoints a tenant has (`count`), kept in the transactions that create and delete them. Under
 * `ENDPOINT#` like every other item the endpoints API writes (the `writeEvents` statement's leading key);
 * no endpoint id is `TENANT#…` (they are UUIDs), and its sort key is none of an endpoint's items'.
 */
export const endpointCountKey = (tenantId: string) => ({ pk: `ENDPOINT#TENANT#${tenantId}`, sk: 'ENDPOINT_COUNT' });
/** Deliveries waiting for a retry spread over this many partitions of the due index. */
export const DUE_SHARDS = 16;
export const dueShardPk = (shard: number) => `DUE#${shard}`;
/** A delivery's place in the due index while a retry is scheduled: under its shard, by when it is due. */
export function dueIndexAttributes(endpointId: string, eventId: string, nextAttemptAt: string) {
  return { dueShard: dueShardPk(shardOf(`${eventId}#${endpointId}`, DUE_SHARDS)), dueKey: `${nextAttemptAt}#${eventId}#${endpointId}` };
}

function shardOf(value: string, shards: number): number {
  return createHash('sha256').update(value).digest()[0]! % shards;
}

/** A tenant's items of one kind (a request kind's name, `GuidedSession`, `WebhookEndpoint`). */
export const tenantPk = (tenantId: string, kind: string) => `TENANT#${tenantId}#${kind}`;
export const openShardPk = (shard: number) => `OPEN#${shard}`;
export const allShardPk = (shard: number) => `ALL#${shard}`;

export function openShardOf(id: string): number {
  return createHash('sha256').update(id).digest()[0]! % OPEN_SHARDS;
}

/**
 * The index attributes a request carries in its current status; open-index ones only while open. One sort
 * key, newest first, serves the tenant's list and the walk over every request.
 */
export function requestIndexAttributes(request: StoredRequest): Record<string, string> {
  const attributes: Record<string, string> = {
    gsi1pk: tenantPk(request.tenantId, request.kind),
    gsi1sk: `${request.created}#${request.id}`,
    allShard: allShardPk(openShardOf(request.id)),
  };
  if (OPEN_STATUSES.includes(request.status)) {
    attributes.openShard = openShardPk(openShardOf(request.id));
    attributes.openKey = `${request.status}#${request.updated}#${request.id}`;
  }
  return attributes;
}

/** What a request item keeps only in its keys: its id, its tenant and when it was created. */
export function requestFieldsFromKeys(item: Record<string, unknown>, kind: string) {
  const tenantKey = String(item.gsi1pk ?? '');
  return {
    id: String(item.pk).slice('REQUEST#'.length),
    tenantId: tenantKey.slice('TENANT#'.length, tenantKey.length - `#${kind}`.length),
    created: String(item.gsi1sk ?? '').split('#')[0]!,
  };
}

export const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'openShard',
  'openKey',
  'allShard',
  'dueShard',
  'dueKey',
  'attemptShard',
  'attemptKey',
  'entity',
] as const;

/** An item without its key and index attributes: what the domain sees of it. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const copy = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}
