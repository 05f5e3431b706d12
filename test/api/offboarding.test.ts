import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { auditRequest } from '../../lib/lifecycle/audit.ts';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import { kinds, store } from '../support/app.ts';
import { BODIES, newMessageId, ownerOf } from '../support/fixtures.ts';
import { invoke, signedWebhookEvent, tenant, token } from '../support/http.ts';
import { allPages, expectProblem, ISO_UTC, type OffboardingApi, offboardingApi, onboardingApi, UUID } from '../support/onboarding-api.ts';

/*
 * The offboarding of an entity, in both modes (in `realto` mode create and cancel go to the
 * fake platform first). An entity is known to a tenant once an entity onboarding of that tenant succeeded
 * and the provider's event named the entity the platform made.
 */

const OFFBOARDING_FIELDS = ['id', 'requestType', 'status', 'principalId', 'created', 'updated', 'version', 'errors', 'data'];

type Event = 'onboarding.status.updated' | 'offboarding.status.updated';

/** A provider's signed status event through the webhook function. */
async function deliver(type: Event, id: string, status: string, extra: Record<string, unknown> = {}, messageId = newMessageId()) {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id, status, ...extra } });
  return invoke(webhooks.handler, signedWebhookEvent(messageId, body));
}

async function givenTenant() {
  const caller = await tenant();
  return {
    ...caller,
    api: offboardingApi(caller.authorization),
    entities: onboardingApi('entities', caller.authorization),
  };
}
type Tenant = Awaited<ReturnType<typeof givenTenant>>;

/** An entity onboarded for the tenant: its onboarding request created and reported Succeeded with the entity. */
async function givenOnboardedEntity(owner: Tenant, entity: Record<string, unknown> = {}) {
  const entityId = randomUUID();
  const created = await owner.entities.create(BODIES.entities);
  expect(created.status).toBe(201);
  const reported = await deliver('onboarding.status.updated', created.body.id, 'Succeeded', { entity: { id: entityId, ...entity } });
  expect(reported.body).toMatchObject({ outcome: 'applied' });
  return { entityId, onboardingRequestId: created.body.id as string };
}

async function givenOffboarding(owner: Tenant) {
  const { entityId } = await givenOnboardedEntity(owner);
  const created = await owner.api.create({ entityId });
  expect(created.status).toBe(201);
  return { entityId, request: created.body };
}

const idsOf = (response: { body: { data: Array<{ id: string }> } }) => response.body.data.map((item) => item.id);
/** Lists order by creation time; a pause keeps two creations from sharing a millisecond. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

async function trailOf(api: OffboardingApi, id: string) {
  const pages = await allPages((query) => api.history(id, query));
  return pages.flatMap((page) => page.body.data);
}

describe('offboarding an entity', () => {
  describe('create', () => {
    it('given an entity onboarded for the tenant, when offboarded, then 201 with Location, ETag "1" and a Pending request in the documented shape', async () => {
      const owner = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);

      const created = await owner.api.create({ entityId });

      expect(created.status).toBe(201);
      const request = created.body;
      expect(created.headers.location).toBe(`/v1/offboarding/entities/${request.id}`);
      expect(created.headers.etag).toBe('"1"');
      expect(Object.keys(request).sort()).toEqual([...OFFBOARDING_FIELDS].sort());
      expect(request).toMatchObject({
        id: expect.stringMatching(UUID),
        requestType: 'Entity',
        status: 'Pending',
        principalId: owner.sub,
        errors: [],
        version: 1,
        data: { entityId, tenantId: owner.tenantId },
      });
      expect(Object.keys(request.data).sort()).toEqual(['entityId', 'tenantId']);
      expect(request.created).toMatch(ISO_UTC);
      expect(request.updated).toBe(request.created);
    });

    it('given an entity that belongs to a collective, then the offboarding names the collective', async () => {
      const owner = await givenTenant();
      const collectiveId = randomUUID();
      const { entityId } = await givenOnboardedEntity(owner, { collectiveId });

      const created = await owner.api.create({ entityId });

      expect(created.body.data).toEqual({ entityId, collectiveId, tenantId: owner.tenantId });
    });

    it('given the entity id in upper case, then it is the same entity', async () => {
      const owner = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);

      const created = await owner.api.create({ entityId: entityId.toUpperCase() });

      expect(created.status).toBe(201);
      expect(created.body.data.entityId).toBe(entityId);
    });

    it('given an entity nobody onboarded, then it is a 404 not_found and nothing is created', async () => {
      const owner = await givenTenant();

      expectProblem(await owner.api.create({ entityId: randomUUID() }), 404, 'not_found');
      expect(idsOf(await owner.api.list())).toEqual([]);
    });

    it('given an entity onboarded by another tenant, then it is a 404, indistinguishable from unknown, and nothing is created', async () => {
      const owner = await givenTenant();
      const stranger = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);

      const refused = await stranger.api.create({ entityId });

      expectProblem(refused, 404, 'not_found');
      expect(refused.body.detail).not.toContain(owner.tenantId);
      expect(idsOf(await stranger.api.list())).toEqual([]);
      expect((await owner.api.create({ entityId })).status).toBe(201);
    });

    it('given an entity onboarding that failed, then the entity it named is not known and the offboarding is a 404', async () => {
      const owner = await givenTenant();
      const entityId = randomUUID();
      const { body: onboarding } = await owner.entities.create(BODIES.entities);
      expect((await deliver('onboarding.status.updated', onboarding.id, 'Failed', { entity: { id: entityId } })).body.outcome).toBe('applied');

      expectProblem(await owner.api.create({ entityId }), 404, 'not_found');
    });

    it('given an open offboarding of the entity, then a second is a 409 offboarding_open naming no request (it may be another tenant’s), and only one exists', async () => {
      const owner = await givenTenant();
      const { entityId, request: first } = await givenOffboarding(owner);

      const second = await owner.api.create({ entityId });

      expectProblem(second, 409, 'offboarding_open');
      expect(second.body.detail).not.toContain(first.id);
      expect(idsOf(await owner.api.list())).toEqual([first.id]);
    });

    it('given 12 creates for one entity at once, then exactly one is 201, the others 409 offboarding_open, and one request exists', async () => {
      const owner = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);

      const answers = await Promise.all(Array.from({ length: 12 }, () => owner.api.create({ entityId })));

      const created = answers.filter((answer) => answer.status === 201);
      expect(created).toHaveLength(1);
      for (const answer of answers.filter((each) => each.status !== 201)) expectProblem(answer, 409, 'offboarding_open');
      expect(idsOf(await owner.api.list())).toEqual([created[0]!.body.id]);
    });

    it('given the open offboarding was canceled, then the entity may be offboarded again', async () => {
      const owner = await givenTenant();
      const { entityId, request: first } = await givenOffboarding(owner);
      expect((await owner.api.cancel(first.id)).status).toBe(200);

      const again = await owner.api.create({ entityId });

      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(first.id);
    });

    it('given the offboarding failed, then the entity is still onboarded and may be offboarded again', async () => {
      const owner = await givenTenant();
      const { entityId, request: first } = await givenOffboarding(owner);
      expect(
        (await deliver('offboarding.status.updated', first.id, 'Failed', { errors: [{ code: 'DeviceOffline', message: 'No answer' }] })).body.outcome,
      ).toBe('applied');

      expect((await owner.api.create({ entityId })).status).toBe(201);
    });

    it('given the entity was offboarded, then it is no longer known: a new offboarding is a 404', async () => {
      const owner = await givenTenant();
      const { entityId, request: first } = await givenOffboarding(owner);
      expect((await deliver('offboarding.status.updated', first.id, 'Succeeded')).body.outcome).toBe('applied');

      expectProblem(await owner.api.create({ entityId }), 404, 'not_found');
    });

    it('given the entity was offboarded and then onboarded again, then it may be offboarded again', async () => {
      const owner = await givenTenant();
      const { entityId, request: first } = await givenOffboarding(owner);
      await deliver('offboarding.status.updated', first.id, 'Succeeded');
      const { body: again } = await owner.entities.create(BODIES.entities);
      expect((await deliver('onboarding.status.updated', again.id, 'Succeeded', { entity: { id: entityId } })).body.outcome).toBe('applied');

      expect((await owner.api.create({ entityId })).status).toBe(201);
    });
  });

  describe('Idempotency-Key', () => {
    it('given the same key and body twice, then both answer 201 with the same request and only one exists', async () => {
      const owner = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };

      const first = await owner.api.create({ entityId }, { headers });
      const second = await owner.api.create({ entityId }, { headers });

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.location).toBe(first.headers.location);
      expect(idsOf(await owner.api.list())).toEqual([first.body.id]);
    });

    it('given the same key for another entity, then it is a 422 idempotency_key_reused and nothing more is created', async () => {
      const owner = await givenTenant();
      const one = await givenOnboardedEntity(owner);
      const other = await givenOnboardedEntity(owner);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const first = await owner.api.create({ entityId: one.entityId }, { headers });

      expectProblem(await owner.api.create({ entityId: other.entityId }, { headers }), 422, 'idempotency_key_reused');
      expect(idsOf(await owner.api.list())).toEqual([first.body.id]);
    });

    it('given a key used for an entity onboarding, then the offboarding with that key is its own request', async () => {
      const owner = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const onboarding = await owner.entities.create(BODIES.entities, { headers });

      const offboarding = await owner.api.create({ entityId }, { headers });

      expect(offboarding.status).toBe(201);
      expect(offboarding.body.id).not.toBe(onboarding.body.id);
      expect(offboarding.body.data.entityId).toBe(entityId);
    });
  });

  describe('bad input changes nothing', () => {
    const BAD_BODIES: Array<[string, unknown]> = [
      ['no entityId', {}],
      ['an entityId that is not a uuid', { entityId: 'battery-1' }],
      ['an entityId that is a number', { entityId: 42 }],
      ['an unknown field', { entityId: randomUUID(), reason: 'moving out' }],
      ['another tenant named in the body', { entityId: randomUUID(), tenantId: randomUUID() }],
      ['an array', [{ entityId: randomUUID() }]],
    ];

    it.each(BAD_BODIES)('given %s, then it is a 400 validation_failed and nothing is created', async (_case, body) => {
      const owner = await givenTenant();
      const { entityId } = await givenOnboardedEntity(owner);

      const refused = await owner.api.create(body);

      expectProblem(refused, 400, 'validation_failed');
      expect(idsOf(await owner.api.list())).toEqual([]);
      expect((await owner.api.create({ entityId })).status).toBe(201);
    });

    it('given a body that is not JSON, then it is a 400 malformed_json', async () => {
      const owner = await givenTenant();

      expectProblem(await owner.api.create(undefined, { rawBody: '{"entityId": ', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
    });

    it('given a body over the size limit, then it is a 413 and nothing is created', async () => {
      const owner = await givenTenant();

      const refused = await owner.api.create({ entityId: randomUUID(), padding: 'x'.repeat(300 * 1024) });

      expectProblem(refused, 413, 'payload_too_large');
      expect(idsOf(await owner.api.list())).toEqual([]);
    });

    it('given an id that is not a uuid, then get, cancel and history are 400s, not lookups', async () => {
      const owner = await givenTenant();

      for (const answer of [await owner.api.get('not-a-uuid'), await owner.api.cancel('1 OR 1=1'), await owner.api.history('../x')]) {
        expectProblem(answer, 400, 'validation_failed');
      }
    });

    it('given a token without onboarding:write, then create and cancel are 403 and nothing changes', async () => {
      const owner = await givenTenant();
      const { entityId, request } = await givenOffboarding(owner);
      const reader = offboardingApi(`Bearer ${await token({ tenantId: owner.tenantId, sub: owner.sub, scope: 'onboarding:read' })}`);

      expectProblem(await reader.create({ entityId }), 403, 'forbidden');
      expectProblem(await reader.cancel(request.id), 403, 'forbidden');
      expect((await reader.get(request.id)).status).toBe(200);
      expect((await owner.api.get(request.id)).body).toMatchObject({ status: 'Pending', version: 1 });
    });

    it('given no token, then every offboarding route is a 401', async () => {
      const anonymous = offboardingApi();

      for (const answer of [
        await anonymous.create({ entityId: randomUUID() }),
        await anonymous.list(),
        await anonymous.get(randomUUID()),
        await anonymous.cancel(randomUUID()),
        await anonymous.history(randomUUID()),
      ])
        expectProblem(answer, 401, 'unauthorized');
    });
  });

  describe('get, list and history', () => {
    it('given an offboarding, when fetched, then it answers 200 with ETag and the same request', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);

      const fetched = await owner.api.get(request.id);

      expect(fetched.status).toBe(200);
      expect(fetched.headers.etag).toBe('"1"');
      expect(fetched.body).toEqual(request);
    });

    it("given another tenant's offboarding, then get, cancel and history are 404s and nothing changes", async () => {
      const owner = await givenTenant();
      const stranger = await givenTenant();
      const { request } = await givenOffboarding(owner);

      expectProblem(await stranger.api.get(request.id), 404, 'not_found');
      expectProblem(await stranger.api.cancel(request.id), 404, 'not_found');
      expectProblem(await stranger.api.history(request.id), 404, 'not_found');
      expect(idsOf(await stranger.api.list())).toEqual([]);
      expect((await owner.api.get(request.id)).body).toMatchObject({ status: 'Pending', version: 1 });
    });

    it('given an onboarding request id, then the offboarding routes do not serve it, nor the onboarding routes an offboarding', async () => {
      const owner = await givenTenant();
      const { entityId, onboardingRequestId } = await givenOnboardedEntity(owner);
      const { body: offboarding } = await owner.api.create({ entityId });

      expectProblem(await owner.api.get(onboardingRequestId), 404, 'not_found');
      expectProblem(await owner.api.cancel(onboardingRequestId), 404, 'not_found');
      expectProblem(await owner.entities.get(offboarding.id), 404, 'not_found');
      expectProblem(await owner.entities.cancel(offboarding.id), 404, 'not_found');
      expect(idsOf(await owner.entities.list())).toEqual([onboardingRequestId]);
      expect(idsOf(await owner.api.list())).toEqual([offboarding.id]);
    });

    it('given 5 offboardings and pageSize 2, when following links.next, then pages of 2, 2, 1 hold each once, newest first', async () => {
      const owner = await givenTenant();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await givenOffboarding(owner)).request.id);
        await pause();
      }

      const pages = await allPages((query) => owner.api.list(query), { pageSize: '2' });

      expect(pages.map((page) => page.body.data.length)).toEqual([2, 2, 1]);
      expect(pages.flatMap(idsOf)).toEqual([...ids].reverse());
      expect(pages[0]!.body.links.next).toContain('/v1/offboarding/entities?');
    });

    it('given offboardings in several statuses, when listed by status, then only those are listed', async () => {
      const owner = await givenTenant();
      const pending = (await givenOffboarding(owner)).request;
      const canceled = (await givenOffboarding(owner)).request;
      await owner.api.cancel(canceled.id);

      expect(idsOf(await owner.api.list({ status: 'Pending' }))).toEqual([pending.id]);
      expect(idsOf(await owner.api.list({ status: 'Canceled' }))).toEqual([canceled.id]);
    });

    it('given a status offboardings never have, or a continuation token of the onboarding list, then it is a 400', async () => {
      const owner = await givenTenant();
      await givenOffboarding(owner);
      await givenOffboarding(owner);
      const onboardingPage = await owner.entities.list({ pageSize: '1' });

      expectProblem(await owner.api.list({ status: 'Processing' }), 400, 'validation_failed');
      expectProblem(await owner.api.list({ continuationToken: onboardingPage.body.meta.continuationToken }), 400, 'invalid_continuation_token');
    });

    it('given a new offboarding, then its trail holds one record, bound to it, that the audit accepts', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);

      const trail = await trailOf(owner.api, request.id);

      expect(trail).toEqual([
        expect.objectContaining({
          version: 1,
          from: null,
          to: 'Pending',
          actor: { type: 'principal', id: owner.sub },
          source: 'api',
          previousHash: null,
        }),
      ]);
      expect(verifyChain(trail, ownerOf(request))).toEqual([]);
      expect(await auditRequest(store, kinds, request.id)).toEqual([]);
    });
  });

  describe('cancel', () => {
    it('given a Pending offboarding, when canceled, then 200 Canceled at version 2, recorded in the trail', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);

      const canceled = await owner.api.cancel(request.id);

      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({ id: request.id, status: 'Canceled', version: 2 });
      expect(canceled.headers.etag).toBe('"2"');
      const trail = await trailOf(owner.api, request.id);
      expect(trail.map((record) => [record.from, record.to])).toEqual([
        [null, 'Pending'],
        ['Pending', 'Canceled'],
      ]);
      expect(verifyChain(trail, ownerOf(request))).toEqual([]);
    });

    it('given a Canceled offboarding, when canceled again, then 200 with it unchanged and nothing recorded', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);
      const first = await owner.api.cancel(request.id);

      const again = await owner.api.cancel(request.id);

      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await trailOf(owner.api, request.id)).toHaveLength(2);
    });

    it.each(['Succeeded', 'Failed'] as const)('given a %s offboarding, when canceled, then 409 invalid_transition and nothing changes', async (status) => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);
      await deliver('offboarding.status.updated', request.id, status);

      expectProblem(await owner.api.cancel(request.id), 409, 'invalid_transition');
      expect((await owner.api.get(request.id)).body).toMatchObject({ status, version: 2 });
      expect(await trailOf(owner.api, request.id)).toHaveLength(2);
    });
  });

  describe('provider events', () => {
    it('given offboarding.status.updated Succeeded, then it is applied with actor and reason, and the trail verifies', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);
      const messageId = newMessageId();

      const answer = await deliver('offboarding.status.updated', request.id, 'Succeeded', {}, messageId);

      expect(answer.body).toEqual({ outcome: 'applied', version: 2 });
      expect((await owner.api.get(request.id)).body).toMatchObject({ status: 'Succeeded', version: 2 });
      const trail = await trailOf(owner.api, request.id);
      expect(trail[1]).toMatchObject({ from: 'Pending', to: 'Succeeded', source: 'webhook', actor: { id: messageId } });
      expect(verifyChain(trail, ownerOf(request))).toEqual([]);
      expect(await auditRequest(store, kinds, request.id)).toEqual([]);
    });

    it('given the same event twice, then the second is a duplicate and nothing more is recorded', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);
      const messageId = newMessageId();
      const body = JSON.stringify({ type: 'offboarding.status.updated', timestamp: new Date().toISOString(), data: { id: request.id, status: 'Failed' } });

      await invoke(webhooks.handler, signedWebhookEvent(messageId, body));
      const again = await invoke(webhooks.handler, signedWebhookEvent(messageId, body));

      expect(again.body).toEqual({ outcome: 'duplicate' });
      expect(await trailOf(owner.api, request.id)).toHaveLength(2);
    });

    it('given Processing, a status offboardings do not have, then it is ignored and nothing changes', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);

      const answer = await deliver('offboarding.status.updated', request.id, 'Processing');

      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ outcome: 'ignored' });
      expect((await owner.api.get(request.id)).body).toMatchObject({ status: 'Pending', version: 1 });
    });

    it('given an onboarding event about an offboarding, or an offboarding event about an onboarding, then each is ignored', async () => {
      const owner = await givenTenant();
      const { request } = await givenOffboarding(owner);
      const { body: onboarding } = await owner.entities.create(BODIES.entities);

      const wrongForOffboarding = await deliver('onboarding.status.updated', request.id, 'Succeeded');
      const wrongForOnboarding = await deliver('offboarding.status.updated', onboarding.id, 'Succeeded');

      expect(wrongForOffboarding.body).toMatchObject({ outcome: 'ignored' });
      expect(wrongForOnboarding.body).toMatchObject({ outcome: 'ignored' });
      expect((await owner.api.get(request.id)).body).toMatchObject({ status: 'Pending', version: 1 });
      expect((await owner.entities.get(onboarding.id)).body).toMatchObject({ status: 'Pending', version: 1 });
    });

    it('given an event about an offboarding nobody has, then it is a 404 so the sender retries', async () => {
      expectProblem(await deliver('offboarding.status.updated', randomUUID(), 'Succeeded'), 404, 'not_found');
    });

    it('given a cancel and a Succeeded event racing, then exactly one wins, the other changes nothing, and the trail verifies', async () => {
      const owner = await givenTenant();
      for (let round = 0; round < 5; round++) {
        const { request } = await givenOffboarding(owner);

        const [canceled, reported] = await Promise.all([owner.api.cancel(request.id), deliver('offboarding.status.updated', request.id, 'Succeeded')]);

        const final = (await owner.api.get(request.id)).body;
        expect(final.version).toBe(2);
        if (final.status === 'Canceled') {
          expect(canceled.status).toBe(200);
          expect(reported.body).toMatchObject({ outcome: 'ignored' });
        } else {
          expect(final.status).toBe('Succeeded');
          expectProblem(canceled, 409, 'invalid_transition');
          expect(reported.body).toEqual({ outcome: 'applied', version: 2 });
        }
        const trail = await trailOf(owner.api, request.id);
        expect(trail).toHaveLength(2);
        expect(verifyChain(trail, ownerOf(request))).toEqual([]);
      }
    });
  });
});
