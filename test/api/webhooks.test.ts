import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { DEV_WEBHOOK_SECRET } from '../../lib/config/settings.ts';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Transition } from '../../lib/lifecycle/types.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { webhookMessageKey } from '../../lib/store/keys.ts';
import { createWebhookReceiver } from '../../lib/webhooks/receive.ts';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { config, kinds, lifecycle, store } from '../support/app.ts';
import { newMessageId, ownerOf } from '../support/fixtures.ts';
import { apiEvent, invoke, type Response, tenant } from '../support/http.ts';
import { type CollectionPath, expectProblem, type OnboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/** WEBHOOK_SECRETS is not set in the tests, so the function signs and verifies with the development secret. */
const SERVICE_KEY = parseSecrets(DEV_WEBHOOK_SECRET)[0]!;
const FOREIGN_KEY = Buffer.from('a-secret-this-service-never-had');

type EventData = { id: string; status: string; errors?: Array<{ code: string; message: string }>; entity?: Record<string, unknown> };

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The body a provider sends, as the exact text that is signed. */
function statusEvent(data: EventData): string {
  return JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data });
}

interface Delivery {
  body: string | Buffer;
  messageId?: string;
  timestamp?: number;
  key?: Buffer;
  /** Overrides the signature header; undefined leaves it as signed. */
  signature?: string;
  /** Sends the bytes as API Gateway does for binary bodies. */
  base64?: boolean;
  omit?: Array<'webhook-id' | 'webhook-timestamp' | 'webhook-signature'>;
}

/** One signed POST /v1/webhooks/onboarding event, as API Gateway hands it to the function. */
function webhookEvent(delivery: Delivery) {
  const messageId = delivery.messageId ?? newMessageId();
  const timestamp = delivery.timestamp ?? nowSeconds();
  const bytes = Buffer.from(delivery.body);
  const headers: Record<string, string> = {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': delivery.signature ?? sign(delivery.key ?? SERVICE_KEY, messageId, timestamp, bytes),
    'content-type': 'application/json',
  };
  for (const name of delivery.omit ?? []) delete headers[name];
  return apiEvent({
    method: 'POST',
    path: '/v1/webhooks/onboarding',
    headers,
    rawBody: delivery.base64 ? bytes.toString('base64') : bytes.toString('utf8'),
    isBase64Encoded: delivery.base64 ?? false,
  });
}

function deliver(delivery: Delivery): Promise<Response> {
  return invoke(webhooks.handler, webhookEvent(delivery));
}

/** A tenant with a fresh Pending request of the given type. */
async function givenPendingRequest(path: CollectionPath = 'collectives') {
  const caller = await tenant();
  const api = onboardingApi(path, caller.authorization);
  const created = await api.create(path === 'collectives' ? { name: 'Home', type: 'Household' } : { type: 'Battery', manufacturer: 'Tesla' });
  expect(created.status).toBe(201);
  return { api, id: created.body.id as string };
}

async function historyOf(api: OnboardingApi, id: string): Promise<Transition[]> {
  const page = await api.history(id, { pageSize: '100' });
  expect(page.status).toBe(200);
  return page.body.data;
}

async function stateOf(api: OnboardingApi, id: string) {
  const got = await api.get(id);
  expect(got.status).toBe(200);
  return got.body;
}

/** Applies one valid event and checks it was applied, to set up a later status. */
async function givenApplied(id: string, data: Omit<EventData, 'id'>) {
  const response = await deliver({ body: statusEvent({ id, ...data }) });
  expect(response.body).toMatchObject({ outcome: 'applied' });
}

/** The request is as created, its history holds only the creation, and the message id was not remembered. */
async function expectNothingRecorded(api: OnboardingApi, id: string, messageId: string) {
  expect(await stateOf(api, id)).toMatchObject({ status: 'Pending', version: 1, errors: [] });
  expect((await historyOf(api, id)).map((record) => record.to)).toEqual(['Pending']);
  expect(await store.findWebhookMessage(id, messageId)).toBeUndefined();
}

function expectOutcome(response: Response, body: object) {
  expect({ status: response.status, body: response.body }).toEqual({ status: 200, body });
  expect(response.headers['content-type']).toMatch(/^application\/json\b/);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('POST /v1/webhooks/onboarding', () => {
  describe('a valid event the status machine allows', () => {
    it('given a Pending request, when a signed Processing event arrives, then it is applied as version 2 with actor webhook', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();

      const response = await deliver({ messageId, body: statusEvent({ id, status: 'Processing' }) });

      expectOutcome(response, { outcome: 'applied', version: 2 });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Processing', version: 2, action: null });
      const history = await historyOf(api, id);
      expect(history).toHaveLength(2);
      expect(history[1]).toMatchObject({
        version: 2,
        from: 'Pending',
        to: 'Processing',
        actor: { type: 'webhook', id: messageId },
        source: 'webhook',
      });
      expect(verifyChain(history, ownerOf(await stateOf(api, id)))).toEqual([]);
    });

    it('given a Pending request, when Succeeded arrives directly (Processing skipped), then it is applied', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();

      const response = await deliver({ messageId, body: statusEvent({ id, status: 'Succeeded' }) });

      expectOutcome(response, { outcome: 'applied', version: 2 });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Succeeded', version: 2, errors: [] });
      expect((await historyOf(api, id))[1]).toMatchObject({
        from: 'Pending',
        to: 'Succeeded',
        actor: { type: 'webhook', id: messageId },
        source: 'webhook',
      });
    });

    it('given a Processing request, when Failed arrives with errors, then the request carries exactly those errors', async () => {
      const { api, id } = await givenPendingRequest();
      await givenApplied(id, { status: 'Processing' });
      const errors = [
        { code: 'ConsentDenied', message: 'The end user declined the consent.' },
        { code: 'DeviceOffline', message: 'The battery did not answer.' },
      ];

      const response = await deliver({ body: statusEvent({ id, status: 'Failed', errors }) });

      expectOutcome(response, { outcome: 'applied', version: 3 });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Failed', version: 3, errors });
      const history = await historyOf(api, id);
      expect(history.map((record) => record.to)).toEqual(['Pending', 'Processing', 'Failed']);
      expect(history[2]).toMatchObject({ from: 'Processing', to: 'Failed', errors, source: 'webhook' });
    });

    it('given an Entity request, when Succeeded arrives with entity.id, then the id is merged into data.entity and the snapshot kept', async () => {
      const { api, id } = await givenPendingRequest('entities');
      const entityId = randomUUID();

      const response = await deliver({ body: statusEvent({ id, status: 'Succeeded', entity: { id: entityId } }) });

      expectOutcome(response, { outcome: 'applied', version: 2 });
      const request = await stateOf(api, id);
      expect(request).toMatchObject({ requestType: 'Entity', status: 'Succeeded', version: 2 });
      expect(request.data.entity).toMatchObject({
        id: entityId,
        type: 'Battery',
        information: { manufacturer: 'Tesla', type: 'Battery' },
      });
      expect(request.data.tenant).toBeDefined();
      expect(await historyOf(api, id)).toHaveLength(2);
    });

    it('header names are case-insensitive (Webhook-Id as some senders write it)', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      const timestamp = nowSeconds();
      const body = statusEvent({ id, status: 'Processing' });
      const event = apiEvent({
        method: 'POST',
        path: '/v1/webhooks/onboarding',
        rawBody: body,
        headers: {
          'Webhook-Id': messageId,
          'Webhook-Timestamp': String(timestamp),
          'Webhook-Signature': sign(SERVICE_KEY, messageId, timestamp, body),
          'Content-Type': 'application/json',
        },
      });

      const response = await invoke(webhooks.handler, event);

      expectOutcome(response, { outcome: 'applied', version: 2 });
      expect((await historyOf(api, id))[1]).toMatchObject({ actor: { type: 'webhook', id: messageId } });
    });

    it('given API Gateway base64-encoded the body (isBase64Encoded), the signature is checked over the decoded bytes', async () => {
      const { api, id } = await givenPendingRequest();
      const errors = [{ code: 'Zählerfehler', message: 'Der Zähler antwortet nicht — bitte prüfen.' }];

      const response = await deliver({ base64: true, body: Buffer.from(statusEvent({ id, status: 'Failed', errors }), 'utf8') });

      expectOutcome(response, { outcome: 'applied', version: 2 });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Failed', errors });
      expect(await historyOf(api, id)).toHaveLength(2);
    });
  });

  describe('redelivery of the same webhook-id', () => {
    it('the second delivery is a 200 duplicate and the history holds exactly one webhook transition', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      const body = statusEvent({ id, status: 'Processing' });

      const first = await deliver({ messageId, body });
      const second = await deliver({ messageId, body });

      expectOutcome(first, { outcome: 'applied', version: 2 });
      expectOutcome(second, { outcome: 'duplicate' });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Processing', version: 2 });
      const history = await historyOf(api, id);
      expect(history.filter((record) => record.source === 'webhook')).toHaveLength(1);
      expect(history).toHaveLength(2);
    });

    it('a redelivery after the request moved on is still a duplicate, not a late event', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      const processing = statusEvent({ id, status: 'Processing' });
      await deliver({ messageId, body: processing });
      await givenApplied(id, { status: 'Succeeded' });

      const again = await deliver({ messageId, body: processing });

      expectOutcome(again, { outcome: 'duplicate' });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Succeeded', version: 3 });
      expect(await historyOf(api, id)).toHaveLength(3);
    });

    it('the webhook-id is remembered for at least 72 h after it was applied', async () => {
      const { id } = await givenPendingRequest();
      const messageId = newMessageId();
      const before = nowSeconds();

      await deliver({ messageId, body: statusEvent({ id, status: 'Processing' }) });

      const documents = createDocumentClient(createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint }));
      const stored = await documents.send(new GetCommand({ TableName: config.tableName, Key: webhookMessageKey(id, messageId), ConsistentRead: true }));
      expect(stored.Item?.expiresAt).toBeGreaterThanOrEqual(before + 72 * 60 * 60);
    });

    it('given 10 concurrent deliveries of one webhook-id, exactly one is applied, the rest are duplicates, and history has 2 records', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      const timestamp = nowSeconds();
      const body = statusEvent({ id, status: 'Processing' });

      const responses = await Promise.all(Array.from({ length: 10 }, () => invoke(webhooks.handler, webhookEvent({ messageId, timestamp, body }))));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      const outcomes = responses.map((response) => response.body.outcome);
      expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(9);
      expect(responses.find((response) => response.body.outcome === 'applied')!.body).toEqual({ outcome: 'applied', version: 2 });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Processing', version: 2 });
      const history = await historyOf(api, id);
      expect(history).toHaveLength(2);
      expect(history[1]).toMatchObject({ actor: { type: 'webhook', id: messageId } });
    });
  });

  describe('one webhook-id is one message to one request (docs/api.md)', () => {
    it("given an event for request B that reuses the webhook-id of an earlier event for request A, then B's transition is applied too", async () => {
      const a = await givenPendingRequest();
      const b = await givenPendingRequest('entities');
      const messageId = newMessageId();

      expectOutcome(await deliver({ messageId, body: statusEvent({ id: a.id, status: 'Processing' }) }), { outcome: 'applied', version: 2 });
      const forB = await deliver({ messageId, body: statusEvent({ id: b.id, status: 'Processing' }) });

      expectOutcome(forB, { outcome: 'applied', version: 2 });
      expect(await stateOf(b.api, b.id)).toMatchObject({ status: 'Processing', version: 2 });
    });

    it('given the same webhook-id and request with another body, then it is a 409 webhook_id_reused and nothing is applied (the sender is not told it arrived)', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      expectOutcome(await deliver({ messageId, body: statusEvent({ id, status: 'Processing' }) }), { outcome: 'applied', version: 2 });

      const reused = await deliver({ messageId, body: statusEvent({ id, status: 'Succeeded' }) });

      expectProblem(reused, 409, 'webhook_id_reused');
      expect(await stateOf(api, id)).toMatchObject({ status: 'Processing', version: 2 });
    });
  });

  describe('a valid event the status machine does not allow now', () => {
    it('given a Canceled request, when Succeeded arrives, then it answers 200 ignored with a reason and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      expect((await api.cancel(id)).status).toBe(200);

      const response = await deliver({ body: statusEvent({ id, status: 'Succeeded' }) });

      expectOutcome(response, { outcome: 'ignored', reason: expect.stringMatching(/\S/) });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Canceled', version: 2 });
      expect((await historyOf(api, id)).map((record) => record.to)).toEqual(['Pending', 'Canceled']);
    });

    it('given a Succeeded request, when a late Processing arrives, then it is ignored and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      await givenApplied(id, { status: 'Succeeded' });

      const response = await deliver({ body: statusEvent({ id, status: 'Processing' }) });

      expectOutcome(response, { outcome: 'ignored', reason: expect.stringMatching(/\S/) });
      expect(await stateOf(api, id)).toMatchObject({ status: 'Succeeded', version: 2 });
      expect((await historyOf(api, id)).map((record) => record.to)).toEqual(['Pending', 'Succeeded']);
    });
  });

  describe('signature and framing refused with 401', () => {
    it('a tampered body is a 401 problem and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      const timestamp = nowSeconds();
      const signed = statusEvent({ id, status: 'Succeeded' });
      const signature = sign(SERVICE_KEY, messageId, timestamp, signed);

      const response = await deliver({ messageId, timestamp, signature, body: signed.replace('Succeeded', 'Failed') });

      expectProblem(response, 401, 'invalid_signature');
      await expectNothingRecorded(api, id, messageId);
    });

    it('a body signed with a secret the service does not hold is a 401 and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();

      const response = await deliver({ messageId, key: FOREIGN_KEY, body: statusEvent({ id, status: 'Processing' }) });

      expectProblem(response, 401, 'invalid_signature');
      await expectNothingRecorded(api, id, messageId);
    });

    it.each([
      ['301 s old', -301],
      ['301 s in the future', 301],
    ])('a webhook-timestamp %s is a 401 and records nothing', async (_name, offset) => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();
      // Date is frozen for the delivery only, so a second boundary cannot move the offset to 300.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date());

      const response = await deliver({ messageId, timestamp: nowSeconds() + offset, body: statusEvent({ id, status: 'Processing' }) });

      vi.useRealTimers();
      expectProblem(response, 401, 'invalid_signature');
      await expectNothingRecorded(api, id, messageId);
    });

    it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)(
      'a delivery without the %s header is a 401 and records nothing',
      async (header) => {
        const { api, id } = await givenPendingRequest();
        const messageId = newMessageId();

        const response = await deliver({ messageId, omit: [header], body: statusEvent({ id, status: 'Processing' }) });

        expectProblem(response, 401, 'invalid_signature');
        await expectNothingRecorded(api, id, messageId);
      },
    );

    it('a webhook-timestamp in milliseconds is a 401 and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();

      const response = await deliver({ messageId, timestamp: Date.now(), body: statusEvent({ id, status: 'Processing' }) });

      expectProblem(response, 401, 'invalid_signature');
      await expectNothingRecorded(api, id, messageId);
    });

    it('a malformed body with a bad signature is a 401, not a 400: nothing is read before the signature holds', async () => {
      const messageId = newMessageId();

      const response = await deliver({ messageId, key: FOREIGN_KEY, body: '{"not json' });

      expectProblem(response, 401, 'invalid_signature');
    });

    it('a 401 does not say which secret or signature was expected', async () => {
      const { id } = await givenPendingRequest();

      const response = await deliver({ key: FOREIGN_KEY, body: statusEvent({ id, status: 'Processing' }) });

      expect(response.status).toBe(401);
      const visible = JSON.stringify(response);
      expect(visible).not.toContain(DEV_WEBHOOK_SECRET.slice('whsec_'.length));
      expect(visible).not.toContain(SERVICE_KEY.toString('base64'));
    });
  });

  describe('an unsigned message learns nothing but 401', () => {
    it.each([
      ['a space in it', 'a b'],
      ['300 characters', 'm'.repeat(300)],
      ['a control character', 'msg\u0001'],
    ])('given a webhook-id with %s and a bad signature, then it is a 401, not a 400: the signature is checked first', async (_what, messageId) => {
      const { api, id } = await givenPendingRequest();

      const response = await deliver({ messageId, key: FOREIGN_KEY, body: statusEvent({ id, status: 'Processing' }) });

      expectProblem(response, 401, 'invalid_signature');
      expect(await stateOf(api, id)).toMatchObject({ status: 'Pending', version: 1 });
    });
  });

  describe('a correctly signed body that is not a usable event', () => {
    it('malformed JSON with a valid signature is a 400 and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();

      const response = await deliver({ messageId, body: `{"type":"onboarding.status.updated","data":{"id":"${id}","status":"Processing"` });

      expectProblem(response, 400, 'malformed_json');
      await expectNothingRecorded(api, id, messageId);
    });

    it('a JSON body that is not an onboarding.status.updated event is a 400 naming the field, and records nothing', async () => {
      const { api, id } = await givenPendingRequest();
      const messageId = newMessageId();

      const response = await deliver({ messageId, body: statusEvent({ id, status: 'Pending' }) });

      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/data/status' })]));
      await expectNothingRecorded(api, id, messageId);
    });

    it('a valid event for an unknown request id is a 404 and the message id is not remembered (the sender retries)', async () => {
      const messageId = newMessageId();

      const unknown = randomUUID();
      const response = await deliver({ messageId, body: statusEvent({ id: unknown, status: 'Processing' }) });

      expectProblem(response, 404, 'not_found');
      expect(await store.findWebhookMessage(unknown, messageId)).toBeUndefined();
    });
  });
});

describe('webhook receiver with its own secrets and clock', () => {
  const OLD_KEY = Buffer.from('the-secret-being-rotated-out-now');
  const NEW_KEY = Buffer.from('the-secret-being-rotated-in-now!');
  const NOW = new Date('2030-01-01T12:00:00Z');
  const NOW_SECONDS = NOW.getTime() / 1000;
  const receive = createWebhookReceiver({ lifecycle, store, kinds, keys: [NEW_KEY, OLD_KEY], inboxTtlSeconds: 3600, now: () => NOW });

  function message(id: string, status: string, options: { key: Buffer; timestamp?: number }) {
    const messageId = newMessageId();
    const timestamp = String(options.timestamp ?? NOW_SECONDS);
    const body = Buffer.from(statusEvent({ id, status }));
    return { id: messageId, timestamp, body, signature: sign(options.key, messageId, timestamp, body) };
  }

  it.each([
    ['the new secret', NEW_KEY],
    ['the secret being rotated out', OLD_KEY],
  ])('during rotation, an event signed with %s is applied', async (_name, key) => {
    const { api, id } = await givenPendingRequest();

    await expect(receive(message(id, 'Processing', { key }))).resolves.toEqual({ outcome: 'applied', version: 2 });
    expect(await stateOf(api, id)).toMatchObject({ status: 'Processing', version: 2 });
  });

  it.each([
    ['300 s old', -300],
    ['300 s in the future', 300],
  ])('an event %s is still within the tolerance and applied', async (_name, offset) => {
    const { api, id } = await givenPendingRequest();

    await expect(receive(message(id, 'Processing', { key: NEW_KEY, timestamp: NOW_SECONDS + offset }))).resolves.toEqual({ outcome: 'applied', version: 2 });
    expect(await historyOf(api, id)).toHaveLength(2);
  });

  it.each([
    ['301 s old', -301],
    ['301 s in the future', 301],
  ])('an event %s is refused and records nothing', async (_name, offset) => {
    const { api, id } = await givenPendingRequest();
    const signed = message(id, 'Processing', { key: NEW_KEY, timestamp: NOW_SECONDS + offset });

    await expect(receive(signed)).rejects.toMatchObject({ code: 'invalid_signature', reason: 'timestamp_out_of_tolerance' });
    await expectNothingRecorded(api, id, signed.id);
  });
});
