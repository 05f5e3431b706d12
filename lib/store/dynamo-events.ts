import type { Delivery, DeliveryAttempt, DueDelivery, EndpointStore, EventStore, Lease, StoredDelivery, WebhookEndpoint } from '../events/store.ts';
import { run, translateStoreError } from './errors.ts';
import {
  ATTEMPT_SHARDS,
  attemptIndexAttributes,
  attemptKey,
  attemptShardPk,
  DUE_SHARDS,
  deliveryKey,
  dueIndexAttributes,
  dueShardPk,
  endpointCountKey,
  endpointIndexAttributes,
  endpointKey,
  eventPayloadKey,
  INDEX,
  stripKeys,
  tenantPk,
} from './keys.ts';
import { queryPageOf } from './query-page.ts';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteCommand,
  UpdateCommand,
  unmarshall,
} from './sdk.ts';

/** Deliveries and attempts are kept this long after they are written (TTL). */
const KEEP_SECONDS = 30 * 24 * 60 * 60;

/** Loaded on the first payload, not at every cold start: most functions that carry this store write none. */
const zlib = () => process.getBuiltinModule('node:zlib');

const expiresAt = (from: string) => Math.floor(Date.parse(from) / 1000) + KEEP_SECONDS;

/** An endpoint item; a busy mark, and what waits on it, are not carried over (a change of the endpoint ends them). */
function endpointItem(endpoint: WebhookEndpoint) {
  const { busyUntil: _until, busyOwner: _owner, busyWaiting: _waiting, ...fields } = endpoint;
  return { ...fields, ...endpointKey(endpoint.id), ...endpointIndexAttributes(endpoint), entity: 'WebhookEndpoint' };
}

function endpointFrom(item: Record<string, unknown>): WebhookEndpoint {
  const endpoint = stripKeys<WebhookEndpoint>(item);
  // A string set reads as a Set.
  return item.busyWaiting instanceof Set ? { ...endpoint, busyWaiting: [...(item.busyWaiting as Set<string>)] } : endpoint;
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

/** A timer, not node:timers/promises: that module is one more for every cold start to load. */
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Each item's cancellation reason, in the transaction's order, when DynamoDB canceled it. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** A delivery item: small (the payload is the event's, stored once); in the due index only while a retry is due. */
function deliveryItem(delivery: Delivery, lease?: Lease) {
  return {
    ...delivery,
    ...deliveryKey(delivery.eventId, delivery.endpointId),
    ...(delivery.status === 'pending' && delivery.nextAttemptAt ? dueIndexAttributes(delivery.endpointId, delivery.eventId, delivery.nextAttemptAt) : {}),
    ...(lease ? { leaseOwner: lease.owner, leaseUntil: lease.until } : {}),
    entity: 'Delivery',
    expiresAt: expiresAt(delivery.created),
  };
}

function deliveryFrom(item: Record<string, unknown>): StoredDelivery {
  const { expiresAt: _expires, ...rest } = stripKeys<StoredDelivery & { expiresAt?: number }>(item);
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

/** One delivery's state, read strongly. */
async function readDelivery(client: DynamoDBDocumentClient, tableName: string, eventId: string, endpointId: string) {
  const result = await run('delivery-get', () =>
    client.send(new GetCommand({ TableName: tableName, Key: deliveryKey(eventId, endpointId), ConsistentRead: true })),
  );
  return result.Item ? deliveryFrom(result.Item) : undefined;
}

/**
 * The endpoints API's part of the event items: a tenant's endpoints and their count, the attempts made and
 * one delivery's state. Apart from the deliveries' machinery, so that the endpoints API's functions that do
 * not send carry none of it.
 */
export function createDynamoEndpointStore(client: DynamoDBDocumentClient, tableName: string): EndpointStore {
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
        await pause(Math.random() * 10 * 2 ** attempt);
      }
    }
  }

  return {
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
    async getEndpoint(id, options) {
      const result = await run('endpoint-get', () =>
        client.send(new GetCommand({ TableName: tableName, Key: endpointKey(id), ConsistentRead: !options?.eventually })),
      );
      return result.Item ? endpointFrom(result.Item) : undefined;
    },
    async replaceEndpoint(current, next, options) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: endpointItem(next),
            ConditionExpression: options?.unlessWaiting ? '#version = :version AND attribute_not_exists(busyWaiting)' : '#version = :version',
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
      return queryPageOf(
        client,
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
    async listAttempts(endpointId, limit, after) {
      // Every shard, newest first from where the last page ended; merged, the newest `limit` of them.
      const before = typeof after?.before === 'string' ? after.before : undefined;
      const shards = await Promise.all(
        Array.from({ length: ATTEMPT_SHARDS }, (_, shard) =>
          run('attempt-list', () =>
            client.send(
              new QueryCommand({
                TableName: tableName,
                IndexName: INDEX.attemptsByEndpoint,
                KeyConditionExpression: before ? 'attemptShard = :shard AND attemptKey < :before' : 'attemptShard = :shard',
                ExpressionAttributeValues: { ':shard': attemptShardPk(endpointId, shard), ...(before ? { ':before': before } : {}) },
                ScanIndexForward: false,
                Limit: limit + 1,
              }),
            ),
          ),
        ),
      );
      const items = shards.flatMap((result) => result.Items ?? []).sort((a, b) => String(b.attemptKey).localeCompare(String(a.attemptKey)));
      const returned = items.slice(0, limit);
      return { items: returned.map(attemptFrom), cursor: items.length > limit ? { before: returned.at(-1)!.attemptKey } : undefined };
    },
    getDelivery: (eventId, endpointId) => readDelivery(client, tableName, eventId, endpointId),
  };
}

/**
 * The event items of the table (lib/store/keys.ts has their keys): webhook endpoints, deliveries with the
 * sparse due index their retries are found through (no Scan), and attempts. Apart from ./dynamo-store.ts
 * so that only the functions that deliver events carry it.
 */
export function createDynamoEventStore(client: DynamoDBDocumentClient, tableName: string): EventStore {
  /** A conditional update: true when it was made, false when its condition did not hold. */
  async function updatedIf(operation: string, update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>): Promise<boolean> {
    try {
      await client.send(new UpdateCommand({ TableName: tableName, ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw translateStoreError(operation, error);
    }
  }

  return {
    ...createDynamoEndpointStore(client, tableName),
    dueShards: DUE_SHARDS,

    markBusy(id, mark) {
      return updatedIf('endpoint-busy', {
        Key: endpointKey(id),
        UpdateExpression: 'SET busyUntil = :until, busyOwner = :owner',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(busyUntil) OR busyUntil < :now)',
        ExpressionAttributeValues: { ':until': mark.until, ':owner': mark.owner, ':now': mark.now },
      });
    },

    async releaseBusy(id, owner) {
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: endpointKey(id),
            UpdateExpression: 'REMOVE busyUntil, busyOwner, busyWaiting',
            ConditionExpression: 'busyOwner = :owner',
            ExpressionAttributeValues: { ':owner': owner },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return [...((result.Attributes?.busyWaiting as Set<string> | undefined) ?? [])];
      } catch (error) {
        // Ended already (a change of the endpoint rewrites it without the mark).
        if (!(error instanceof ConditionalCheckFailedException)) throw translateStoreError('endpoint-busy', error);
        return [];
      }
    },

    waitOnTurn(id, mark) {
      return updatedIf('endpoint-busy', {
        Key: endpointKey(id),
        UpdateExpression: 'ADD busyWaiting :events',
        ConditionExpression: 'busyOwner = :owner AND busyUntil > :now',
        ExpressionAttributeValues: { ':events': new Set(mark.eventIds), ':owner': mark.owner, ':now': mark.now },
      });
    },

    async putPayload(eventId, payload, created) {
      // Deflated: an event's JSON is about 1 KB, and a write unit is 1 KB; deflated it is half that.
      const deflated = zlib().deflateRawSync(payload);
      await run('payload-put', () =>
        client.send(
          new PutCommand({ TableName: tableName, Item: { ...eventPayloadKey(eventId), entity: 'EventPayload', deflated, expiresAt: expiresAt(created) } }),
        ),
      );
    },

    async getPayload(eventId) {
      const result = await run('payload-get', () => client.send(new GetCommand({ TableName: tableName, Key: eventPayloadKey(eventId), ConsistentRead: true })));
      const item = result.Item;
      if (!item) return undefined;
      // `payload`: kept as text before payloads were deflated, until those expire.
      return item.deflated instanceof Uint8Array ? zlib().inflateRawSync(item.deflated).toString('utf8') : (item.payload as string | undefined);
    },

    async insertDelivery(delivery, lease) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: deliveryItem(delivery, lease),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { created: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw translateStoreError('delivery-insert', error);
        // The stored delivery comes with the refusal (DynamoDB Local before 2.5 leaves it out: read it then).
        const old = (error as { Item?: Record<string, AttributeValue> }).Item;
        const existing = old ? deliveryFrom(unmarshall(old)) : await readDelivery(client, tableName, delivery.eventId, delivery.endpointId);
        if (!existing) throw translateStoreError('delivery-insert', error);
        return { created: false, existing };
      }
    },

    async claimDelivery(eventId, endpointId, claim) {
      const conditions = ['attribute_exists(pk)', '(attribute_not_exists(leaseUntil) OR leaseUntil < :now)'];
      const values: Record<string, unknown> = { ':owner': claim.lease.owner, ':lease': claim.lease.until, ':now': claim.now };
      if (claim.only === 'due') {
        conditions.push('#status = :pending', 'nextAttemptAt <= :now');
        values[':pending'] = 'pending';
      }
      if (claim.only === 'first') {
        conditions.push('#status = :pending', 'attempts = :none');
        Object.assign(values, { ':pending': 'pending', ':none': 0 });
      }
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: deliveryKey(eventId, endpointId),
            UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :lease',
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeValues: values,
            ...(claim.only === 'any' ? {} : { ExpressionAttributeNames: { '#status': 'status' } }),
            ReturnValues: 'ALL_NEW',
          }),
        );
        return result.Attributes ? deliveryFrom(result.Attributes) : undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw translateStoreError('delivery-claim', error);
      }
    },

    async deferDelivery(eventId, endpointId, until, lease) {
      const due = dueIndexAttributes(endpointId, eventId, until);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: deliveryKey(eventId, endpointId),
            UpdateExpression: 'SET nextAttemptAt = :next, dueShard = :shard, dueKey = :due REMOVE leaseOwner, leaseUntil',
            ConditionExpression: 'leaseOwner = :owner',
            ExpressionAttributeValues: { ':next': until, ':shard': due.dueShard, ':due': due.dueKey, ':owner': lease.owner },
          }),
        );
      } catch (error) {
        // Taken over meanwhile: whoever has it now attempts it.
        if (!(error instanceof ConditionalCheckFailedException)) throw translateStoreError('delivery-defer', error);
      }
    },

    async recordAttempt(next, attempt, lease) {
      // The delivery's new state first, only while the lease is still ours (the write ends it); then the
      // attempt, which is only ever written once its delivery's state is. Not one transaction: it would
      // double both writes, and a crash between them loses a line of the history, never a retry.
      const due = next.status === 'pending' && next.nextAttemptAt ? dueIndexAttributes(next.endpointId, next.eventId, next.nextAttemptAt) : undefined;
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: deliveryKey(next.eventId, next.endpointId),
            UpdateExpression: due
              ? 'SET #status = :status, attempts = :attempts, nextAttemptAt = :next, dueShard = :shard, dueKey = :due REMOVE leaseOwner, leaseUntil'
              : 'SET #status = :status, attempts = :attempts, nextAttemptAt = :next REMOVE leaseOwner, leaseUntil, dueShard, dueKey',
            ConditionExpression: 'leaseOwner = :owner',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':status': next.status,
              ':attempts': next.attempts,
              ':next': next.nextAttemptAt,
              ':owner': lease.owner,
              ...(due ? { ':shard': due.dueShard, ':due': due.dueKey } : {}),
            },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'lost';
        throw translateStoreError('delivery-attempt', error);
      }
      await run('attempt-put', () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...attempt,
              ...attemptKey(attempt.eventId, next.endpointId, attempt.attempt),
              ...attemptIndexAttributes(next.endpointId, attempt.eventId, attempt.at, attempt.attempt),
              entity: 'DeliveryAttempt',
              expiresAt: expiresAt(attempt.at),
            },
          }),
        ),
      );
      return 'recorded';
    },

    listDue(shard, before, limit, after) {
      return queryPageOf(
        client,
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
