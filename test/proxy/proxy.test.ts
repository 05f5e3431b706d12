import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { problemResponse } from '../../lib/http/problem.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { ENTITY_OFFBOARDING } from '../../lib/kinds/entity-offboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';
import { ALL_KINDS, platformPathsOf } from '../../lib/kinds/index.ts';
import { runCleanup } from '../../lib/lifecycle/cleanup.ts';
import { UnavailableError } from '../../lib/lifecycle/errors.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle, type Lifecycle } from '../../lib/lifecycle/lifecycle.ts';
import { type Call, createRequests, type PageQuery } from '../../lib/lifecycle/requests.ts';
import type { Caller } from '../../lib/lifecycle/types.ts';
import { createPlatformMirror, type ProxyOptions, type UpstreamRequests } from '../../lib/proxy/mirror.ts';
import { createRealtoClient } from '../../lib/proxy/realto-client.ts';
import { reconcileOpenRequests } from '../../lib/proxy/reconcile.ts';
import { mirroredRequests } from '../../lib/proxy/requests.ts';
import { requests as ownRequests, served, store } from '../support/app.ts';
import { consentLinks, caller as newCaller, testNotary } from '../support/fixtures.ts';
import { type FakeRealto, startFakeRealto } from '../upstream/fake-realto.ts';

/**
 * Proxy-only behaviour, against a fake Realto platform this file controls, on the shared table. The API
 * suite itself runs in proxy mode through the `realto` project of vitest.config.ts.
 */
const PLATFORM_PATHS = platformPathsOf(ALL_KINDS);
const kinds = registryOf(ALL_KINDS);

/**
 * Proxy mode as lib/app/app.ts composes it, every kind in one object called by the public requestType the
 * tests speak in: each kind's requests on the core, decorated for the platform, and the mirror's own steps.
 */
function createProxyService(core: Lifecycle, upstream: UpstreamRequests, options: ProxyOptions = {}) {
  const mirror = createPlatformMirror(core, upstream, kinds, options);
  const own = { consentLinks: consentLinks('https://consent.test/', 'https://docs.test'), allowLoopbackHttpReturnUrl: true };
  const of = {
    Collective: mirroredRequests(createRequests(COLLECTIVE_ONBOARDING, core, own), mirror),
    Entity: mirroredRequests(createRequests(ENTITY_ONBOARDING, core, own), mirror),
  };
  const offboarding = mirroredRequests(createRequests(ENTITY_OFFBOARDING, core, own), mirror);
  type Type = keyof typeof of;
  const call = (correlationId: string, extra: Partial<Call> = {}): Call => ({ correlationId, ...extra });
  return {
    create: (type: Type, input: any, who: Caller, correlationId: string, idempotencyKey?: string) =>
      of[type].create(input, who, call(correlationId, { idempotencyKey })),
    get: (type: Type, id: string, who: Caller) => of[type].get(id, who, call(`get:${id}`)),
    list: (type: Type, who: Caller, query: Record<string, string>, correlationId = 'list', remainingMs?: () => number) =>
      of[type].list(who, query, call(correlationId, { remainingMs })),
    cancel: (type: Type, id: string, who: Caller, correlationId: string) => of[type].cancel(id, who, call(correlationId)),
    history: (type: Type, id: string, who: Caller, query: PageQuery) => of[type].history(id, who, query),
    observeOnPlatform: (kind: string, id: string, correlationId: string) => mirror.observeOpen({ id, kind, status: 'Pending', updated: '' }, correlationId),
    cancelBeforeExpiry: mirror.cancelBeforeExpiry,
    offboarding: {
      create: (input: { entityId: string }, who: Caller, correlationId: string) => offboarding.create(input, who, call(correlationId)),
      get: (id: string, who: Caller) => offboarding.get(id, who, call('get')),
      list: (who: Caller, query: Record<string, string>) => offboarding.list(who, query, call('list')),
      cancel: (id: string, who: Caller, correlationId: string) => offboarding.cancel(id, who, call(correlationId)),
      history: (id: string, who: Caller, query: PageQuery) => offboarding.history(id, who, query),
    },
  };
}

/** What the platform holds of a kind, read as an operator would (not through the client under test). */
async function platformPage(collection: 'collectives' | 'entities') {
  const page = await createRealtoClient({ paths: PLATFORM_PATHS, ...fake }).read(`/v1/onboarding/${collection}?pageSize=100`);
  return (page as { data: Array<{ id: string; status: string }> }).data;
}

let fake: FakeRealto;
let proxy: ReturnType<typeof createProxyService>;
let local: ReturnType<typeof localService>;

const caller = () => newCaller('proxy-test');

async function status(error: Promise<unknown>) {
  try {
    await error;
  } catch (caught) {
    const response = problemResponse(caught, 'test');
    return { status: response.statusCode, code: JSON.parse(response.body as string).code as string };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  fake = await startFakeRealto();
});
afterAll(() => fake.close());
/** The lifecycle core on the shared table (or on one that fails as given), as the proxy wraps it. */
function localService(onStore: typeof store = store) {
  return createLifecycle({ notary: testNotary(), store: onStore, pageTokens: createPageTokens('proxy-test'), kinds });
}

beforeEach(() => {
  fake.reset();
  local = localService();
  proxy = createProxyService(local, createRealtoClient({ paths: PLATFORM_PATHS, ...fake, timeoutMs: 300, retries: 1, backoffBaseMs: 1 }));
});

describe('proxy mode', () => {
  it('runs the API of this project through the platform (the runtime is the proxy service)', () => {
    expect(served).not.toBe(ownRequests.entities);
    expect(Object.keys(served).sort()).toEqual(['cancel', 'create', 'get', 'history', 'list']);
  });

  it('given several calls, then one platform token serves them all', async () => {
    const who = caller();
    const { request } = await proxy.create('Entity', { type: 'Battery', manufacturer: 'Tesla' }, who, 'c1');
    await proxy.get('Entity', request.id, who);
    await proxy.cancel('Entity', request.id, who, 'c2');
    expect(fake.authCalls).toBe(1);
    expect(fake.hits('POST /v1/onboarding/entities')).toBe(1);
  });

  it('given the platform answers 5xx, when creating, then 502 and nothing is written here', async () => {
    const who = caller();
    fake.behaviour.failures = 5;
    fake.behaviour.failureStatus = 500;
    expect(await status(proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c'))).toEqual({ status: 502, code: 'upstream_unavailable' });
    expect((await proxy.list('Collective', who, {})).items).toEqual([]);
  });

  it('given the platform is too slow, when reading, then 504 and the request is unchanged', async () => {
    const who = caller();
    const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
    fake.behaviour.delayMs = 1_000;
    expect(await status(proxy.get('Collective', request.id, who))).toEqual({ status: 504, code: 'upstream_timeout' });
    fake.behaviour.delayMs = 0;
    const trail = await proxy.history('Collective', request.id, who, {});
    expect(trail.items.map((record) => record.to)).toEqual(['Pending']);
  });

  it('given the platform refuses a cancel, then its message comes back as a 400 and nothing is recorded', async () => {
    const who = caller();
    const { request } = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'c');
    fake.behaviour.rejectCancelWith = 'Only Onboarding Requests in Pending status can be cancelled';
    expect(await status(proxy.cancel('Entity', request.id, who, 'c'))).toEqual({ status: 400, code: 'upstream_rejected' });
    expect((await proxy.history('Entity', request.id, who, {})).items).toHaveLength(1);
  });

  it('given a change seen only by the reconciliation, when it runs twice, then it is recorded once with actor upstream', async () => {
    const who = caller();
    const { request } = await proxy.create('Entity', { type: 'HeatPump', manufacturer: 'Daikin' }, who, 'c');
    fake.seed('entities', { id: request.id, status: 'Processing' });
    const isOurs = (id: string) => id === request.id;
    const ownStore = {
      openShards: store.openShards,
      listStale: async (query: Parameters<typeof store.listStale>[0]) => {
        const page = await store.listStale(query);
        return { ...page, items: page.items.filter((open) => isOurs(open.id)) };
      },
    };
    for (let run = 0; run < 2; run++) {
      await reconcileOpenRequests({
        store: ownStore,
        check: (open) => proxy.observeOnPlatform(open.kind, open.id, `run-${run}`),
        remainingMs: () => 60_000,
        safetyMarginMs: 0,
      });
    }
    const trail = (await proxy.history('Entity', request.id, who, {})).items;
    expect(trail.map((record) => [record.to, record.actor.type, record.source])).toEqual([
      ['Pending', 'principal', 'api'],
      ['Processing', 'upstream', 'upstream'],
    ]);
  });

  it('given a create, then the consent link is the one the platform gave, not ours', async () => {
    const { request } = await proxy.create('Entity', { type: 'PV', manufacturer: 'SMA' }, caller(), 'c');
    expect(request.action?.redirectLink).toBe(`https://platform.realto.io/consent/${request.id}`);
    expect(request.action?.documentationLink).toBe('https://docs.realto.io/guides/manual-onboarding');
  });

  it('given the platform reports a status in the answer to a get, then it is recorded with actor upstream', async () => {
    const who = caller();
    const { request } = await proxy.create('Collective', { name: 'Farm', type: 'SolarFarm' }, who, 'c');
    fake.seed('collectives', { id: request.id, status: 'Failed', errors: [{ code: 'Rejected', message: 'No consent' }] });
    const seen = await proxy.get('Collective', request.id, who);
    expect(seen).toMatchObject({ status: 'Failed', version: 2, errors: [{ code: 'Rejected', message: 'No consent' }] });
  });

  describe("mirroring the platform's answers", () => {
    it("given a create, then the platform's snapshot is kept, with our tenant as owner", async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
      const onPlatform = await createRealtoClient({ paths: PLATFORM_PATHS, ...fake }).getRequest('onboarding/collectives', request.id);
      const platformData = onPlatform.data as { collective: { id: string }; tenant: Record<string, unknown>; client: Record<string, unknown> };
      expect(request.data.collective).toMatchObject({ id: platformData.collective.id, name: 'Home', type: 'Household' });
      expect(request.data.tenant).toEqual({ ...platformData.tenant, id: who.tenantId });
      expect(request.data.client).toEqual(platformData.client);
      expect(await proxy.get('Collective', request.id, who)).toEqual(request);
    });

    it("given the platform's snapshot changed but not its status, when reading, then the change shows and no transition is recorded", async () => {
      const who = caller();
      const { request } = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla', vin: '5YJ3E1EA7KF000001' }, who, 'c');
      const held = fake.update('entities', request.id, {}) as { data: { entity: Record<string, unknown> } };
      fake.update('entities', request.id, {
        data: { ...held.data, entity: { ...held.data.entity, systemProperties: { pairing: 'started' } }, user: { id: randomUUID(), language: 'nl' } },
      });
      const seen = await proxy.get('Entity', request.id, who);
      expect(seen.data.entity).toMatchObject({ systemProperties: { pairing: 'started' }, information: { manufacturer: 'Tesla', vin: '5YJ3E1EA7KF000001' } });
      expect(seen.data.user).toMatchObject({ language: 'nl' });
      expect(seen).toMatchObject({ status: 'Pending', version: 1 });
      expect((await proxy.history('Entity', request.id, who, {})).items).toHaveLength(1);
      const listed = await proxy.list('Entity', who, { manufacturer: 'Tesla' });
      expect(listed.items.map((item) => item.data.entity?.systemProperties)).toEqual([{ pairing: 'started' }]);
    });

    it('given the platform finished a request and created its entity, then the transition carries the entity id', async () => {
      const who = caller();
      const { request } = await proxy.create('Entity', { type: 'HeatPump', manufacturer: 'Daikin' }, who, 'c');
      const entityId = randomUUID();
      const held = fake.update('entities', request.id, {}) as { data: { entity: Record<string, unknown> } };
      fake.update('entities', request.id, { status: 'Succeeded', data: { ...held.data, entity: { ...held.data.entity, id: entityId } } });
      const seen = await proxy.get('Entity', request.id, who);
      expect(seen).toMatchObject({ status: 'Succeeded', version: 2, action: null, data: { entity: { id: entityId, type: 'HeatPump' } } });
      const trail = (await proxy.history('Entity', request.id, who, {})).items;
      expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
        ['Pending', 'principal'],
        ['Succeeded', 'upstream'],
      ]);
    });

    it("given a platform snapshot naming another tenant, then the request still belongs to and shows the caller's tenant", async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Fleet', type: 'Fleet' }, who, 'c');
      const held = fake.update('collectives', request.id, {}) as { data: Record<string, Record<string, unknown>> };
      fake.update('collectives', request.id, { data: { ...held.data, tenant: { ...held.data.tenant, id: randomUUID() } } });
      expect((await proxy.get('Collective', request.id, who)).data.tenant.id).toBe(who.tenantId);
    });

    it('given an oversized platform snapshot, then it is not mirrored and the request keeps what it had', async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
      fake.update('collectives', request.id, { data: { collective: { properties: { blob: 'x'.repeat(70 * 1024) } } } });
      expect((await proxy.get('Collective', request.id, who)).data).toEqual(request.data);
    });
  });

  describe('lists in proxy mode', () => {
    it('given a request the platform finished, when listing without reading it first, then the list shows it finished and records it once', async () => {
      const who = caller();
      const done = await proxy.create('Entity', { type: 'Battery', manufacturer: 'Sonnen' }, who, 'c');
      const open = await proxy.create('Entity', { type: 'Battery', manufacturer: 'Sonnen' }, who, 'c');
      fake.update('entities', done.request.id, { status: 'Succeeded' });
      const listed = await proxy.list('Entity', who, {});
      expect(listed.items.map((item) => [item.id, item.status])).toEqual([
        [open.request.id, 'Pending'],
        [done.request.id, 'Succeeded'],
      ]);
      await proxy.list('Entity', who, {});
      const trail = (await proxy.history('Entity', done.request.id, who, {})).items;
      expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
        ['Pending', 'principal'],
        ['Succeeded', 'upstream'],
      ]);
      // Finished requests are not asked about again.
      const asked = fake.hits('GET /v1/onboarding/entities/{id}');
      await proxy.list('Entity', who, {});
      expect(fake.hits('GET /v1/onboarding/entities/{id}') - asked).toBe(1);
    });

    it('given a page of 20 open requests and a slow platform, then at most 8 are asked about at once', async () => {
      const who = caller();
      for (let i = 0; i < 20; i++) await proxy.create('Collective', { name: `Home ${i}`, type: 'Household' }, who, 'c');
      fake.behaviour.delayMs = 40;
      const listed = await proxy.list('Collective', who, { pageSize: '20' });
      expect(listed.items).toHaveLength(20);
      expect(fake.mostInFlight).toBeGreaterThan(1);
      expect(fake.mostInFlight).toBeLessThanOrEqual(8);
    });

    it('given a status filter, then a request that left that status on the platform is not in the page', async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
      fake.update('collectives', request.id, { status: 'Processing' });
      expect((await proxy.list('Collective', who, { status: 'Pending' })).items).toEqual([]);
      expect((await proxy.list('Collective', who, { status: 'Processing' })).items.map((item) => item.id)).toEqual([request.id]);
    });

    it('given one request the platform no longer knows, then the list still answers, with our copy of it', async () => {
      const who = caller();
      const gone = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'c');
      const moved = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'c');
      fake.remove('entities', gone.request.id);
      fake.update('entities', moved.request.id, { status: 'Processing' });
      const listed = await proxy.list('Entity', who, {});
      expect(listed.items.map((item) => [item.id, item.status])).toEqual([
        [moved.request.id, 'Processing'],
        [gone.request.id, 'Pending'],
      ]);
    });

    it('given a platform slower than the time left, then the list answers in time with our copies', async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
      fake.update('collectives', request.id, { status: 'Processing' });
      fake.behaviour.delayMs = 2_000;
      const started = Date.now();
      const listed = await proxy.list('Collective', who, {}, 'c', () => 1_700);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(listed.items.map((item) => item.status)).toEqual(['Pending']);
      // The call the list stopped waiting for times out and retries once (300 ms each): let it end here,
      // not in the next test.
      await new Promise((resolve) => setTimeout(resolve, 800));
    });

    it('given the time runs out, then no further platform calls are sent for the rest of the page', async () => {
      const who = caller();
      for (let i = 0; i < 20; i++) await proxy.create('Collective', { name: `Home ${i}`, type: 'Household' }, who, 'c');
      const asked = () => fake.requestsAsked('GET /v1/onboarding/collectives/{id}');
      fake.behaviour.delayMs = 250;
      await proxy.list('Collective', who, { pageSize: '20' }, 'c', () => 1_600);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(asked()).toBe(8);
      await proxy.list('Collective', who, { pageSize: '20' }, 'c', () => 1_000);
      expect(asked()).toBe(8);
    });

    it('given the platform fails, when listing, then 502 and nothing is recorded', async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
      fake.update('collectives', request.id, { status: 'Processing' });
      fake.behaviour.failures = 5;
      fake.behaviour.failureStatus = 500;
      expect(await status(proxy.list('Collective', who, {}))).toEqual({ status: 502, code: 'upstream_unavailable' });
      expect((await proxy.history('Collective', request.id, who, {})).items).toHaveLength(1);
    });
  });

  it('given the platform refuses a cancel because the request succeeded there, then 409 and Succeeded is recorded', async () => {
    const who = caller();
    const { request } = await proxy.create('Entity', { type: 'SolarPlant', manufacturer: 'SMA' }, who, 'c');
    fake.update('entities', request.id, { status: 'Succeeded' });
    expect(await status(proxy.cancel('Entity', request.id, who, 'c'))).toEqual({ status: 409, code: 'invalid_transition' });
    const trail = (await proxy.history('Entity', request.id, who, {})).items;
    expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
      ['Pending', 'principal'],
      ['Succeeded', 'upstream'],
    ]);
  });

  it('given the platform answers a cancel with another status, then 409 and that status is what gets recorded', async () => {
    const who = caller();
    const { request } = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'c');
    // A platform whose cancel does not cancel a request that has just succeeded, and says so.
    const platform = createRealtoClient({ paths: PLATFORM_PATHS, ...fake });
    const answering = createProxyService(localService(), {
      ...platform,
      cancelRequest: async (where, id) => ({ ...(await platform.getRequest(where, id)), status: 'Succeeded' }),
    });
    expect(await status(answering.cancel('Entity', request.id, who, 'c'))).toEqual({ status: 409, code: 'invalid_transition' });
    const trail = (await proxy.history('Entity', request.id, who, {})).items;
    expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
      ['Pending', 'principal'],
      ['Succeeded', 'upstream'],
    ]);
  });

  describe('a status this service does not know', () => {
    /** A platform that answers a cancel, and any read, with the request in a status it added since. */
    function archivingProxy() {
      const platform = createRealtoClient({ paths: PLATFORM_PATHS, ...fake });
      const archived = async (where: string, id: string) => ({ ...(await platform.getRequest(where, id)), status: 'Archived' });
      const unknown: Array<{ platformId: string; status: string }> = [];
      const service = createProxyService(
        localService(),
        { ...platform, cancelRequest: archived, getRequest: archived },
        {
          onUnknownStatus: (detail) => unknown.push({ platformId: detail.platformId, status: detail.status }),
        },
      );
      return { service, unknown };
    }

    it('given the platform answers a cancel with an unknown status, then 502, nothing is recorded, and it is reported', async () => {
      const who = caller();
      const { request } = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'c');
      const { service, unknown } = archivingProxy();

      expect(await status(service.cancel('Entity', request.id, who, 'c'))).toEqual({ status: 502, code: 'upstream_unavailable' });

      const trail = (await proxy.history('Entity', request.id, who, {})).items;
      expect(trail.map((record) => record.to)).toEqual(['Pending']);
      expect(unknown).toEqual([{ platformId: request.id, status: 'Archived' }]);
    });

    it('given the cleanup meets an unknown status on the platform, then it expires nothing and records nothing: never a false Expired', async () => {
      const who = caller();
      const { request } = await proxy.create('Collective', { name: 'Home', type: 'Household' }, who, 'c');
      const { service, unknown } = archivingProxy();

      expect(await service.cancelBeforeExpiry({ id: request.id, kind: 'Collective', status: 'Pending', updated: request.updated }, 'cleanup-test')).toBe(false);
      expect(await service.observeOnPlatform('Collective', request.id, 'reconcile-test')).toEqual({ outcome: 'not-understood' });

      const trail = (await proxy.history('Collective', request.id, who, {})).items;
      expect(trail.map((record) => record.to)).toEqual(['Pending']);
      expect(unknown).toHaveLength(2);
    });
  });

  describe('a create the platform made but we could not keep', () => {
    /** What the platform holds of one kind, read through the client's list. */
    async function onPlatform(kind: 'collectives' | 'entities') {
      return (await platformPage(kind)).map((request) => request.status);
    }

    it('given our table fails after the platform created the request (throttling, simulated: DynamoDB Local cannot throttle), then it is canceled there and the caller gets 503', async () => {
      const failing = createProxyService(
        localService({
          ...store,
          insert: async () => {
            throw new UnavailableError('The database is busy; retry shortly.', 1);
          },
        }),
        createRealtoClient({ paths: PLATFORM_PATHS, ...fake, timeoutMs: 1_000 }),
      );
      expect(await status(failing.create('Collective', { name: 'Home', type: 'Household' }, caller(), 'c'))).toEqual({
        status: 503,
        code: 'service_unavailable',
      });
      expect(await onPlatform('collectives')).toEqual(['Canceled']);
    });

    /** A proxy whose table fails as given (DynamoDB Local cannot be made to fail on cue), with its untracked reports. */
    function failingProxy(failing: Partial<typeof store>) {
      const reports: Array<{ platformId: string; reason: string }> = [];
      const service = createProxyService(
        localService({ ...store, ...failing }),
        createRealtoClient({ paths: PLATFORM_PATHS, ...fake, timeoutMs: 1_000, retries: 0 }),
        { onUntracked: (detail) => reports.push(detail) },
      );
      return { service, reports };
    }
    const busy = async () => {
      throw new UnavailableError('The database is busy; retry shortly.', 1);
    };

    it('given our write fails and the platform refuses the withdrawal too (throttling, simulated), then the request is reported with its platform id', async () => {
      const { service, reports } = failingProxy({ insert: busy });
      fake.behaviour.rejectCancelWith = 'Not now';
      expect(await status(service.create('Collective', { name: 'Home', type: 'Household' }, caller(), 'c'))).toEqual({
        status: 503,
        code: 'service_unavailable',
      });
      const onThePlatform = await platformPage('collectives');
      expect(onThePlatform.map((request) => request.status)).toEqual(['Pending']);
      expect(reports).toEqual([
        { platformId: onThePlatform[0]!.id, requestType: 'Collective', correlationId: 'c', reason: 'it could not be canceled on the platform' },
      ]);
    });

    it('given our write fails and whether it committed cannot be read (DynamoDB down, simulated), then the request is reported and left alone', async () => {
      const { service, reports } = failingProxy({ insert: busy, get: busy });
      expect(await status(service.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, caller(), 'c'))).toEqual({
        status: 503,
        code: 'service_unavailable',
      });
      expect(await onPlatform('entities')).toEqual(['Pending']);
      expect(reports.map((report) => report.reason)).toEqual(['our write failed and whether it committed could not be read']);
    });

    it('given two creates with the same Idempotency-Key at once, then both answer the same request and the platform keeps one open', async () => {
      const who = caller();
      fake.behaviour.delayMs = 50;
      const input = { type: 'Meter' as const, manufacturer: 'Landis+Gyr' };
      const [first, second] = await Promise.all([proxy.create('Entity', input, who, 'c1', 'same-key'), proxy.create('Entity', input, who, 'c2', 'same-key')]);
      fake.behaviour.delayMs = 0;
      expect(second.request.id).toBe(first.request.id);
      expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
      expect((await onPlatform('entities')).sort()).toEqual(['Canceled', 'Pending']);
      expect((await proxy.list('Entity', who, {})).items.map((item) => item.id)).toEqual([first.request.id]);
    });
  });

  describe('the cleanup in proxy mode', () => {
    afterEach(() => vi.useRealTimers());

    /** Two requests made 40 days ago (only Date is faked), so that only they are stale for a 39-day age. */
    async function staleRequests(who: Caller) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() - 40 * 24 * 60 * 60 * 1000);
      const first = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'old');
      const second = await proxy.create('Entity', { type: 'EV', manufacturer: 'Tesla' }, who, 'old');
      vi.useRealTimers();
      return [first.request.id, second.request.id];
    }

    async function expire(ids: string[]) {
      const ownStore = {
        openShards: store.openShards,
        listStale: async (query: Parameters<typeof store.listStale>[0]) => {
          const page = await store.listStale(query);
          return { ...page, items: page.items.filter((open) => ids.includes(open.id)) };
        },
      };
      return runCleanup({
        lifecycle: local,
        store: ownStore,
        maxAgeMs: { Pending: 39 * 24 * 60 * 60 * 1000 },
        remainingMs: () => 60_000,
        safetyMarginMs: 0,
        correlationId: 'cleanup-test',
        beforeExpire: (stale) => proxy.cancelBeforeExpiry(stale, 'cleanup-test'),
      });
    }

    it('cancels a stale request on the platform first, then records the expiry', async () => {
      const who = caller();
      const ids = await staleRequests(who);
      const report = await expire(ids);
      expect(report).toMatchObject({ expired: 2, skipped: 0 });
      expect(fake.hits('PATCH /v1/onboarding/entities/{id}/cancel')).toBe(2);
      for (const id of ids) {
        const trail = (await proxy.history('Entity', id, who, {})).items;
        expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
          ['Pending', 'principal'],
          ['Canceled', 'system'],
        ]);
      }
    });

    it('given the platform answers the cancel with another status, then that status is recorded and nothing expires', async () => {
      const who = caller();
      const [id] = await staleRequests(who);
      fake.update('entities', id!, { status: 'Failed', errors: [{ code: 'ConsentDenied', message: 'The owner declined' }] });
      // A platform whose cancel answers 200 with the request as it is, instead of refusing.
      const platform = createRealtoClient({ paths: PLATFORM_PATHS, ...fake });
      const answering = { ...platform, cancelRequest: (where: string, requestId: string) => platform.getRequest(where, requestId) };
      const answeringProxy = createProxyService(localService(), answering);
      expect(await answeringProxy.cancelBeforeExpiry({ id: id!, kind: 'Entity', status: 'Pending', updated: new Date().toISOString() }, 'cleanup-test')).toBe(
        false,
      );
      const trail = (await proxy.history('Entity', id!, who, {})).items;
      expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
        ['Pending', 'principal'],
        ['Failed', 'upstream'],
      ]);
      expect(trail[1]?.errors).toEqual([{ code: 'ConsentDenied', message: 'The owner declined' }]);
    });

    it('given the platform refuses the cancel because the request succeeded there, then that is recorded instead and nothing expires', async () => {
      const who = caller();
      const [id] = await staleRequests(who);
      fake.seed('entities', { id, status: 'Succeeded' });
      fake.behaviour.rejectCancelWith = 'Only Onboarding Requests in Pending status can be cancelled';
      const report = await expire([id!]);
      expect(report).toMatchObject({ expired: 0, skipped: 1 });
      const trail = (await proxy.history('Entity', id!, who, {})).items;
      expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
        ['Pending', 'principal'],
        ['Succeeded', 'upstream'],
      ]);
    });
  });

  describe('offboarding through the platform', () => {
    /** An entity onboarded for `who` through the proxy: its onboarding created there and reported Succeeded. */
    async function onboardedEntity(who: Caller): Promise<string> {
      const entityId = randomUUID();
      const { request } = await proxy.create('Entity', { type: 'Battery', manufacturer: 'Tesla' }, who, 'c');
      const reported = await local.transition(
        request.id,
        (current) => ({
          to: 'Succeeded',
          reason: 'Provider reported Succeeded',
          details: { data: { ...current.data, entity: { ...current.data.entity, id: entityId } } },
        }),
        { actor: { type: 'upstream', id: 'realto' }, source: 'webhook', correlationId: 'set-up' },
      );
      expect(reported.outcome).toBe('applied');
      return entityId;
    }

    it('given an onboarded entity, when offboarded, then the platform makes the request and ours has its id', async () => {
      const who = caller();
      const entityId = await onboardedEntity(who);

      const { request } = await proxy.offboarding.create({ entityId }, who, 'c');

      expect(fake.hits('POST /v1/offboarding/entities')).toBe(1);
      expect(() => fake.update('offboarding', request.id, {})).not.toThrow();
      expect(request).toMatchObject({ status: 'Pending', version: 1, data: { entityId, tenantId: who.tenantId } });
    });

    it('given an entity not known to the tenant, then it is a 404 and the platform is never asked', async () => {
      expect(await status(proxy.offboarding.create({ entityId: randomUUID() }, caller(), 'c'))).toEqual({ status: 404, code: 'not_found' });
      expect(fake.hits('POST /v1/offboarding/entities')).toBe(0);
    });

    it('given the platform fails the create, then 502, nothing is written here and the entity stays free', async () => {
      const who = caller();
      const entityId = await onboardedEntity(who);
      fake.behaviour.failures = 5;
      fake.behaviour.failureStatus = 500;

      expect(await status(proxy.offboarding.create({ entityId }, who, 'c'))).toEqual({ status: 502, code: 'upstream_unavailable' });

      expect((await proxy.offboarding.list(who, {})).items).toEqual([]);
      fake.behaviour.failures = 0;
      expect((await proxy.offboarding.create({ entityId }, who, 'c')).request.status).toBe('Pending');
    });

    it('given a Pending offboarding, when canceled, then the platform cancels it first and ours records it', async () => {
      const who = caller();
      const { request } = await proxy.offboarding.create({ entityId: await onboardedEntity(who) }, who, 'c');

      const canceled = await proxy.offboarding.cancel(request.id, who, 'c2');

      expect(fake.hits('PATCH /v1/offboarding/entities/{id}/cancel')).toBe(1);
      expect(canceled).toMatchObject({ status: 'Canceled', version: 2 });
    });

    it('given the offboarding succeeded on the platform, when canceled, then that is recorded with actor upstream, the cancel is a 409 and the entity is offboarded', async () => {
      const who = caller();
      const entityId = await onboardedEntity(who);
      const { request } = await proxy.offboarding.create({ entityId }, who, 'c');
      fake.update('offboarding', request.id, { status: 'Succeeded' });

      expect(await status(proxy.offboarding.cancel(request.id, who, 'c2'))).toEqual({ status: 409, code: 'invalid_transition' });

      const trail = (await proxy.offboarding.history(request.id, who, {})).items;
      expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
        ['Pending', 'principal'],
        ['Succeeded', 'upstream'],
      ]);
      expect(await status(proxy.offboarding.create({ entityId }, who, 'c3'))).toEqual({ status: 404, code: 'not_found' });
    });

    it('given a change to an offboarding seen only by the reconciliation, then it is recorded once with actor upstream and releases the entity', async () => {
      const who = caller();
      const entityId = await onboardedEntity(who);
      const { request } = await proxy.offboarding.create({ entityId }, who, 'c');
      fake.update('offboarding', request.id, { status: 'Failed', errors: [{ code: 'DeviceOffline', message: 'No answer' }] });
      const ownStore = {
        openShards: store.openShards,
        listStale: async (query: Parameters<typeof store.listStale>[0]) => {
          const page = await store.listStale(query);
          return { ...page, items: page.items.filter((open) => open.id === request.id) };
        },
      };

      for (let run = 0; run < 2; run++) {
        await reconcileOpenRequests({
          store: ownStore,
          check: (open) => proxy.observeOnPlatform(open.kind, open.id, `run-${run}`),
          remainingMs: () => 60_000,
          safetyMarginMs: 0,
        });
      }

      // Finished after the first run, it left the open index: the second run does not ask again.
      expect(fake.hits('GET /v1/offboarding/entities/{id}')).toBe(1);
      const trail = (await proxy.offboarding.history(request.id, who, {})).items;
      expect(trail.map((record) => [record.to, record.actor.type])).toEqual([
        ['Pending', 'principal'],
        ['Failed', 'upstream'],
      ]);
      expect(trail[1]?.errors).toEqual([{ code: 'DeviceOffline', message: 'No answer' }]);
      expect((await proxy.offboarding.create({ entityId }, who, 'c4')).request.status).toBe('Pending');
    });
  });
});
