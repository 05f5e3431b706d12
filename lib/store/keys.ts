import { createHash } from 'node:crypto';
import type { StoredRequest } from '../lifecycle/types.ts';
import { OPEN_STATUSES } from '../lifecycle/status-machine.ts';

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
 */
export const INDEX = {
  byTenant: 'byTenant',
  byTenantStatus: 'byTenantStatus',
  openByAge: 'openByAge',
  allRequests: 'allRequests',
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

export const tenantPk = (tenantId: string, requestType: string) => `TENANT#${tenantId}#${requestType}`;
export const tenantStatusPk = (tenantId: string, requestType: string, status: string) =>
  `TENANT#${tenantId}#${requestType}#${status}`;
export const openShardPk = (shard: number) => `OPEN#${shard}`;
export const allShardPk = (shard: number) => `ALL#${shard}`;

export function openShardOf(id: string): number {
  return createHash('sha256').update(id).digest()[0]! % OPEN_SHARDS;
}

/** The index attributes a request carries in its current status; open-index ones only while open. */
export function requestIndexAttributes(request: StoredRequest): Record<string, string> {
  const newestFirst = `${request.created}#${request.id}`;
  const attributes: Record<string, string> = {
    gsi1pk: tenantPk(request.tenantId, request.requestType),
    gsi1sk: newestFirst,
    gsi2pk: tenantStatusPk(request.tenantId, request.requestType, request.status),
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
  'pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'openShard', 'openKey', 'allShard', 'allKey', 'entity',
] as const;
