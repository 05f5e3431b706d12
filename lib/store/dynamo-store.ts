import { DECISION_VERSION, type Seals } from '../lifecycle/proofs.ts';
import type { ApplyResult, EntityClaim, InsertResult, OpenRequestRef, RequestStore, TenantListQuery } from '../lifecycle/store.ts';
import type { EntityEffect, EntityRecord, Status, StoredRequest, Transition, TransitionSummary } from '../lifecycle/types.ts';
import { run, translateStoreError } from './errors.ts';
import {
  allShardPk,
  entityKey,
  INDEX,
  idempotencyKey,
  OPEN_SHARDS,
  openShardPk,
  requestFieldsFromKeys,
  requestIndexAttributes,
  requestKey,
  sessionKey,
  stripKeys,
  TRANSITION_SK_PREFIX,
  tenantPk,
  transitionKey,
  transitionSk,
  webhookMessageKey,
} from './keys.ts';
import { type QueryPageArgs, queryPageOf } from './query-page.ts';
import {
  ConditionalCheckFailedException,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteCommand,
} from './sdk.ts';

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
 * A request item holds nothing twice, so that most fit in 1 KB (one write unit, two in a transaction): its
 * id, tenant and creation time are in its keys; the kind is kept in `requestType`, as items have always
 * had it; an empty error list and a missing return URL are left out; the last transition's version and
 * target are the request's own. `data` is JSON text: callers' `properties` are arbitrary JSON, and DynamoDB
 * maps cannot hold every JSON value (unsafe integers, deep nesting). Nothing queries inside it.
 */
function requestItem(request: StoredRequest) {
  const { kind, id: _id, tenantId: _tenant, created: _created, errors, returnUrl, lastTransition, ...fields } = request;
  return {
    ...fields,
    ...(errors.length > 0 ? { errors } : {}),
    ...(returnUrl === null ? {} : { returnUrl }),
    ...(lastTransition
      ? { lastTransition: { from: lastTransition.from, at: lastTransition.at, actor: lastTransition.actor, source: lastTransition.source } }
      : {}),
    requestType: kind,
    data: JSON.stringify(request.data),
    ...requestKey(request.id),
    ...requestIndexAttributes(request),
    entity: 'OnboardingRequest',
  };
}

type RequestItem = Omit<StoredRequest, 'kind' | 'lastTransition' | 'errors' | 'returnUrl'> & {
  requestType: string;
  data: unknown;
  errors?: StoredRequest['errors'];
  returnUrl?: string | null;
  lastTransition?: Omit<TransitionSummary, 'version' | 'to'>;
};

/** A request from its item (one written before the item was made smaller too): what its keys hold, back in place. */
export function requestFrom(item: Record<string, unknown>): StoredRequest {
  const { requestType, data, errors, returnUrl, lastTransition, ...request } = stripKeys<RequestItem>(item);
  const keys = requestFieldsFromKeys(item, requestType);
  return {
    ...request,
    id: request.id ?? keys.id,
    tenantId: request.tenantId ?? keys.tenantId,
    created: request.created ?? keys.created,
    kind: requestType,
    data: typeof data === 'string' ? JSON.parse(data) : data,
    errors: errors ?? [],
    returnUrl: returnUrl ?? null,
    ...(lastTransition
      ? {
          lastTransition: {
            version: request.version,
            from: lastTransition.from,
            to: request.status,
            at: lastTransition.at,
            actor: lastTransition.actor,
            source: lastTransition.source,
          },
        }
      : {}),
  } as StoredRequest;
}

/** A record, with the proofs it carries (outside its hash: they sign it). */
function transitionItem(requestId: string, record: Transition, seals: Seals = {}) {
  return { ...record, ...seals, ...transitionKey(requestId, record.version), entity: 'Transition', requestId };
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
    ...(stored.evidence === undefined ? {} : { evidence: { channel: stored.evidence.channel } }),
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
  const held = heldBy(effect);
  if ('register' in effect) {
    return {
      ...(held.condition ? { ConditionExpression: held.condition } : {}),
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
        ...held.values,
      },
    };
  }
  return {
    UpdateExpression: effect.offboarded ? 'REMOVE openOffboarding SET #state = :offboarded' : 'REMOVE openOffboarding',
    // Only the offboarding that holds the claim releases it.
    ConditionExpression: ['openOffboarding = :request', held.condition].filter(Boolean).join(' AND '),
    ...(effect.offboarded ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
    ExpressionAttributeValues: { ':request': effect.release, ...(effect.offboarded ? { ':offboarded': 'Offboarded' } : {}), ...held.values },
  };
}

/** The registry still names the tenant the change was decided on (none: the entity is new to it). */
function heldBy(effect: EntityEffect): { condition?: string; values: Record<string, unknown> } {
  if (effect.heldBy === undefined) return { values: {} };
  if (effect.heldBy === null) return { condition: 'attribute_not_exists(pk)', values: {} };
  return {
    condition: 'tenantId = :heldBy AND onboardingRequestId = :heldWith',
    values: { ':heldBy': effect.heldBy.tenantId, ':heldWith': effect.heldBy.onboardingRequestId },
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

    async get(id, options) {
      const result = await run('get', () => client.send(new GetCommand({ TableName: tableName, Key: requestKey(id), ConsistentRead: !options?.eventually })));
      return result.Item ? requestFrom(result.Item) : undefined;
    },

    async applyTransition(current, next, record, options = {}): Promise<ApplyResult> {
      const { inbox, entityEffects = [], seals, alsoRecorded = [] } = options;
      const items: TransactItems = [
        {
          Put: {
            TableName: tableName,
            Item: requestItem(next),
            ...UNCHANGED_SINCE(current),
          },
        },
        { Put: { TableName: tableName, Item: transitionItem(current.id, record, seals), ...IS_NEW } },
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
      for (const other of alsoRecorded) {
        items.push({ Put: { TableName: tableName, Item: requestItem(other.next), ...UNCHANGED_SINCE(other.current) } });
        items.push({ Put: { TableName: tableName, Item: transitionItem(other.current.id, other.record, other.seals), ...IS_NEW } });
      }
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
          ProjectionExpression: 'pk, sk, openShard, openKey, requestType, #status, updated',
          ExpressionAttributeNames: { '#status': 'status' },
          ScanIndexForward: true,
          ExclusiveStartKey: query.after,
        },
        query.limit,
        (item) => ({ pk: item.pk, sk: item.sk, openShard: item.openShard, openKey: item.openKey }),
        (item) => ({
          id: String(item.pk).slice('REQUEST#'.length),
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
        (item) => ({ pk: item.pk, sk: item.sk, allShard: item.allShard, gsi1sk: item.gsi1sk }),
        (item) => (item.pk as string).slice('REQUEST#'.length),
      );
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
      // A status is a filter on the tenant's list, like the kinds' own: a status index would move every
      // request's key at every transition (two index writes each), for a list that is rarely filtered.
      const { status, matches: kindMatches } = query;
      const matches =
        status === undefined ? kindMatches : (request: StoredRequest) => request.status === status && (kindMatches === undefined || kindMatches(request));
      return queryPage<StoredRequest>(
        'list',
        {
          TableName: tableName,
          IndexName: INDEX.byTenant,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': tenantPk(query.tenantId, query.kind) },
          ScanIndexForward: false,
          ExclusiveStartKey: query.after,
        },
        query.limit,
        (item) => ({ pk: item.pk, sk: item.sk, gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk }),
        requestFrom,
        matches,
        matches ? MAX_FILTERED_QUERIES : 1,
      );
    },

    async trail(id, limit) {
      // The request item sorts before its transitions (REQUEST < TRANSITION#…): one query reads both.
      const result = await run('trail', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': requestKey(id).pk },
            ScanIndexForward: true,
            ConsistentRead: true,
            Limit: limit + 2,
          }),
        ),
      );
      const items = result.Items ?? [];
      const request = items[0]?.sk === requestKey(id).sk ? requestFrom(items[0]) : undefined;
      const transitions = items.filter((item) => String(item.sk).startsWith(TRANSITION_SK_PREFIX));
      if (transitions.length > limit) {
        const returned = transitions.slice(0, limit);
        return { request, page: { items: returned.map(transitionFrom), cursor: { pk: returned.at(-1)!.pk, sk: returned.at(-1)!.sk } } };
      }
      return { request, page: { items: transitions.map(transitionFrom), cursor: undefined } };
    },

    async sealedTrail(id, accept = () => true) {
      const items: Record<string, unknown>[] = [];
      let after: Record<string, unknown> | undefined;
      do {
        const page = await run('sealed-trail', () =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': requestKey(id).pk },
              ConsistentRead: true,
              ExclusiveStartKey: after,
            }),
          ),
        );
        items.push(...(page.Items ?? []));
        after = page.LastEvaluatedKey;
        // The request item sorts first: a trail its reader may not see is not read on.
        const first = items[0]?.sk === requestKey(id).sk ? requestFrom(items[0]) : undefined;
        if (!first || !accept(first)) return { request: undefined, transitions: [], seals: [] };
      } while (after);
      const records = items.filter((item) => String(item.sk).startsWith(TRANSITION_SK_PREFIX));
      return {
        request: requestFrom(items[0]!),
        transitions: records.map(transitionFrom),
        seals: records
          .filter((item) => item.receipt !== undefined || item.checkpoint !== undefined)
          .map((item) => ({
            version: item.version as number,
            ...(typeof item.receipt === 'string' ? { receipt: item.receipt } : {}),
            ...(typeof item.checkpoint === 'string' ? { checkpoint: item.checkpoint } : {}),
          })),
      };
    },

    async decisionReceipt(id) {
      // An end user decides only on a Pending request, and a request is Pending only at version 1: the
      // decision, when there is one, is version 2. One query reads the request and that record's receipt.
      const result = await run('decision-receipt', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk <= :decision',
            ExpressionAttributeValues: { ':pk': requestKey(id).pk, ':decision': transitionSk(DECISION_VERSION) },
            ConsistentRead: true,
          }),
        ),
      );
      const items = result.Items ?? [];
      const request = items.find((item) => item.sk === requestKey(id).sk);
      const receipt = items.find((item) => item.sk === transitionSk(DECISION_VERSION))?.receipt;
      return { request: request ? requestFrom(request) : undefined, receipt: typeof receipt === 'string' ? receipt : undefined };
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
