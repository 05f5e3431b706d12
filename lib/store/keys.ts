import { createHash } from 'node:crypto';
import { OPEN_STATUSES } from '../lifecycle/status-machine.ts';
import type { StoredRequest } from '../lifecycle/types.ts';

/**
 * The single-table layout: every key and index attribute is built here and nowhere else.
 *
 * | item        | pk                | sk                       | indexes                                   |
 * |-------------|-------------------|--------------------------|-------------------------------------------|
 * | request     | REQUEST#<id>      | REQUEST                  | byTenant, byTenantStatus, openByAge (open), allRequests |
 * | transition  | REQUEST#<id>      | TRANSITION#<version:10>  |                                           |
 * | webhook msg | WEBHOOK#<request id>#<msg id> | WEBHOOK      | (TTL on expiresAt)                        |
 * | idempotency | IDEMPOTENCY#<sha> | IDEMPOTENCY              | (TTL on expiresAt)                        |
 * | entity      | ENTITY#<entity id> | ENTITY                  | (the registry: whose, open offboarding)   |
 * | session     | SESSION#<id>      | SESSION                  | byTenant (TENANT#<t>#GuidedSession), openByAge (Session#<expiresAt>, until marked expired) |
 * | endpoint    | ENDPOINT#<id>     | ENDPOINT                 | byTenant (TENANT#<t>#WebhookEndpoint)     |
 * | delivery    | ENDPOINT#<id>     | DELIVERY#<event id>      | dueDeliveries (while pending); TTL        |
 * | attempt     | ENDPOINT#<id>     | ATTEMPT#<at>#<event id>#<n> | (TTL on expiresAt)                     |
 * | endpoint count | ENDPOINT#TENANT#<tenant id> | ENDPOINT_COUNT | (a tenant's endpoints: `count`, the limit's guard) |
 */
export const INDEX = {
  byTenant: 'byTenant',
  byTenantStatus: 'byTenantStatus',
  openByAge: 'openByAge',
  allRequests: 'allRequests',
  dueDeliveries: 'dueDeliveries',
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

/** Outbound events: an endpoint, and under it its deliveries and their attempts. */
export const endpointKey = (id: string) => ({ pk: `ENDPOINT#${id}`, sk: 'ENDPOINT' });
export const deliveryKey = (endpointId: string, eventId: string) => ({ pk: `ENDPOINT#${endpointId}`, sk: `DELIVERY#${eventId}` });
export const ATTEMPT_SK_PREFIX = 'ATTEMPT#';
export const attemptKey = (endpointId: string, at: string, eventId: string, attempt: number) => ({
  pk: `ENDPOINT#${endpointId}`,
  sk: `${ATTEMPT_SK_PREFIX}${at}#${eventId}#${String(attempt).padStart(3, '0')}`,
});
/**
 * How many endpoints a tenant has (`count`), kept in the transactions that create and delete them. Under
 * `ENDPOINT#` like every other item the endpoints API writes (the `writeEvents` statement's leading key);
 * no endpoint id is `TENANT#…` (they are UUIDs), and its sort key is none of an endpoint's items'.
 */
export const endpointCountKey = (tenantId: string) => ({ pk: `ENDPOINT#TENANT#${tenantId}`, sk: 'ENDPOINT_COUNT' });
export const endpointIndexAttributes = (endpoint: { tenantId: string; created: string; id: string }) => ({
  gsi1pk: tenantPk(endpoint.tenantId, 'WebhookEndpoint'),
  gsi1sk: `${endpoint.created}#${endpoint.id}`,
});
/** Pending deliveries spread over this many partitions of the due index. */
export const DUE_SHARDS = 4;
export const dueShardPk = (shard: number) => `DUE#${shard}`;
/** A pending delivery's place in the due index: under its shard, by when it is due. */
export function dueIndexAttributes(endpointId: string, eventId: string, nextAttemptAt: string) {
  const shard = createHash('sha256').update(`${endpointId}#${eventId}`).digest()[0]! % DUE_SHARDS;
  return { dueShard: dueShardPk(shard), dueKey: `${nextAttemptAt}#${endpointId}#${eventId}` };
}

/** A tenant's items of one kind (a request kind's name, `GuidedSession`, `WebhookEndpoint`). */
export const tenantPk = (tenantId: string, kind: string) => `TENANT#${tenantId}#${kind}`;
export const tenantStatusPk = (tenantId: string, kind: string, status: string) => `TENANT#${tenantId}#${kind}#${status}`;
export const openShardPk = (shard: number) => `OPEN#${shard}`;
export const allShardPk = (shard: number) => `ALL#${shard}`;

export function openShardOf(id: string): number {
  return createHash('sha256').update(id).digest()[0]! % OPEN_SHARDS;
}

/** The index attributes a request carries in its current status; open-index ones only while open. */
export function requestIndexAttributes(request: StoredRequest): Record<string, string> {
  const newestFirst = `${request.created}#${request.id}`;
  const attributes: Record<string, string> = {
    gsi1pk: tenantPk(request.tenantId, request.kind),
    gsi1sk: newestFirst,
    gsi2pk: tenantStatusPk(request.tenantId, request.kind, request.status),
    gsi2sk: newestFirst,
    allShard: allShardPk(openShardOf(request.id)),
    allKey: newestFirst,
  };
  if (OPEN_STATUSES.includes(request.status)) {
    attributes.openShard = openShardPk(openShardOf(request.id));
    attributes.openKey = `${request.status}#${request.updated}#${request.id}`;
  }
  return attributes;
}

export const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'openShard',
  'openKey',
  'allShard',
  'allKey',
  'dueShard',
  'dueKey',
  'entity',
] as const;

/** An item without its key and index attributes: what the domain sees of it. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const copy = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}
