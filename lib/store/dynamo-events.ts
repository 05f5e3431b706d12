import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Delivery, DeliveryAttempt, DueDelivery, EventStore, WebhookEndpoint } from '../events/store.ts';
import type { Cursor, StoredPage } from '../lifecycle/store.ts';
import { run, translateStoreError } from './errors.ts';
import {
  ATTEMPT_SK_PREFIX,
  attemptKey,
  DUE_SHARDS,
  deliveryKey,
  dueIndexAttributes,
  dueShardPk,
  endpointCountKey,
  endpointIndexAttributes,
  endpointKey,
  INDEX,
  stripKeys,
  tenantPk,
} from './keys.ts';

/** Deliveries and attempts are kept this long after they are written (TTL). */
const KEEP_SECONDS = 30 * 24 * 60 * 60;

const expiresAt = (from: string) => Math.floor(Date.parse(from) / 1000) + KEEP_SECONDS;

function endpointItem(endpoint: WebhookEndpoint) {
  return { ...endpoint, ...endpointKey(endpoint.id), ...endpointIndexAttributes(endpoint), entity: 'WebhookEndpoint' };
}

function endpointFrom(item: Record<string, unknown>): WebhookEndpoint {
  return stripKeys<WebhookEndpoint>(item);
}

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

/**
 * A tenant's endpoint count moves by `by` (+1 on a create, -1 on a delete). `count` is a reserved word.
 * No counter item is the same as a count of 0 (ADD starts from 0, and the create's condition lets it
 * through): the service had no deployed endpoints before the count was kept, so there is none to migrate.
 */
function countUpdate(tableName: string, tenantId: string, by: 1 | -1, max?: number) {
  return {
    Update: {
      TableName: tableName,
      Key: endpointCountKey(tenantId),
      UpdateExpression: 'SET #entity = :entity, tenantId = :tenant ADD #count :by',
      ...(max === undefined ? {} : { ConditionExpression: 'attribute_not_exists(#count) OR #count < :max' }),
      ExpressionAttributeNames: { '#entity': 'entity', '#count': 'count' },
      ExpressionAttributeValues: { ':entity': 'EndpointCount', ':tenant': tenantId, ':by': by, ...(max === undefined ? {} : { ':max': max }) },
    },
  };
}

/** Tries of a write on a tenant's endpoint count that concurrent ones canceled (TransactionConflict). */
const COUNT_TRIES = 8;

/** Each item's cancellation reason, in the transaction's order, when DynamoDB canceled it. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** A delivery item; only a pending one with a due time is in the due index. */
function deliveryItem(delivery: Delivery) {
  return {
    ...delivery,
    ...deliveryKey(delivery.endpointId, delivery.eventId),
    ...(delivery.status === 'pending' && delivery.nextAttemptAt ? dueIndexAttributes(delivery.endpointId, delivery.eventId, delivery.nextAttemptAt) : {}),
    entity: 'Delivery',
    expiresAt: expiresAt(delivery.created),
  };
}

function deliveryFrom(item: Record<string, unknown>): Delivery {
  const { leaseUntil: _lease, expiresAt: _expires, ...rest } = stripKeys<Delivery & { leaseUntil?: string; expiresAt?: number }>(item);
  return rest;
}

function attemptFrom(item: Record<string, unknown>): DeliveryAttempt {
  const stored = item as unknown as DeliveryAttempt;
  return {
    eventId: stored.eventId,
    eventType: stored.eventType,
    attempt: stored.attempt,
    at: stored.at,
    statusCode: stored.statusCode ?? null,
    error: stored.error ?? null,
    durationMs: stored.durationMs,
    nextAttemptAt: stored.nextAttemptAt ?? null,
    manual: stored.manual,
  };
}

/**
 * The event items of the table (lib/store/keys.ts has their keys): webhook endpoints, deliveries with the
 * sparse due index their retries are found through (no Scan), and attempts. Apart from ./dynamo-store.ts
 * so that only the functions that deliver events carry it.
 */
export function createDynamoEventStore(client: DynamoDBDocumentClient, tableName: string): EventStore {
  async function page<T>(
    operation: string,
    input: QueryCommandInput,
    limit: number,
    keyOf: (item: Record<string, unknown>) => Cursor,
    decode: (item: Record<string, unknown>) => T,
  ): Promise<StoredPage<T>> {
    const result = await run(operation, () => client.send(new QueryCommand({ ...input, Limit: limit + 1 })));
    const items = result.Items ?? [];
    // One item more than asked for proves there is a next page; it starts after the last one returned.
    if (items.length > limit) {
      const returned = items.slice(0, limit);
      return { items: returned.map(decode), cursor: keyOf(returned.at(-1)!) };
    }
    return { items: items.map(decode), cursor: undefined };
  }

  /**
   * A transaction on a tenant's endpoint count: creates and deletes of one tenant's endpoints all write its
   * count item, so concurrent ones cancel each other (TransactionConflict) and are tried again after a
   * random pause. `refused` when the condition of the item at `decisive` failed (that is the answer);
   * any other failed condition is a store error, as is a conflict still there after the last try (a 503).
   */
  async function counted(operation: string, items: TransactItems, decisive: number): Promise<'written' | 'refused'> {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'written';
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes?.[decisive] === 'ConditionalCheckFailed') return 'refused';
        if (!codes?.includes('TransactionConflict') || codes.includes('ConditionalCheckFailed') || attempt === COUNT_TRIES) {
          throw translateStoreError(operation, error);
        }
        await sleep(Math.random() * 10 * 2 ** attempt);
      }
    }
  }

  return {
    dueShards: DUE_SHARDS,

    async insertEndpoint(endpoint, max) {
      // Refused by the count's condition: the tenant has `max`. The endpoint's own (its new id taken, which a
      // random UUID never is) is a store error, as it always was.
      const written = await counted(
        'endpoint-insert',
        [
          countUpdate(tableName, endpoint.tenantId, 1, max),
          { Put: { TableName: tableName, Item: endpointItem(endpoint), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
        0,
      );
      return written === 'written' ? 'created' : 'limit';
    },

    async getEndpoint(id) {
      const result = await run('endpoint-get', () => client.send(new GetCommand({ TableName: tableName, Key: endpointKey(id), ConsistentRead: true })));
      return result.Item ? endpointFrom(result.Item) : undefined;
    },

    async replaceEndpoint(current, next) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: endpointItem(next),
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': current.version },
          }),
        );
        return 'applied';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'conflict';
        throw translateStoreError('endpoint-replace', error);
      }
    },

    async deleteEndpoint(endpoint) {
      // Only the delete that finds the endpoint uncounts it: a second one (concurrent, repeated) changes nothing.
      const written = await counted(
        'endpoint-delete',
        [
          countUpdate(tableName, endpoint.tenantId, -1),
          { Delete: { TableName: tableName, Key: endpointKey(endpoint.id), ConditionExpression: 'attribute_exists(pk)' } },
        ],
        1,
      );
      return written === 'written' ? 'deleted' : 'absent';
    },

    listEndpoints(tenantId, limit, after) {
      return page(
        'endpoint-list',
        {
          TableName: tableName,
          IndexName: INDEX.byTenant,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId, 'WebhookEndpoint') },
          ScanIndexForward: false,
          ExclusiveStartKey: after,
        },
        limit,
        (item) => ({ pk: item.pk, sk: item.sk, gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk }),
        endpointFrom,
      );
    },

    async insertDelivery(delivery) {
      try {
        await client.send(new PutCommand({ TableName: tableName, Item: deliveryItem(delivery), ConditionExpression: 'attribute_not_exists(pk)' }));
        return 'created';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'exists';
        throw translateStoreError('delivery-insert', error);
      }
    },

    async getDelivery(endpointId, eventId) {
      const result = await run('delivery-get', () =>
        client.send(new GetCommand({ TableName: tableName, Key: deliveryKey(endpointId, eventId), ConsistentRead: true })),
      );
      return result.Item ? deliveryFrom(result.Item) : undefined;
    },

    async claimDelivery(endpointId, eventId, claim) {
      const due = claim.dueOnly ? ' AND #status = :pending AND nextAttemptAt <= :now' : '';
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: deliveryKey(endpointId, eventId),
            UpdateExpression: 'SET leaseUntil = :lease',
            ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)${due}`,
            ExpressionAttributeValues: { ':lease': claim.leaseUntil, ':now': claim.now, ...(claim.dueOnly ? { ':pending': 'pending' } : {}) },
            ...(claim.dueOnly ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
            ReturnValues: 'ALL_NEW',
          }),
        );
        return result.Attributes ? deliveryFrom(result.Attributes) : undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw translateStoreError('delivery-claim', error);
      }
    },

    async recordAttempt(next, attempt) {
      await run('delivery-attempt', () =>
        client.send(
          new TransactWriteCommand({
            TransactItems: [
              // The claim ends with the write: the new item carries no lease.
              { Put: { TableName: tableName, Item: deliveryItem(next), ConditionExpression: 'attribute_exists(pk)' } },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...attempt,
                    ...attemptKey(next.endpointId, attempt.at, attempt.eventId, attempt.attempt),
                    entity: 'DeliveryAttempt',
                    expiresAt: expiresAt(attempt.at),
                  },
                },
              },
            ],
          }),
        ),
      );
    },

    listAttempts(endpointId, limit, after) {
      return page(
        'attempt-list',
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': endpointKey(endpointId).pk, ':prefix': ATTEMPT_SK_PREFIX },
          ScanIndexForward: false,
          ExclusiveStartKey: after,
        },
        limit,
        (item) => ({ pk: item.pk, sk: item.sk }),
        attemptFrom,
      );
    },

    listDue(shard, before, limit, after) {
      return page(
        'delivery-due',
        {
          TableName: tableName,
          IndexName: INDEX.dueDeliveries,
          KeyConditionExpression: 'dueShard = :shard AND dueKey <= :upTo',
          // '~' sorts after every character of the ids that follow the time.
          ExpressionAttributeValues: { ':shard': dueShardPk(shard), ':upTo': `${before}#~` },
          ScanIndexForward: true,
          ExclusiveStartKey: after,
        },
        limit,
        (item) => ({ pk: item.pk, sk: item.sk, dueShard: item.dueShard, dueKey: item.dueKey }),
        (item): DueDelivery => ({ endpointId: item.endpointId as string, eventId: item.eventId as string, nextAttemptAt: item.nextAttemptAt as string }),
      );
    },
  };
}
