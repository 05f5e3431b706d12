import type { SessionStore } from '../lifecycle/store.ts';
import type { GuidedSession } from '../lifecycle/types.ts';
import { run, translateStoreError } from './errors.ts';
import { INDEX, OPEN_SHARDS, openShardPk, SESSION_OPEN_PREFIX, sessionIndexAttributes, sessionKey, stripKeys, tenantPk } from './keys.ts';
import { queryPageOf } from './query-page.ts';
import { ConditionalCheckFailedException, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from './sdk.ts';

/** A session as stored: without a request id until it yields one (the claim's condition is its absence). */
function sessionItem(session: GuidedSession) {
  const { onboardingRequestId, ...rest } = session;
  return {
    ...rest,
    ...(onboardingRequestId ? { onboardingRequestId } : {}),
    ...sessionKey(session.id),
    ...sessionIndexAttributes(session),
    entity: 'GuidedSession',
  };
}

function sessionFrom(item: Record<string, unknown>): GuidedSession {
  const { onboardingRequestId, ...rest } = stripKeys<GuidedSession>(item);
  return { ...rest, onboardingRequestId: onboardingRequestId ?? null };
}

/**
 * Guided onboarding sessions on the table, apart from the requests' store so that only the
 * functions that serve sessions carry them. A session is claimed by its request in the request's own
 * create transaction (./dynamo-store.ts, `insert`); here it is written, read, listed and marked expired.
 */
export function createDynamoSessionStore(client: DynamoDBDocumentClient, tableName: string): SessionStore {
  async function getSession(id: string): Promise<GuidedSession | undefined> {
    const result = await run('session-get', () => client.send(new GetCommand({ TableName: tableName, Key: sessionKey(id), ConsistentRead: true })));
    return result.Item ? sessionFrom(result.Item) : undefined;
  }

  return {
    openShards: OPEN_SHARDS,

    async insertSession(session) {
      await run('session-insert', () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: sessionItem(session),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    getSession,

    listSessions(tenantId, limit, after) {
      return queryPageOf<GuidedSession>(
        client,
        'session-list',
        {
          TableName: tableName,
          IndexName: INDEX.byTenant,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId, 'GuidedSession') },
          ScanIndexForward: false,
          ExclusiveStartKey: after,
        },
        limit,
        (item) => ({ pk: item.pk, sk: item.sk, gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk }),
        sessionFrom,
      );
    },

    async listSessionsToExpire(shard, before, limit) {
      const result = await run('session-expiring', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: INDEX.openByAge,
            KeyConditionExpression: 'openShard = :shard AND openKey BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':shard': openShardPk(shard), ':from': SESSION_OPEN_PREFIX, ':to': `${SESSION_OPEN_PREFIX}${before}` },
            Limit: limit,
          }),
        ),
      );
      // The index holds the keys; the session itself is read for its whole state (a handful per run).
      const sessions = await Promise.all((result.Items ?? []).map((item) => getSession(String(item.pk).slice('SESSION#'.length))));
      return sessions.filter((session): session is GuidedSession => session !== undefined && !session.markedExpired);
    },

    async markSessionExpired(session) {
      try {
        // An update, not a put: a request the session yields meanwhile keeps its id.
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: sessionKey(session.id),
            UpdateExpression: 'SET markedExpired = :true REMOVE openShard, openKey',
            ConditionExpression: 'attribute_exists(pk) AND markedExpired = :false',
            ExpressionAttributeValues: { ':true': true, ':false': false },
          }),
        );
      } catch (error) {
        // Marked by another run already.
        if (error instanceof ConditionalCheckFailedException) return;
        throw translateStoreError('session-expire', error);
      }
    },
  };
}
