import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { TransitionChange } from '../../lib/lifecycle/lifecycle.ts';
import type { Status, Transition } from '../../lib/lifecycle/types.ts';
import { lifecycle } from '../support/app.ts';
import { ownerOf } from '../support/fixtures.ts';
import { tenant, token } from '../support/http.ts';
import { allPages, type CollectionPath, expectProblem, ISO_UTC, type OnboardingApi, onboardingApi, UUID } from '../support/onboarding-api.ts';

const KINDS = [
  { type: 'Collective', path: 'collectives', body: { name: 'Home', type: 'Household' } },
  { type: 'Entity', path: 'entities', body: { type: 'Battery', manufacturer: 'Tesla' } },
] as const;

/** What `data` must say about the thing being onboarded, for the bodies above. */
const SNAPSHOT = {
  Collective: { collective: { name: 'Home', type: 'Household' } },
  Entity: { entity: { type: 'Battery', information: { manufacturer: 'Tesla', type: 'Battery' } } },
} as const;

const REQUEST_FIELDS = ['id', 'requestType', 'status', 'created', 'updated', 'principalId', 'returnUrl', 'action', 'data', 'errors', 'version'];
const TRANSITION_FIELDS = new Set(['version', 'from', 'to', 'at', 'actor', 'source', 'reason', 'errors', 'correlationId', 'previousHash', 'hash']);

/** Lists order by creation time; a pause keeps two creations from sharing a millisecond. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

async function givenTenant(path: CollectionPath) {
  const caller = await tenant();
  return { ...caller, api: onboardingApi(path, caller.authorization) };
}

/** Creates `count` requests one after another; returns their ids oldest first. */
async function createSeveral(api: OnboardingApi, body: object, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await api.create(body);
    expect(created.status).toBe(201);
    ids.push(created.body.id);
    await pause();
  }
  return ids;
}

/** A provider or job moving the request on; the API has no route for it. */
async function moveTo(id: string, change: TransitionChange) {
  const result = await lifecycle.transition(id, () => change, {
    actor: { type: 'system', id: 'test' },
    source: 'schedule',
    correlationId: 't',
  });
  expect(result.outcome).toBe('applied');
}

const idsOf = (response: { body: { data: Array<{ id: string }> } }) => response.body.data.map((item) => item.id);

describe.each(KINDS)('$type onboarding requests', ({ type, path, body }) => {
  const otherPath: CollectionPath = path === 'collectives' ? 'entities' : 'collectives';

  describe('create', () => {
    it('given a valid body, when created, then it answers 201 with Location, ETag "1" and a Pending request in the documented shape', async () => {
      const { api, sub, tenantId } = await givenTenant(path);

      const created = await api.create(body);

      expect(created.status).toBe(201);
      const request = created.body;
      expect(created.headers.location).toBe(`/v1/onboarding/${path}/${request.id}`);
      expect(created.headers.etag).toBe('"1"');
      expect(created.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(request).sort()).toEqual([...REQUEST_FIELDS].sort());
      expect(request).toMatchObject({
        id: expect.stringMatching(UUID),
        requestType: type,
        status: 'Pending',
        principalId: sub,
        returnUrl: null,
        errors: [],
        version: 1,
        data: { tenant: { id: tenantId }, ...SNAPSHOT[type] },
      });
      expect(request.created).toMatch(ISO_UTC);
      expect(request.updated).toBe(request.created);
    });

    it('given a new request, then its action asks for consent with a redirect link for this request', async () => {
      const { api } = await givenTenant(path);

      const { body: request } = await api.create(body);

      expect(Object.keys(request.action).sort()).toEqual(['documentationLink', 'redirectLink', 'type']);
      expect(request.action.type).toBe('Consent');
      // The consent link: {PUBLIC_URL}/consent/{token}, a short URL-safe token that is the request's alone; in
      // realto mode the platform's own link, passed through untouched.
      const link = new URL(request.action.redirectLink);
      if (process.env.ONBOARDING_MODE === 'realto') expect(link.href).toBe(`https://platform.realto.io/consent/${request.id}`);
      else expect(`${link.origin}${link.pathname}`).toMatch(/^http:\/\/127\.0\.0\.1:3000\/consent\/[A-Za-z0-9_-]{20,64}$/);
      const other = await api.create(body);
      expect(other.body.action.redirectLink).not.toBe(request.action.redirectLink);
      expect(() => new URL(request.action.documentationLink)).not.toThrow();
    });

    it("given a body naming the caller's own tenantId, when created, then it is accepted", async () => {
      const { api, tenantId } = await givenTenant(path);

      const created = await api.create({ ...body, tenantId });

      expect(created.status).toBe(201);
      expect(created.body.data.tenant.id).toBe(tenantId);
    });
  });

  describe('get', () => {
    it('given a created request, when fetched, then it answers 200 with ETag and the same request', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);

      const fetched = await api.get(created.id);

      expect(fetched.status).toBe(200);
      expect(fetched.headers.etag).toBe('"1"');
      expect(fetched.body).toEqual(created);
    });

    it('given an id that does not exist, when fetched, then it is a 404 not_found', async () => {
      const { api } = await givenTenant(path);

      expectProblem(await api.get(randomUUID()), 404, 'not_found');
    });

    it(`given a request of the other type, when fetched, canceled or its history read under /${otherPath}/, then each is a 404 and nothing changes`, async () => {
      const { api, authorization } = await givenTenant(path);
      const { body: created } = await api.create(body);
      const other = onboardingApi(otherPath, authorization);

      expectProblem(await other.get(created.id), 404, 'not_found');
      expectProblem(await other.cancel(created.id), 404, 'not_found');
      expectProblem(await other.history(created.id), 404, 'not_found');
      expect((await other.list()).body.data).toEqual([]);

      const after = await api.get(created.id);
      expect(after.body).toMatchObject({ status: 'Pending', version: 1 });
      expect((await api.history(created.id)).body.data).toHaveLength(1);
    });
  });

  describe('list', () => {
    it('given several requests, when listed, then they come newest first in the page envelope', async () => {
      const { api } = await givenTenant(path);
      const ids = await createSeveral(api, body, 3);

      const listed = await api.list();

      expect(listed.status).toBe(200);
      expect(idsOf(listed)).toEqual([...ids].reverse());
      expect(listed.body.links).toEqual({ next: null });
      expect(listed.body.meta).toEqual({ continuationToken: null, pageSize: 25 });
    });

    it('given a tenant with no requests, when listed, then the page is empty', async () => {
      const { api } = await givenTenant(path);

      const listed = await api.list();

      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({ data: [], links: { next: null }, meta: { continuationToken: null, pageSize: 25 } });
    });

    it('lists each request in the same shape as get returns it', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);

      const listed = await api.list();

      expect(listed.body.data).toEqual([created]);
    });

    it('given 5 requests and pageSize 2, when following links.next until it is null, then pages of 2, 2, 1 hold every request once, newest first', async () => {
      const { api } = await givenTenant(path);
      const ids = await createSeveral(api, body, 5);

      const pages = await allPages((query) => api.list(query), { pageSize: '2' });

      expect(pages.map((page) => page.body.data.length)).toEqual([2, 2, 1]);
      expect(pages.flatMap(idsOf)).toEqual([...ids].reverse());
      for (const page of pages) expect(page.body.meta.pageSize).toBe(2);
      for (const page of pages.slice(0, -1)) {
        expect(page.body.meta.continuationToken).toEqual(expect.any(String));
        expect(page.body.links.next).toContain(`/v1/onboarding/${path}?`);
      }
      expect(pages.at(-1)!.body.links.next).toBeNull();
      expect(pages.at(-1)!.body.meta.continuationToken).toBeNull();
    });

    it('given 4 requests and pageSize 2, then the second page is the last: no empty trailing page', async () => {
      const { api } = await givenTenant(path);
      await createSeveral(api, body, 4);

      const pages = await allPages((query) => api.list(query), { pageSize: '2' });

      expect(pages.map((page) => page.body.data.length)).toEqual([2, 2]);
    });

    it('pages with the raw continuationToken from meta as well as with links.next', async () => {
      const { api } = await givenTenant(path);
      const ids = await createSeveral(api, body, 3);

      const first = await api.list({ pageSize: '2' });
      const second = await api.list({ pageSize: '2', continuationToken: first.body.meta.continuationToken });

      expect([...idsOf(first), ...idsOf(second)]).toEqual([...ids].reverse());
      expect(second.body.links.next).toBeNull();
    });

    it('given Pending and Canceled requests, when filtered by status, then only that status is listed, newest first', async () => {
      const { api } = await givenTenant(path);
      const [oldest, middle, newest] = await createSeveral(api, body, 3);
      expect((await api.cancel(middle!)).status).toBe(200);

      const pending = await api.list({ status: 'Pending' });
      const canceled = await api.list({ status: 'Canceled' });
      const succeeded = await api.list({ status: 'Succeeded' });

      expect(idsOf(pending)).toEqual([newest, oldest]);
      expect(pending.body.data.every((item: { status: string }) => item.status === 'Pending')).toBe(true);
      expect(idsOf(canceled)).toEqual([middle]);
      expect(canceled.body.data[0]).toMatchObject({ status: 'Canceled', version: 2, action: null });
      expect(succeeded.body.data).toEqual([]);
    });

    it('given a status filter and pageSize 1, then links.next keeps the filter on every page', async () => {
      const { api } = await givenTenant(path);
      const [oldest, middle, newest] = await createSeveral(api, body, 3);
      await api.cancel(middle!);

      const pages = await allPages((query) => api.list(query), { status: 'Pending', pageSize: '1' });

      expect(pages.flatMap(idsOf)).toEqual([newest, oldest]);
      for (const page of pages.slice(0, -1)) expect(page.body.links.next).toContain('status=Pending');
    });

    it('given pageSize 100, then it is accepted; 0 and 101 are refused with 400', async () => {
      const { api } = await givenTenant(path);

      expect((await api.list({ pageSize: '100' })).body.meta.pageSize).toBe(100);
      expectProblem(await api.list({ pageSize: '101' }), 400, 'validation_failed');
      expectProblem(await api.list({ pageSize: '0' }), 400, 'validation_failed');
    });
  });

  describe('cancel', () => {
    it('given a Pending request, when canceled, then it answers 200 Canceled, version 2, ETag "2", and no action', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);

      const canceled = await api.cancel(created.id);

      expect(canceled.status).toBe(200);
      expect(canceled.headers.etag).toBe('"2"');
      expect(canceled.body).toMatchObject({ id: created.id, status: 'Canceled', version: 2, errors: [] });
      expect(canceled.body.action ?? null).toBeNull();
      expect(canceled.body.updated).toMatch(ISO_UTC);
      expect(canceled.body.updated >= created.created).toBe(true);
      expect(canceled.body.created).toBe(created.created);
      expect((await api.get(created.id)).body).toEqual(canceled.body);
    });

    it('given a Processing request, when canceled, then it is Canceled', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      await moveTo(created.id, { to: 'Processing' });

      const canceled = await api.cancel(created.id);

      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({ status: 'Canceled', version: 3 });
    });

    it('given a Canceled request, when canceled again, then it answers 200 with the request unchanged and records nothing', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      const first = await api.cancel(created.id);

      const again = await api.cancel(created.id);

      expect(again.status).toBe(200);
      expect(again.headers.etag).toBe('"2"');
      expect(again.body).toEqual(first.body);
      expect((await api.history(created.id)).body.data).toHaveLength(2);
    });

    it.each<[Status, TransitionChange]>([
      ['Succeeded', { to: 'Succeeded' }],
      ['Failed', { to: 'Failed', errors: [{ code: 'Rejected', message: 'The device cloud refused the device.' }] }],
    ])('given a %s request, when canceled, then it is a 409 invalid_transition and records nothing', async (status, change) => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      await moveTo(created.id, change);

      const refused = await api.cancel(created.id);

      expectProblem(refused, 409, 'invalid_transition');
      const after = await api.get(created.id);
      expect(after.body).toMatchObject({ status, version: 2 });
      expect(after.headers.etag).toBe('"2"');
      const history = (await api.history(created.id)).body.data as Transition[];
      expect(history.map((record) => record.to)).toEqual(['Pending', status]);
    });

    it('given an id that does not exist, when canceled, then it is a 404 not_found', async () => {
      const { api } = await givenTenant(path);

      expectProblem(await api.cancel(randomUUID()), 404, 'not_found');
    });
  });

  describe('transitions (the audit trail)', () => {
    it('given a created then canceled request, then the trail lists both, oldest first, by the caller through the API', async () => {
      const { api, sub } = await givenTenant(path);
      const { body: created } = await api.create(body);
      const { body: canceled } = await api.cancel(created.id);

      const history = await api.history(created.id);

      expect(history.status).toBe(200);
      expect(history.body.links).toEqual({ next: null });
      expect(history.body.meta).toEqual({ continuationToken: null, pageSize: 25 });
      const [first, second] = history.body.data as Transition[];
      expect(history.body.data).toHaveLength(2);
      expect(first).toMatchObject({
        version: 1,
        from: null,
        to: 'Pending',
        at: created.created,
        actor: { type: 'principal', id: sub },
        source: 'api',
        previousHash: null,
      });
      expect(second).toMatchObject({
        version: 2,
        from: 'Pending',
        to: 'Canceled',
        at: canceled.updated,
        actor: { type: 'principal', id: sub },
        source: 'api',
        previousHash: first!.hash,
      });
    });

    it('gives each record only its documented fields, with a correlation id and a SHA-256 hash', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      await api.cancel(created.id);

      const records = (await api.history(created.id)).body.data as Transition[];

      for (const record of records) {
        for (const field of Object.keys(record)) expect(TRANSITION_FIELDS, `unexpected field ${field}`).toContain(field);
        expect(Object.keys(record.actor).sort()).toEqual(['id', 'type']);
        expect(record.at).toMatch(ISO_UTC);
        expect(record.correlationId).toEqual(expect.any(String));
        expect(record.correlationId.length).toBeGreaterThan(0);
        expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
      }
    });

    it('given a request that went Pending → Processing → Failed, then versions are contiguous from 1 and the hash chain verifies', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      await moveTo(created.id, { to: 'Processing' });
      await moveTo(created.id, { to: 'Failed', errors: [{ code: 'Rejected', message: 'no consent' }] });

      const records = (await api.history(created.id)).body.data as Transition[];
      const request = (await api.get(created.id)).body;

      expect(records.map((record) => record.version)).toEqual([1, 2, 3]);
      expect(records.map((record) => [record.from, record.to])).toEqual([
        [null, 'Pending'],
        ['Pending', 'Processing'],
        ['Processing', 'Failed'],
      ]);
      expect(records[2]).toMatchObject({ actor: { type: 'system', id: 'test' }, source: 'schedule', errors: [{ code: 'Rejected', message: 'no consent' }] });
      expect(request).toMatchObject({ status: 'Failed', version: 3, errors: [{ code: 'Rejected', message: 'no consent' }] });
      expect(request.action ?? null).toBeNull();
      expect(verifyChain(records, ownerOf(request))).toEqual([]);
    });

    it('given a record altered after it was read, then verifyChain detects it', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      await api.cancel(created.id);
      const records = (await api.history(created.id)).body.data as Transition[];

      const tampered = records.map((record) => (record.version === 1 ? { ...record, actor: { type: 'principal' as const, id: 'someone-else' } } : record));

      expect(verifyChain(records, ownerOf(created))).toEqual([]);
      expect(verifyChain(tampered, ownerOf(created))).not.toEqual([]);
    });

    it('given pageSize 1, when following links.next, then the trail comes one record per page, oldest first', async () => {
      const { api } = await givenTenant(path);
      const { body: created } = await api.create(body);
      await moveTo(created.id, { to: 'Processing' });
      await api.cancel(created.id);

      const pages = await allPages((query) => api.history(created.id, query), { pageSize: '1' });

      expect(pages.map((page) => page.body.data.length)).toEqual([1, 1, 1]);
      const records = pages.flatMap((page) => page.body.data as Transition[]);
      expect(records.map((record) => record.version)).toEqual([1, 2, 3]);
      expect(verifyChain(records, ownerOf(created))).toEqual([]);
      expect(pages[0]!.body.links.next).toContain(`/v1/onboarding/${path}/${created.id}/transitions?`);
    });
  });

  describe('Idempotency-Key', () => {
    it('given the same key and body twice, then both answer 201 with the same request and only one exists', async () => {
      const { api } = await givenTenant(path);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };

      const first = await api.create(body, { headers });
      const second = await api.create(body, { headers });

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.location).toBe(first.headers.location);
      expect(second.headers.etag).toBe('"1"');
      expect(idsOf(await api.list())).toEqual([first.body.id]);
    });

    it('given the same key with a different body, then it is a 422 idempotency_key_reused and nothing more is created', async () => {
      const { api } = await givenTenant(path);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const first = await api.create(body, { headers });

      const reused = await api.create({ ...body, returnUrl: 'https://example.com/done' }, { headers });

      expectProblem(reused, 422, 'idempotency_key_reused');
      expect(idsOf(await api.list())).toEqual([first.body.id]);
    });

    it('given the same key from another tenant, then that tenant gets its own, separate request', async () => {
      const one = await givenTenant(path);
      const other = await givenTenant(path);
      const headers = { 'Idempotency-Key': `shared-${randomUUID()}` };

      const mine = await one.api.create(body, { headers });
      const theirs = await other.api.create(body, { headers });

      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.data.tenant.id).toBe(other.tenantId);
      expect(idsOf(await one.api.list())).toEqual([mine.body.id]);
      expect(idsOf(await other.api.list())).toEqual([theirs.body.id]);
    });

    it('given the same key and the same fields sent in another order, then it is the same request', async () => {
      const { api } = await givenTenant(path);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const reordered = Object.fromEntries(Object.entries(body).reverse());

      const first = await api.create(body, { headers });
      const second = await api.create(reordered, { headers });

      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
      expect(idsOf(await api.list())).toEqual([first.body.id]);
    });

    it('given the same key and body 23 hours later, then it still answers with the first request; 25 hours later it creates a new one', async () => {
      const start = Date.now();
      const hoursLater = (n: number) => start + n * 60 * 60 * 1000;
      const caller = await tenant();
      const longLived = await token({ tenantId: caller.tenantId, sub: caller.sub, expiresIn: Math.floor(hoursLater(26) / 1000) });
      const api = onboardingApi(path, `Bearer ${longLived}`);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const first = await api.create(body, { headers });

      let withinWindow: Awaited<ReturnType<typeof api.create>>;
      let afterWindow: Awaited<ReturnType<typeof api.create>>;
      try {
        vi.useFakeTimers({ toFake: ['Date'], now: hoursLater(23) });
        withinWindow = await api.create(body, { headers });
        vi.setSystemTime(hoursLater(25));
        afterWindow = await api.create(body, { headers });
      } finally {
        vi.useRealTimers();
      }

      expect({ status: withinWindow.status, id: withinWindow.body.id }).toEqual({ status: 201, id: first.body.id });
      expect(afterWindow.status).toBe(201);
      expect(afterWindow.body.id).not.toBe(first.body.id);
      expect(await api.list().then(idsOf)).toHaveLength(2);
    });

    it('given different keys with the same body, then two requests are created', async () => {
      const { api } = await givenTenant(path);

      const first = await api.create(body, { headers: { 'Idempotency-Key': `a-${randomUUID()}` } });
      const second = await api.create(body, { headers: { 'Idempotency-Key': `b-${randomUUID()}` } });

      expect(second.body.id).not.toBe(first.body.id);
      expect(await api.list().then(idsOf)).toHaveLength(2);
    });
  });
});

describe('entity list filters', () => {
  async function givenEntities() {
    const { api } = await givenTenant('entities');
    const ids: Record<string, string> = {};
    for (const [name, body] of Object.entries({
      teslaBattery: { type: 'Battery', manufacturer: 'Tesla' },
      teslaCharger: { type: 'ChargePoint', manufacturer: 'Tesla' },
      sonnenBattery: { type: 'Battery', manufacturer: 'Sonnen' },
      daikinHeatPump: { type: 'HeatPump', manufacturer: 'Daikin' },
    })) {
      ids[name] = (await api.create(body)).body.id;
      await pause();
    }
    return { api, ids };
  }

  it("given entities of several makers, when filtered by manufacturer, then only that maker's are listed, newest first", async () => {
    const { api, ids } = await givenEntities();

    const tesla = await api.list({ manufacturer: 'Tesla' });

    expect(idsOf(tesla)).toEqual([ids.teslaCharger, ids.teslaBattery]);
  });

  it('given entities of several types, when filtered by type, then only that type is listed', async () => {
    const { api, ids } = await givenEntities();

    expect(idsOf(await api.list({ type: 'Battery' }))).toEqual([ids.sonnenBattery, ids.teslaBattery]);
  });

  it('given manufacturer, type and status together, then all three must match', async () => {
    const { api, ids } = await givenEntities();
    await api.cancel(ids.sonnenBattery!);

    expect(idsOf(await api.list({ manufacturer: 'Tesla', type: 'Battery' }))).toEqual([ids.teslaBattery]);
    expect(idsOf(await api.list({ type: 'Battery', status: 'Pending' }))).toEqual([ids.teslaBattery]);
    expect(idsOf(await api.list({ type: 'Battery', status: 'Canceled' }))).toEqual([ids.sonnenBattery]);
    expect(idsOf(await api.list({ manufacturer: 'Nobody' }))).toEqual([]);
  });

  it('given a manufacturer filter and pageSize 1, then links.next keeps the filter and paging ends with next null', async () => {
    const { api, ids } = await givenEntities();

    const pages = await allPages((query) => api.list(query), { manufacturer: 'Tesla', pageSize: '1' });

    expect(pages.flatMap(idsOf)).toEqual([ids.teslaCharger, ids.teslaBattery]);
    expect(pages[0]!.body.links.next).toContain('manufacturer=Tesla');
  });

  it('given matches separated by many non-matching entities, when following links.next, then no match is lost', async () => {
    const { api } = await givenTenant('entities');
    const oldest = (await api.create({ type: 'Battery', manufacturer: 'Tesla' })).body.id;
    await pause();
    await Promise.all(Array.from({ length: 25 }, () => api.create({ type: 'Battery', manufacturer: 'Sonnen' })));
    await pause();
    const newest = (await api.create({ type: 'EV', manufacturer: 'Tesla' })).body.id;

    const pages = await allPages((query) => api.list(query), { manufacturer: 'Tesla', pageSize: '1' });

    expect(pages.flatMap(idsOf)).toEqual([newest, oldest]);
  });

  it('given a collective request in the same tenant, then the entity list does not show it', async () => {
    const { api, authorization } = await givenTenant('entities');
    await onboardingApi('collectives', authorization).create({ name: 'Home', type: 'Household' });

    expect((await api.list()).body.data).toEqual([]);
  });
});
