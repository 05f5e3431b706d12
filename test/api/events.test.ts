import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { runCleanup } from '../../lib/lifecycle/cleanup.ts';
import type { StreamReader } from '../../scripts/local/streams.ts';
import { dynamo, lifecycle, store } from '../support/app.ts';
import { type Received, type Receiver, signedBy, startPublishing, startReceiver, startSilentReceiver } from '../support/events.ts';
import { BODIES, newMessageId } from '../support/fixtures.ts';
import { invoke, signedWebhookEvent, token } from '../support/http.ts';
import { endpointsApi, expectProblem, ISO_UTC, offboardingApi, onboardingApi, UUID } from '../support/onboarding-api.ts';

/*
 * Outbound events, for real: the table's stream read from DynamoDB Local and handed to the publisher function,
 * a receiver on loopback, the endpoints API through its wrapped handlers. Retries run on the compressed
 * schedule the test environment sets (DELIVERY_RETRY_SECONDS=1,1,2).
 */

const ALL_SCOPES = 'onboarding:read onboarding:write webhooks:read webhooks:write';

async function givenTenant(scope = ALL_SCOPES) {
  const tenantId = randomUUID();
  const sub = `integrator-${tenantId.slice(0, 8)}`;
  const authorization = `Bearer ${await token({ tenantId, sub, scope })}`;
  return {
    tenantId,
    sub,
    authorization,
    endpoints: endpointsApi(authorization),
    collectives: onboardingApi('collectives', authorization),
    entities: onboardingApi('entities', authorization),
    offboardings: offboardingApi(authorization),
  };
}

let publishing: StreamReader;
const receivers: Receiver[] = [];

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

/** A tenant with an endpoint at a fresh receiver; the secret is the one the create answered. */
async function subscribed(body: Record<string, unknown> = {}) {
  const tenant = await givenTenant();
  const at = await receiver();
  const created = await tenant.endpoints.create({ url: at.url, ...body });
  expect(created.status).toBe(201);
  return { ...tenant, receiver: at, endpoint: created.body as { id: string; secret: string } };
}

const idsOf = (response: { body: { data: Array<{ id: string }> } }) => response.body.data.map((item) => item.id);
const eventId = (requestId: string, version: number) => `evt_${requestId}_${version}`;
const uniqueIds = (received: Received[]) => [...new Set(received.map((entry) => entry.id))];

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function deliver(type: string, id: string, status: string, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id, status, ...extra } });
  return invoke(webhooks.handler, signedWebhookEvent(newMessageId(), body));
}

/**
 * A crash at one point of the work, once: the DynamoDB call made there for the armed endpoint fails, so the
 * invocation fails, and Lambda runs it again (the stream reader hands the publisher's batch over again;
 * the worker's asynchronous invocation is retried).
 */
const crash: { endpointId?: string; command?: string; fired: number } = { fired: 0 };

beforeAll(async () => {
  // The publisher's calls go through the process's one DynamoDB client: armed for one endpoint, only its writes fail.
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      // At this step the document client has not marshalled the input yet: keys are plain strings.
      const input = args.input as { Item?: { pk?: string; sk?: string }; Key?: { pk?: string; sk?: string } };
      const keys = [input.Item?.pk, input.Item?.sk, input.Key?.pk, input.Key?.sk];
      if (crash.endpointId && context.commandName === crash.command && keys.includes(`ENDPOINT#${crash.endpointId}`)) {
        crash.endpointId = undefined;
        crash.fired++;
        throw new Error('injected: the function died here');
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectCrash' },
  );
  publishing = await startPublishing();
});

afterAll(async () => {
  await publishing?.stop();
  await Promise.all(receivers.map((entry) => entry.close()));
});

describe('outbound events', () => {
  describe('the webhook endpoints API', () => {
    it('given a URL, when subscribed, then 201 with Location and the whsec_ secret, shown only there', async () => {
      const tenant = await givenTenant();
      const at = await receiver();

      const created = await tenant.endpoints.create({ url: at.url, description: 'Our CRM' });

      expect(created.status).toBe(201);
      expect(created.headers.location).toBe(`/v1/webhook-endpoints/${created.body.id}`);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(UUID),
        url: at.url,
        description: 'Our CRM',
        eventTypes: ['onboarding.status.updated', 'offboarding.status.updated'],
        disabled: false,
        disabledReason: null,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      });
      expect(created.body.created).toMatch(ISO_UTC);
      const fetched = await tenant.endpoints.get(created.body.id);
      expect(fetched.status).toBe(200);
      const { secret: _secret, ...shown } = created.body;
      expect(fetched.body).toEqual(shown);
      expect(idsOf(await tenant.endpoints.list())).toEqual([created.body.id]);
      expect(JSON.stringify((await tenant.endpoints.list()).body)).not.toContain('whsec_');
    });

    const BAD: Array<[string, Record<string, unknown>]> = [
      ['a URL that is not one', { url: 'not a url' }],
      ['a non-http scheme', { url: 'ftp://127.0.0.1/hooks' }],
      ['plain http to another host', { url: 'http://example.com/hooks' }],
      ['credentials in the URL', { url: 'https://user:pass@example.com/hooks' }],
      ['the cloud metadata address', { url: 'https://169.254.169.254/latest/meta-data' }],
      ['a host that does not resolve', { url: 'https://no-such-host.invalid/hooks' }],
      ['an unknown event type', { url: 'http://127.0.0.1:9/hooks', eventTypes: ['request.deleted'] }],
      ['an empty list of event types', { url: 'http://127.0.0.1:9/hooks', eventTypes: [] }],
      ['an oversized description', { url: 'http://127.0.0.1:9/hooks', description: 'x'.repeat(501) }],
      ['an unknown field', { url: 'http://127.0.0.1:9/hooks', secret: 'whsec_mine' }],
      ['no URL', { description: 'nowhere' }],
    ];

    it.each(BAD)('given %s, then a 400 problem and nothing is stored', async (_case, body) => {
      const tenant = await givenTenant();

      const refused = await tenant.endpoints.create(body);

      expectProblem(refused, 400, 'validation_failed');
      expect(idsOf(await tenant.endpoints.list())).toEqual([]);
    });

    it("given another tenant's endpoint, then every route is a 404 and nothing changes", async () => {
      const owner = await subscribed();
      const stranger = await givenTenant();
      const id = owner.endpoint.id;

      for (const answer of [
        await stranger.endpoints.get(id),
        await stranger.endpoints.update(id, { disabled: true }),
        await stranger.endpoints.remove(id),
        await stranger.endpoints.rotateSecret(id),
        await stranger.endpoints.test(id),
        await stranger.endpoints.deliveries(id),
        await stranger.endpoints.retry(id, eventId(randomUUID(), 1)),
      ])
        expectProblem(answer, 404, 'not_found');
      expect((await owner.endpoints.get(id)).body).toMatchObject({ disabled: false, url: owner.receiver.url });
      expect(owner.receiver.received).toEqual([]);
    });

    it('given a token without the webhooks scopes, then 403; with webhooks:read, reading only', async () => {
      const owner = await subscribed();
      const onboardingOnly = endpointsApi(`Bearer ${await token({ tenantId: owner.tenantId, sub: owner.sub, scope: 'onboarding:read onboarding:write' })}`);
      const readOnly = endpointsApi(`Bearer ${await token({ tenantId: owner.tenantId, sub: owner.sub, scope: 'webhooks:read' })}`);

      expectProblem(await onboardingOnly.list(), 403, 'forbidden');
      expectProblem(await onboardingOnly.create({ url: owner.receiver.url }), 403, 'forbidden');
      expect((await readOnly.get(owner.endpoint.id)).status).toBe(200);
      expectProblem(await readOnly.remove(owner.endpoint.id), 403, 'forbidden');
      expectProblem(await readOnly.test(owner.endpoint.id), 403, 'forbidden');
      expect((await owner.endpoints.get(owner.endpoint.id)).status).toBe(200);
    });

    it('changes url, event types and description; disabling and enabling are said in the endpoint', async () => {
      const owner = await subscribed();
      const other = await receiver();

      const changed = await owner.endpoints.update(owner.endpoint.id, { url: other.url, eventTypes: ['offboarding.status.updated'], description: null });
      const disabled = await owner.endpoints.update(owner.endpoint.id, { disabled: true });
      const enabled = await owner.endpoints.update(owner.endpoint.id, { disabled: false });

      expect(changed.body).toMatchObject({ url: other.url, eventTypes: ['offboarding.status.updated'], description: null });
      expect(disabled.body).toMatchObject({ disabled: true, disabledReason: 'Disabled through the API' });
      expect(enabled.body).toMatchObject({ disabled: false, disabledReason: null });
      expectProblem(await owner.endpoints.update(owner.endpoint.id, {}), 400, 'validation_failed');
      expectProblem(await owner.endpoints.update(owner.endpoint.id, { url: 'http://example.com/' }), 400, 'validation_failed');
      expect((await owner.endpoints.get(owner.endpoint.id)).body.url).toBe(other.url);
    });

    it('deletes with 204; the endpoint is then gone and receives nothing more', async () => {
      const owner = await subscribed();

      const deleted = await owner.endpoints.remove(owner.endpoint.id);
      await owner.collectives.create(BODIES.collectives);

      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeUndefined();
      expectProblem(await owner.endpoints.get(owner.endpoint.id), 404, 'not_found');
      expect(idsOf(await owner.endpoints.list())).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(owner.receiver.received).toEqual([]);
    });

    it('allows 10 endpoints per tenant: the 11th is a 409 endpoint_limit', async () => {
      const tenant = await givenTenant();
      const at = await receiver();
      for (let i = 0; i < 10; i++) expect((await tenant.endpoints.create({ url: `${at.url}/${i}` })).status).toBe(201);

      expectProblem(await tenant.endpoints.create({ url: at.url }), 409, 'endpoint_limit');
      const pages = [await tenant.endpoints.list({ pageSize: '6' })];
      pages.push(await tenant.endpoints.list({ pageSize: '6', continuationToken: pages[0]!.body.meta.continuationToken }));
      expect(pages.map((page) => page.body.data.length)).toEqual([6, 4]);
    });

    it('sends a webhook.test event now, signed, and answers how it went', async () => {
      const owner = await subscribed();

      const tested = await owner.endpoints.test(owner.endpoint.id);

      expect(tested.status).toBe(200);
      expect(tested.body).toMatchObject({ eventType: 'webhook.test', attempt: 1, statusCode: 200, error: null, manual: true, nextAttemptAt: null });
      const [delivery] = owner.receiver.of(tested.body.eventId);
      expect(delivery!.event).toMatchObject({ id: tested.body.eventId, type: 'webhook.test', data: { endpointId: owner.endpoint.id } });
      expect(signedBy(delivery!, owner.endpoint.secret)).toBe(true);
    });
  });

  describe('delivery', () => {
    it('given a create, a provider webhook, a cancel and an expiry, then one signed event per transition, numbered as the trail', async () => {
      const owner = await subscribed();
      const { body: first } = await owner.entities.create(BODIES.entities);
      await deliver('onboarding.status.updated', first.id, 'Processing');
      const { body: second } = await owner.collectives.create(BODIES.collectives);
      await owner.collectives.cancel(second.id);
      const { body: third } = await owner.collectives.create(BODIES.collectives);
      await runCleanup({
        lifecycle,
        store: {
          ...store,
          listStale: async (query) => {
            const page = await store.listStale(query);
            return { ...page, items: page.items.filter((item) => item.id === third.id) };
          },
        },
        maxAgeMs: { Pending: 0 },
        remainingMs: () => 60_000,
        safetyMarginMs: 1_000,
        correlationId: 'events-test',
      });

      const expected = [eventId(first.id, 1), eventId(first.id, 2), eventId(second.id, 1), eventId(second.id, 2), eventId(third.id, 1), eventId(third.id, 2)];
      await owner.receiver.waitFor((received) => expected.every((id) => received.some((entry) => entry.id === id)), 15_000, 'six events');

      const byId = (id: string) => owner.receiver.of(id)[0]!;
      for (const id of expected) expect(signedBy(byId(id), owner.endpoint.secret), id).toBe(true);
      expect(uniqueIds(owner.receiver.received).sort()).toEqual([...expected].sort());
      expect(byId(eventId(first.id, 2)).event).toMatchObject({
        type: 'onboarding.status.updated',
        data: {
          id: first.id,
          status: 'Processing',
          version: 2,
          transition: { version: 2, from: 'Pending', to: 'Processing', actor: { type: 'webhook' }, source: 'webhook' },
        },
      });
      expect(byId(eventId(second.id, 2)).event.data.transition).toMatchObject({
        from: 'Pending',
        to: 'Canceled',
        actor: { type: 'principal', id: owner.sub },
        source: 'api',
      });
      expect(byId(eventId(third.id, 2)).event.data).toMatchObject({
        status: 'Canceled',
        errors: [{ code: 'Expired' }],
        transition: { actor: { type: 'system', id: 'cleanup' } },
      });
      // The event's data is the request as GET shows it, at that transition.
      const { transition: _t, ...asGot } = byId(eventId(second.id, 2)).event.data;
      expect(asGot).toEqual((await owner.collectives.get(second.id)).body);
      const created = byId(eventId(first.id, 1)).event;
      expect(created.data.transition).toEqual({
        version: 1,
        from: null,
        to: 'Pending',
        at: created.data.created,
        actor: { type: 'principal', id: owner.sub },
        source: 'api',
      });
      expect(created.timestamp).toBe(created.data.created);
    });

    it("sends only the event types an endpoint subscribed to, and an offboarding's as offboarding.status.updated", async () => {
      const owner = await subscribed({ eventTypes: ['offboarding.status.updated'] });
      const entityId = randomUUID();
      const { body: onboarded } = await owner.entities.create(BODIES.entities);
      await deliver('onboarding.status.updated', onboarded.id, 'Succeeded', { entity: { id: entityId } });
      const { body: offboarding } = await owner.offboardings.create({ entityId });

      await owner.receiver.waitFor((received) => received.some((entry) => entry.id === eventId(offboarding.id, 1)), 15_000, 'the offboarding event');
      await new Promise((resolve) => setTimeout(resolve, 500));

      expect(uniqueIds(owner.receiver.received)).toEqual([eventId(offboarding.id, 1)]);
      expect(owner.receiver.received[0]!.event).toMatchObject({ type: 'offboarding.status.updated', data: { id: offboarding.id, data: { entityId } } });
    });

    it('given a receiver that fails twice, then the same webhook-id comes again on the schedule, and the attempts are listed', async () => {
      const owner = await subscribed();
      owner.receiver.answers = [500, 503];

      const { body: request } = await owner.collectives.create(BODIES.collectives);
      const id = eventId(request.id, 1);
      await owner.receiver.waitFor(() => owner.receiver.of(id).length === 3, 15_000, 'three attempts');

      const attempts = owner.receiver.of(id);
      expect(attempts.map((entry) => entry.body)).toEqual([attempts[0]!.body, attempts[0]!.body, attempts[0]!.body]);
      // About 1 s apart (±20 % jitter), as DELIVERY_RETRY_SECONDS=1,1,2 says.
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(700);
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(700);
      // The worker records an attempt once the receiver has answered it: the list may show it a moment later.
      let listed = await owner.endpoints.deliveries(owner.endpoint.id);
      for (const started = Date.now(); listed.body.data.length < 3 && Date.now() - started < 5_000; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        listed = await owner.endpoints.deliveries(owner.endpoint.id);
      }
      expect(listed.body.data.map((attempt: { attempt: number; statusCode: number }) => [attempt.attempt, attempt.statusCode])).toEqual([
        [3, 200],
        [2, 503],
        [1, 500],
      ]);
      expect(listed.body.data[2]).toMatchObject({
        eventId: id,
        eventType: 'onboarding.status.updated',
        error: null,
        manual: false,
        nextAttemptAt: expect.stringMatching(ISO_UTC),
      });
      expect(listed.body.data[0].nextAttemptAt).toBeNull();
    });

    it('given a receiver that never answers 2xx, then the delivery fails after the schedule; a retry through the API then settles it', async () => {
      const owner = await subscribed();
      owner.receiver.otherwise = 500;

      const { body: request } = await owner.collectives.create(BODIES.collectives);
      const id = eventId(request.id, 1);
      await owner.receiver.waitFor(() => owner.receiver.of(id).length === 4, 20_000, 'four attempts');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const listed = await owner.endpoints.deliveries(owner.endpoint.id);
      expect(listed.body.data).toHaveLength(4);
      expect(listed.body.data[0]).toMatchObject({ attempt: 4, statusCode: 500, nextAttemptAt: null });

      owner.receiver.otherwise = 204;
      const retried = await owner.endpoints.retry(owner.endpoint.id, id);

      expect(retried.body).toMatchObject({ eventId: id, attempt: 5, statusCode: 204, manual: true });
      expect(owner.receiver.of(id)).toHaveLength(5);
      expectProblem(await owner.endpoints.retry(owner.endpoint.id, eventId(randomUUID(), 1)), 404, 'not_found');
      expectProblem(await owner.endpoints.retry(owner.endpoint.id, 'not-an-event'), 400, 'validation_failed');
    });

    it('given a rotated secret, then each delivery of the next 24 h is signed by both, old and new', async () => {
      const owner = await subscribed();
      const rotated = await owner.endpoints.rotateSecret(owner.endpoint.id);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(owner.endpoint.secret);

      const { body: request } = await owner.collectives.create(BODIES.collectives);
      await owner.receiver.waitFor(() => owner.receiver.of(eventId(request.id, 1)).length === 1);

      const [delivery] = owner.receiver.of(eventId(request.id, 1));
      expect(delivery!.signature.split(' ')).toHaveLength(2);
      expect(signedBy(delivery!, owner.endpoint.secret)).toBe(true);
      expect(signedBy(delivery!, rotated.body.secret)).toBe(true);
      expect(signedBy(delivery!, `whsec_${Buffer.from(randomUUID()).toString('base64')}`)).toBe(false);
    });

    it('given a disabled endpoint, then it receives nothing until it is enabled again', async () => {
      const owner = await subscribed();
      await owner.endpoints.update(owner.endpoint.id, { disabled: true });

      const { body: before } = await owner.collectives.create(BODIES.collectives);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await owner.endpoints.update(owner.endpoint.id, { disabled: false });
      const { body: after } = await owner.collectives.create(BODIES.collectives);

      await owner.receiver.waitFor(() => owner.receiver.of(eventId(after.id, 1)).length === 1);
      expect(owner.receiver.of(eventId(before.id, 1))).toEqual([]);
    });

    it.each([
      ['the publisher dies after the commit, before the delivery was written (the batch is read again)', 'PutItemCommand'],
      ['the delivery worker dies after the delivery was written, before it was attempted (Lambda invokes it again)', 'GetItemCommand'],
    ])('given %s, then the event arrives, once', async (_when, command) => {
      const owner = await subscribed();
      const fired = crash.fired;
      Object.assign(crash, { endpointId: owner.endpoint.id, command });

      const { body: request } = await owner.collectives.create(BODIES.collectives);
      const id = eventId(request.id, 1);
      await owner.receiver.waitFor(() => owner.receiver.of(id).length === 1, 15_000, 'the event after the crash');
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      expect(crash.fired).toBe(fired + 1);
      expect(owner.receiver.of(id)).toHaveLength(1);
      expect(signedBy(owner.receiver.of(id)[0]!, owner.endpoint.secret)).toBe(true);
    });

    it('given a second reader of the stream at once, then each event still reaches the endpoint once', async () => {
      const owner = await subscribed();
      const second = await startPublishing();
      try {
        const created = await Promise.all(Array.from({ length: 5 }, () => owner.collectives.create(BODIES.collectives)));
        const ids = created.map((answer) => eventId(answer.body.id, 1));
        await owner.receiver.waitFor((received) => ids.every((id) => received.some((entry) => entry.id === id)), 15_000, 'five events');
        await new Promise((resolve) => setTimeout(resolve, 1_500));

        for (const id of ids) expect(owner.receiver.of(id), id).toHaveLength(1);
      } finally {
        await second.stop();
      }
    });

    it("given another tenant whose 10 endpoints accept and never answer, then a healthy endpoint's events arrive while those attempts still wait", async () => {
      const noisy = await givenTenant();
      const silent = await Promise.all(Array.from({ length: 10 }, () => startSilentReceiver()));
      try {
        const noisyEndpoints: string[] = [];
        for (const endpoint of silent) {
          const created = await noisy.endpoints.create({ url: endpoint.url });
          expect(created.status).toBe(201);
          noisyEndpoints.push(created.body.id);
        }
        const healthy = await subscribed();

        // The noisy tenant's ten requests first, so its 100 deliveries are under way when the healthy ones commit.
        await Promise.all(Array.from({ length: 10 }, () => noisy.collectives.create(BODIES.collectives)));
        await Promise.all(silent.map((endpoint) => waitUntil(() => endpoint.connections() > 0, 'the silent endpoints to be tried')));
        const created = await Promise.all(Array.from({ length: 10 }, () => healthy.collectives.create(BODIES.collectives)));
        const ids = created.map(({ body }) => eventId(body.id, 1));

        // Each silent attempt waits 10 s for an answer: the healthy events must not wait for any of them.
        await healthy.receiver.waitFor((received) => ids.every((id) => received.some((entry) => entry.id === id)), 8_000, 'the healthy events');
        for (const id of noisyEndpoints) {
          expect((await noisy.endpoints.deliveries(id)).body.data, 'no silent attempt has ended yet').toEqual([]);
        }
        // One attempt at a time at an endpoint that never answered: the other nine events wait for it, in no worker.
        expect(silent.map((endpoint) => endpoint.connections())).toEqual(silent.map(() => 1));
      } finally {
        await Promise.all(silent.map((endpoint) => endpoint.close()));
      }
    }, 60_000);

    it('given a new endpoint that answers slowly, then events committed during its first attempt arrive once each, sent after it, not left for the sweep', async () => {
      const tenant = await subscribed();
      tenant.receiver.delayMs = 500;
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) {
        const { body } = await tenant.collectives.create(BODIES.collectives);
        ids.push(eventId(body.id, 1));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }

      // The sweep would send them a minute later at the soonest: these arrive within seconds.
      await tenant.receiver.waitFor((received) => ids.every((id) => received.some((entry) => entry.id === id)), 8_000, 'the five events');
      expect(ids.map((id) => tenant.receiver.of(id).length)).toEqual([1, 1, 1, 1, 1]);
    }, 30_000);

    it("given a storm of 200 transitions, then 200 events arrive, each once past the receiver's dedupe, each as in the trail", async () => {
      const owner = await subscribed();
      const ids: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const created = await Promise.all(Array.from({ length: 10 }, () => owner.collectives.create(BODIES.collectives)));
        ids.push(...created.map((answer) => answer.body.id as string));
      }
      await Promise.all(ids.map((id) => owner.collectives.cancel(id)));

      await owner.receiver.waitFor((received) => uniqueIds(received).length >= 200, 60_000, '200 events');

      const expected = ids.flatMap((id) => [eventId(id, 1), eventId(id, 2)]).sort();
      expect(uniqueIds(owner.receiver.received).sort()).toEqual(expected);
      for (const entry of owner.receiver.received) {
        const { version, to } = entry.event.data.transition;
        expect(entry.id).toBe(eventId(entry.event.data.id, version));
        expect(to).toBe(version === 1 ? 'Pending' : 'Canceled');
      }
    }, 90_000);
  });
});
