import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ApplyResult, EntityClaim, InsertResult, OpenRequestRef, RequestStore, TenantListQuery } from '../lifecycle/store.ts';
import type { EntityEffect, EntityRecord, Status, StoredRequest, Transition } from '../lifecycle/types.ts';
import { run, translateStoreError } from './errors.ts';
import {
  allShardPk,
  entityKey,
  INDEX,
  idempotencyKey,
  OPEN_SHARDS,
  openShardPk,
  requestIndexAttributes,
  requestKey,
  sessionKey,
  stripKeys,
  TRANSITION_SK_PREFIX,
  tenantPk,
  tenantStatusPk,
  transitionKey,
  webhookMessageKey,
} from './keys.ts';
import { type QueryPageArgs, queryPageOf } from './query-page.ts';

/** A filtered list reads at most this many index pages before it returns what it found, with a cursor. */
const MAX_FILTERED_QUERIES = 5;

/** The conditions of every write, each written once. */
const IS_NEW = { ConditionExpression: 'attribute_not_exists(pk)' } as const;
/** The stored request is still the one the change was decided on. */
const UNCHANGED_SINCE = (current: StoredRequest) => ({
  ConditionExpression: '#version = :version AND #status = :status',
  ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
  ExpressionAttributeValues: { ':version': current.version, ':status': current.status },
});
/** TTL deletes lazily: a record past its expiry no longer holds its key. */
const IS_NEW_OR_EXPIRED = (nowSeconds: number) => ({
  ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
  ExpressionAttributeValues: { ':now': nowSeconds },
});
/** The entity is the caller's, still onboarded, and has no offboarding open. */
const CLAIMABLE = (claim: EntityClaim) => ({
  ConditionExpression: 'tenantId = :tenant AND #state = :onboarded AND attribute_not_exists(openOffboarding)',
  ExpressionAttributeNames: { '#state': 'state' },
  ExpressionAttributeValues: { ':tenant': claim.tenantId, ':onboarded': 'Onboarded' },
});

/** A guided session that has not yielded its request, and has not expired by `now`. */
const SESSION_UNUSED = (now: string) => ({
  ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(onboardingRequestId) AND expiresAt > :now AND markedExpired = :false',
  ExpressionAttributeValues: { ':now': now, ':false': false } as Record<string, unknown>,
});

/** The open requests of one shard in `status` that entered it before `before` (the sparse open index). */
const OPEN_BEFORE = (shard: number, status: Status, before: string) => ({
  IndexName: INDEX.openByAge,
  KeyConditionExpression: 'openShard = :shard AND openKey BETWEEN :from AND :to',
  ExpressionAttributeValues: { ':shard': openShardPk(shard), ':from': `${status}#`, ':to': `${status}#${before}` },
});

/**
 * `data` is stored as JSON text: callers' `properties` are arbitrary JSON, and DynamoDB maps cannot hold
 * every JSON value (unsafe integers, deep nesting). Nothing queries inside it. The request's kind is kept
 * in the attribute `requestType`, as items have always had it.
 */
function requestItem(request: StoredRequest) {
  const { kind, ...fields } = request;
  return {
    ...fields,
    requestType: kind,
    data: JSON.stringify(request.data),
    ...requestKey(request.id),
    ...requestIndexAttributes(request),
    entity: 'OnboardingRequest',
  };
}

export function requestFrom(item: Record<string, unknown>): StoredRequest {
  const { requestType, ...request } = stripKeys<Omit<StoredRequest, 'kind'> & { requestType: string; data: unknown }>(item);
  return { ...request, kind: requestType, data: typeof request.data === 'string' ? JSON.parse(request.data) : request.data };
}

function transitionItem(requestId: string, record: Transition) {
  return { ...record, ...transitionKey(requestId, record.version), entity: 'Transition', requestId };
}

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** The record in its documented field order, without storage attributes. */
function transitionFrom(item: Record<string, unknown>): Transition {
  const stored = item as unknown as Transition;
  return {
    version: stored.version,
    from: stored.from,
    to: stored.to,
    at: stored.at,
    actor: { type: stored.actor.type, id: stored.actor.id },
    source: stored.source,
    ...(stored.reason === undefined ? {} : { reason: stored.reason }),
    ...(stored.errors === undefined ? {} : { errors: stored.errors }),
    correlationId: stored.correlationId,
    previousHash: stored.previousHash,
    hash: stored.hash,
  };
}

function withValues<T extends { ExpressionAttributeValues: Record<string, unknown> }>(condition: T, values: Record<string, unknown>): T {
  return { ...condition, ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ...values } };
}

/**
 * What a transition does to the entity registry: an onboarded entity is registered (a new onboarding of
 * the same entity takes it over, its open offboarding kept); a finished offboarding releases its claim,
 * and one that succeeded leaves the entity offboarded.
 */
interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

function entityUpdate(effect: EntityEffect): UpdateParts {
  if ('register' in effect) {
    return {
      UpdateExpression:
        'SET entityId = :entity, tenantId = :tenant, onboardingRequestId = :request, collectiveId = :collective, #state = :onboarded, #kind = :kind',
      ExpressionAttributeNames: { '#state': 'state', '#kind': 'entity' },
      ExpressionAttributeValues: {
        ':entity': effect.entityId,
        ':tenant': effect.register.tenantId,
        ':request': effect.register.onboardingRequestId,
        ':collective': effect.register.collectiveId,
        ':onboarded': 'Onboarded',
        ':kind': 'Entity',
      },
    };
  }
  return {
    UpdateExpression: effect.offboarded ? 'REMOVE openOffboarding SET #state = :offboarded' : 'REMOVE openOffboarding',
    // Only the offboarding that holds the claim releases it.
    ConditionExpression: 'openOffboarding = :request',
    ...(effect.offboarded ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
    ExpressionAttributeValues: { ':request': effect.release, ...(effect.offboarded ? { ':offboarded': 'Offboarded' } : {}) },
  };
}

export function createDynamoStore(client: DynamoDBDocumentClient, tableName: string): RequestStore {
  const queryPage = <T>(...args: QueryPageArgs<T>) => queryPageOf(client, ...args);

  async function findIdempotency(key: string) {
    const held = await run('idempotency', () => client.send(new GetCommand({ TableName: tableName, Key: idempotencyKey(key), ConsistentRead: true })));
    const item = held.Item;
    if (!item || (item.expiresAt as number) < Math.floor(Date.now() / 1000)) return undefined;
    return { payloadHash: item.payloadHash as string, response: JSON.parse(item.response as string) as unknown };
  }

  return {
    async insert(request, first, options = {}): Promise<InsertResult> {
      const { idempotency, claim, session } = options;
      const items: TransactItems = [
        { Put: { TableName: tableName, Item: requestItem(request), ...IS_NEW } },
        { Put: { TableName: tableName, Item: transitionItem(request.id, first), ...IS_NEW } },
      ];
      const claimAt = items.length;
      if (claim) {
        items.push({
          Update: {
            TableName: tableName,
            Key: entityKey(claim.entityId),
            UpdateExpression: 'SET openOffboarding = :request',
            ...withValues(CLAIMABLE(claim), { ':request': claim.requestId }),
          },
        });
      }
      const sessionAt = items.length;
      if (session) {
        items.push({
          Update: {
            TableName: tableName,
            Key: sessionKey(session.sessionId),
            UpdateExpression: 'SET onboardingRequestId = :request',
            ...withValues(SESSION_UNUSED(session.now), { ':request': session.requestId }),
          },
        });
      }
      if (idempotency) {
        items.push({
          Put: {
            TableName: tableName,
            Item: {
              ...idempotencyKey(idempotency.key),
              entity: 'IdempotencyRecord',
              payloadHash: idempotency.payloadHash,
              response: JSON.stringify(idempotency.response),
              expiresAt: idempotency.expiresAt,
            },
            ...IS_NEW_OR_EXPIRED(Math.floor(Date.now() / 1000)),
          },
        });
      }
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return { outcome: 'inserted' };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw translateStoreError('insert', error);
        if (idempotency) {
          const record = await findIdempotency(idempotency.key);
          if (record) return { outcome: 'replay', record };
        }
        if (claim && codes[claimAt] === 'ConditionalCheckFailed') return { outcome: 'entity-unavailable' };
        if (session && codes[sessionAt] === 'ConditionalCheckFailed') return { outcome: 'session-used' };
        if (!codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
          throw translateStoreError('insert', error);
        }
        if (!idempotency && !claim && !session) throw translateStoreError('insert', error);
        return { outcome: 'conflict' };
      }
    },

    findIdempotency,

    async get(id) {
      const result = await run('get', () => client.send(new GetCommand({ TableName: tableName, Key: requestKey(id), ConsistentRead: true })));
      return result.Item ? requestFrom(result.Item) : undefined;
    },

    async applyTransition(current, next, record, options = {}): Promise<ApplyResult> {
      const { inbox, entityEffects = [] } = options;
      const items: TransactItems = [
        {
          Put: {
            TableName: tableName,
            Item: requestItem(next),
            ...UNCHANGED_SINCE(current),
          },
        },
        { Put: { TableName: tableName, Item: transitionItem(current.id, record), ...IS_NEW } },
      ];
      if (inbox) {
        items.push({
          Put: {
            TableName: tableName,
            Item: {
              ...webhookMessageKey(current.id, inbox.messageId),
              entity: 'WebhookMessage',
              requestId: current.id,
              version: record.version,
              payloadHash: inbox.payloadHash,
              expiresAt: inbox.expiresAt,
            },
            ...IS_NEW,
          },
        });
      }
      for (const effect of entityEffects) items.push({ Update: { TableName: tableName, Key: entityKey(effect.entityId), ...entityUpdate(effect) } });
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'applied';
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw translateStoreError('transition', error);
        if (inbox && codes[2] === 'ConditionalCheckFailed') return 'duplicate-message';
        if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) return 'conflict';
        throw translateStoreError('transition', error);
      }
    },

    async updateDetails(current, next) {
      try {
        await client.send(new PutCommand({ TableName: tableName, Item: requestItem(next), ...UNCHANGED_SINCE(current) }));
        return 'applied';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'conflict';
        throw translateStoreError('update-details', error);
      }
    },

    openShards: OPEN_SHARDS,

    async listStale(query) {
      return queryPage<OpenRequestRef>(
        'list-stale',
        {
          TableName: tableName,
          ...OPEN_BEFORE(query.shard, query.status, query.before),
          ProjectionExpression: 'pk, sk, openShard, openKey, id, requestType, #status, updated',
          ExpressionAttributeNames: { '#status': 'status' },
          ScanIndexForward: true,
          ExclusiveStartKey: query.after,
        },
        query.limit,
        (item) => ({ pk: item.pk, sk: item.sk, openShard: item.openShard, openKey: item.openKey }),
        (item) => ({
          id: item.id as string,
          kind: item.requestType as string,
          status: item.status as Status,
          updated: item.updated as string,
        }),
      );
    },

    async listRequestIds(shard, limit, after) {
      return queryPage<string>(
        'list-request-ids',
        {
          TableName: tableName,
          IndexName: INDEX.allRequests,
          KeyConditionExpression: 'allShard = :shard',
          ExpressionAttributeValues: { ':shard': allShardPk(shard) },
          ExclusiveStartKey: after,
        },
        limit,
        (item) => ({ pk: item.pk, sk: item.sk, allShard: item.allShard, allKey: item.allKey }),
        (item) => (item.pk as string).slice('REQUEST#'.length),
      );
    },

    async countStale(status, before) {
      let total = 0;
      for (let shard = 0; shard < OPEN_SHARDS; shard++) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await run('count-stale', () =>
            client.send(
              new QueryCommand({
                TableName: tableName,
                ...OPEN_BEFORE(shard, status, before),
                Select: 'COUNT',
                ExclusiveStartKey: startKey,
              }),
            ),
          );
          total += page.Count ?? 0;
          startKey = page.LastEvaluatedKey;
        } while (startKey);
      }
      return total;
    },

    async findEntity(entityId) {
      const result = await run('entity', () => client.send(new GetCommand({ TableName: tableName, Key: entityKey(entityId), ConsistentRead: true })));
      if (!result.Item) return undefined;
      const { entityId: id, tenantId, onboardingRequestId, collectiveId, state, openOffboarding } = result.Item as EntityRecord;
      return { entityId: id, tenantId, onboardingRequestId, collectiveId: collectiveId ?? null, state, ...(openOffboarding ? { openOffboarding } : {}) };
    },

    async findWebhookMessage(requestId, messageId) {
      const result = await run('webhook-message', () =>
        client.send(
          new GetCommand({ TableName: tableName, Key: webhookMessageKey(requestId, messageId), ConsistentRead: true, ProjectionExpression: 'payloadHash' }),
        ),
      );
      return result.Item ? { payloadHash: String(result.Item.payloadHash ?? '') } : undefined;
    },

    async listByTenant(query: TenantListQuery) {
      const byStatus = query.status !== undefined;
      const index = byStatus ? INDEX.byTenantStatus : INDEX.byTenant;
      const [pkName, skName] = byStatus ? ['gsi2pk', 'gsi2sk'] : ['gsi1pk', 'gsi1sk'];
      const pk = byStatus ? tenantStatusPk(query.tenantId, query.kind, query.status!) : tenantPk(query.tenantId, query.kind);
      const { matches } = query;
      const filtered = matches !== undefined;
      return queryPage<StoredRequest>(
        'list',
        {
          TableName: tableName,
          IndexName: index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': pkName },
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          ExclusiveStartKey: query.after,
        },
        query.limit,
        (item) => ({ pk: item.pk, sk: item.sk, [pkName]: item[pkName], [skName]: item[skName] }),
        requestFrom,
        matches,
        filtered ? MAX_FILTERED_QUERIES : 1,
      );
    },

    async history(id, limit, after) {
      return queryPage<Transition>(
        'history',
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': requestKey(id).pk, ':prefix': TRANSITION_SK_PREFIX },
          ScanIndexForward: true,
          ConsistentRead: true,
          ExclusiveStartKey: after,
        },
        limit,
        (item) => ({ pk: item.pk, sk: item.sk }),
        transitionFrom,
      );
    },
  };
}
