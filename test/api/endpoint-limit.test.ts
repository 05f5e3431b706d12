import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ENDPOINTS_PER_TENANT } from '../../lib/events/endpoints.ts';
import type { WebhookEndpoint } from '../../lib/events/store.ts';
import { UnavailableError } from '../../lib/lifecycle/errors.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { createDynamoEventStore } from '../../lib/store/dynamo-events.ts';
import { config, documents } from '../support/app.ts';
import { type Receiver, startReceiver } from '../support/events.ts';
import { token } from '../support/http.ts';
import { type EndpointsApi, endpointsApi, expectProblem } from '../support/onboarding-api.ts';

/*
 * The 10 endpoints a tenant may have, held by the write that creates one (a count kept in the same
 * transaction) rather than by a list read before it: through the endpoints API's handlers, on DynamoDB Local.
 */

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

async function givenTenant(tenantId = randomUUID()) {
  return endpointsApi(`Bearer ${await token({ tenantId, sub: `integrator-${tenantId.slice(0, 8)}`, scope: 'webhooks:read webhooks:write' })}`);
}

const create = (endpoints: EndpointsApi, n: number | string) => endpoints.create({ url: `${receiver.url}/${n}` });

/** Every endpoint the tenant has, all pages. */
async function allIds(endpoints: EndpointsApi): Promise<string[]> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await endpoints.list({ pageSize: '4', ...(continuationToken ? { continuationToken } : {}) });
    expect(page.status).toBe(200);
    ids.push(...page.body.data.map((endpoint: { id: string }) => endpoint.id));
    continuationToken = page.body.meta.continuationToken ?? undefined;
  } while (continuationToken);
  return ids;
}

/** A tenant with the most endpoints it may have, created one after the other. */
async function givenFullTenant() {
  const endpoints = await givenTenant();
  const ids: string[] = [];
  for (let i = 0; i < MAX_ENDPOINTS_PER_TENANT; i++) {
    const created = await create(endpoints, i);
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
  return { endpoints, ids };
}

describe('the endpoint limit per tenant', () => {
  it('given 12 concurrent creates, then exactly 10 are created and 2 are a 409 endpoint_limit', async () => {
    const endpoints = await givenTenant();

    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => create(endpoints, i)));

    const created = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(created).toHaveLength(MAX_ENDPOINTS_PER_TENANT);
    expect(refused).toHaveLength(2);
    for (const answer of refused) expectProblem(answer, 409, 'endpoint_limit');
    expect((await allIds(endpoints)).sort()).toEqual(created.map((answer) => answer.body.id).sort());
  });

  it('given a tenant at the limit, when one is deleted, then one more may be created, and no second', async () => {
    const { endpoints, ids } = await givenFullTenant();
    expectProblem(await create(endpoints, 'over'), 409, 'endpoint_limit');

    expect((await endpoints.remove(ids[0]!)).status).toBe(204);
    const replacement = await create(endpoints, 'replacement');

    expect(replacement.status).toBe(201);
    expectProblem(await create(endpoints, 'over-again'), 409, 'endpoint_limit');
    expect(await allIds(endpoints)).toHaveLength(MAX_ENDPOINTS_PER_TENANT);
  });

  it('given the same endpoint deleted twice at once, then one slot is freed, not two', async () => {
    const { endpoints, ids } = await givenFullTenant();

    const deletes = await Promise.all([endpoints.remove(ids[0]!), endpoints.remove(ids[0]!)]);

    // The one that found it is a 204; the other, whether it read the endpoint before or after, a 404.
    expect(deletes.map((answer) => answer.status).sort()).toEqual([204, 404]);
    expectProblem(deletes.find((answer) => answer.status === 404)!, 404, 'not_found');
    expect(await allIds(endpoints)).toHaveLength(MAX_ENDPOINTS_PER_TENANT - 1);
    expectProblem(await endpoints.remove(ids[0]!), 404, 'not_found');
    const after = await Promise.all([create(endpoints, 'a'), create(endpoints, 'b'), create(endpoints, 'c')]);
    expect(after.map((answer) => answer.status).sort()).toEqual([201, 409, 409]);
    expect(await allIds(endpoints)).toHaveLength(MAX_ENDPOINTS_PER_TENANT);
  });

  it('given the store asked to delete one endpoint twice at once, then it is uncounted once: deleted, absent', async () => {
    const { endpoints, ids } = await givenFullTenant();
    const events = createDynamoEventStore(documents, config.tableName);
    const stored = (await events.getEndpoint(ids[0]!))!;

    const outcomes = await Promise.all([events.deleteEndpoint(stored), events.deleteEndpoint(stored)]);

    expect(outcomes.sort()).toEqual(['absent', 'deleted']);
    expect(await events.deleteEndpoint(stored)).toBe('absent');
    expect((await create(endpoints, 'a')).status).toBe(201);
    expectProblem(await create(endpoints, 'b'), 409, 'endpoint_limit');
  });

  it("given a tenant at the limit, then another tenant's creates are not limited by it", async () => {
    const full = await givenFullTenant();
    const other = await givenTenant();

    const answers = await Promise.all(Array.from({ length: MAX_ENDPOINTS_PER_TENANT }, (_, i) => create(other, i)));

    expect(answers.map((answer) => answer.status)).toEqual(Array(MAX_ENDPOINTS_PER_TENANT).fill(201));
    expectProblem(await create(other, 'over'), 409, 'endpoint_limit');
    expectProblem(await create(full.endpoints, 'over'), 409, 'endpoint_limit');
    expect(await allIds(full.endpoints)).toEqual(expect.arrayContaining(full.ids));
    expect(await allIds(other)).toHaveLength(MAX_ENDPOINTS_PER_TENANT);
  });

  describe('given transactions DynamoDB cancels for a conflict (concurrent writes of the count, injected here)', () => {
    /** The event store on a client of its own whose first `conflicts` transactions are canceled for a conflict. */
    function storeWithConflicts(conflicts: number) {
      const client = createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint });
      const transactions = { tried: 0 };
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'TransactWriteItemsCommand' && ++transactions.tried <= conflicts) {
            throw new TransactionCanceledException({
              message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]',
              $metadata: { httpStatusCode: 400 },
              CancellationReasons: [{ Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }, { Code: 'None' }],
            });
          }
          return next(args);
        },
        { step: 'finalizeRequest', priority: 'low', name: 'injectConflicts' },
      );
      return { events: createDynamoEventStore(createDocumentClient(client), config.tableName), transactions, client };
    }

    const newEndpoint = (tenantId: string): WebhookEndpoint => ({
      id: randomUUID(),
      tenantId,
      url: `${receiver.url}/direct`,
      description: null,
      eventTypes: ['onboarding.status.updated'],
      disabled: false,
      disabledReason: null,
      created: new Date().toISOString(),
      updated: new Date().toISOString(),
      version: 1,
      secret: 'whsec_dGVzdA==',
      previousSecret: null,
      previousSecretExpiresAt: null,
      failingSince: null,
    });

    it('then the write is tried again, and counted once', async () => {
      const tenantId = randomUUID();
      const { events, transactions, client } = storeWithConflicts(3);

      expect(await events.insertEndpoint(newEndpoint(tenantId), MAX_ENDPOINTS_PER_TENANT)).toBe('created');

      expect(transactions.tried).toBe(4);
      const endpoints = await givenTenant(tenantId);
      for (let i = 1; i < MAX_ENDPOINTS_PER_TENANT; i++) expect((await create(endpoints, i)).status).toBe(201);
      expectProblem(await create(endpoints, 'over'), 409, 'endpoint_limit');
      client.destroy();
    });

    it('then, when the conflicts do not end, the create is a 503 (UnavailableError) and nothing is written', async () => {
      const tenantId = randomUUID();
      const { events, transactions, client } = storeWithConflicts(Number.POSITIVE_INFINITY);
      const endpoint = newEndpoint(tenantId);

      await expect(events.insertEndpoint(endpoint, MAX_ENDPOINTS_PER_TENANT)).rejects.toBeInstanceOf(UnavailableError);

      expect(transactions.tried, 'tried 8 times').toBe(8);
      expect(await events.getEndpoint(endpoint.id)).toBeUndefined();
      client.destroy();
    });
  });
});
