import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as pages from '../../functions/pages/guided.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import type { Route } from '../../lib/http/route.ts';
import { expireSessions } from '../../lib/lifecycle/cleanup.ts';
import type { GuidedSession } from '../../lib/lifecycle/types.ts';
import { openShardOf } from '../../lib/store/keys.ts';
import { sessions } from '../support/app.ts';
import { at } from '../support/clock.ts';
import { apiEvent, lambdaContext, tenant, token } from '../support/http.ts';
import { allPages, callRoute, expectProblem, ISO_UTC, onboardingApi, queryOf, UUID } from '../support/onboarding-api.ts';

/*
 * Guided onboarding sessions through the wrapped handlers, against DynamoDB Local. The table
 * is shared with other files running at the same time: every test has fresh tenants, and the cleanup is
 * run only over sessions that really are past their expiry (never with the clock moved forward), so it
 * cannot touch another file's live sessions.
 */

const MINUTE = 60_000;
const SESSION_FIELDS = ['companyName', 'created', 'entityType', 'expired', 'expiresAt', 'id', 'manufacturer', 'onboardingRequest', 'returnUrl'];
const BODY = { companyName: 'Acme Energy', manufacturer: 'Tesla' };

afterEach(() => {
  vi.useRealTimers();
});

/** The sessions API of one caller (`authorization` is the raw header value). */
function sessionsApi(authorization: string) {
  const call = (route: Route, params: Record<string, string>, extra: { body?: unknown; query?: Record<string, string> } = {}) =>
    callRoute(route, params, { ...extra, headers: { authorization } });
  return {
    create: (body: unknown) => call(GUIDED_SESSION_ROUTES.create as Route, {}, { body }),
    list: (query: Record<string, string> = {}) => call(GUIDED_SESSION_ROUTES.list as Route, {}, { query }),
    get: (id: string) => call(GUIDED_SESSION_ROUTES.get as Route, { onboardingSessionId: id }),
  };
}

/** A fresh tenant with its sessions API and its entities API. */
async function givenTenant(scope?: string) {
  const caller = await tenant(scope);
  return { ...caller, sessions: sessionsApi(caller.authorization), entities: onboardingApi('entities', caller.authorization) };
}

type Tenant = Awaited<ReturnType<typeof givenTenant>>;

/** Lists order by creation time; a pause keeps two creations from sharing a millisecond. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

/** Creates `count` sessions one after another; returns their ids oldest first. */
async function createSeveral(caller: Tenant, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await caller.sessions.create({ ...BODY, companyName: `Acme ${i}` });
    expect(created.status).toBe(201);
    ids.push(created.body.id);
    await pause();
  }
  return ids;
}

const idsOf = (response: { body: { data: Array<{ id: string }> } }) => response.body.data.map((item) => item.id);

/** The tenant has no session at all: what a refused create must leave behind. */
async function expectNoSessions(caller: Tenant) {
  const listed = await caller.sessions.list();
  expect(listed.status).toBe(200);
  expect(listed.body.data).toEqual([]);
}

/*
 * A session already past its expiry, written as the create function writes one but in a stretch of the
 * past no other test uses, so that the open index can be asked for "expired before just after it".
 */
let eras = 0;
async function givenExpiredSession(caller: Tenant): Promise<GuidedSession> {
  eras += 1;
  const created = Date.now() - (900 + eras) * 24 * 60 * MINUTE - Math.floor(Math.random() * 60 * MINUTE);
  const session: GuidedSession = {
    id: randomUUID(),
    tenantId: caller.tenantId,
    principalId: caller.sub,
    companyName: 'Acme Energy',
    manufacturer: 'Tesla',
    entityType: null,
    returnUrl: null,
    created: new Date(created).toISOString(),
    expiresAt: new Date(created + 5 * MINUTE).toISOString(),
    markedExpired: false,
    onboardingRequestId: null,
  };
  await sessions.insertSession(session);
  return session;
}

/** The ids the open index offers the cleanup as expired before `before`, in the session's shard. */
async function dueForCleanup(session: GuidedSession, before: string): Promise<string[]> {
  return (await sessions.listSessionsToExpire(openShardOf(session.id), before, 100)).map((due) => due.id);
}

/** A cleanup run with time to spare, in real time. */
const runSessionCleanup = () => expireSessions(sessions, { remainingMs: () => 60_000, safetyMarginMs: 10_000 });

/** The end user at the session's link: opens the page, fills in the device and consents (functions/pages/guided.ts). */
async function endUserSubmits(url: string, device: Record<string, string>) {
  const linkToken = new URL(url).pathname.split('/').at(-1)!;
  const event = (method: string, rawBody?: string) =>
    apiEvent({
      method,
      path: `/guided/${linkToken}`,
      pathParameters: { token: linkToken },
      ...(rawBody === undefined ? {} : { rawBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    });
  const shown = await pages.show(event('GET'), lambdaContext());
  const csrf = /name="csrf" value="([^"]+)"/.exec(String(shown.body))?.[1];
  expect(csrf, 'the page carries an anti-forgery value').toBeDefined();
  const submitted = await pages.submit(event('POST', new URLSearchParams({ ...device, consent: 'yes', csrf: csrf! }).toString()), lambdaContext());
  expect(submitted.statusCode).toBe(303);
}

describe('POST /v1/guided-onboarding-sessions', () => {
  it('given a valid body, when created, then it answers 201 with Location and the session plus its signed url', async () => {
    const { sessions } = await givenTenant();

    const created = await sessions.create({ ...BODY, entityType: 'EV', returnUrl: 'https://shop.example/done?x=1' });

    expect(created.status).toBe(201);
    const session = created.body;
    expect(created.headers.location).toBe(`/v1/guided-onboarding-sessions/${session.id}`);
    expect(Object.keys(session).sort()).toEqual([...SESSION_FIELDS, 'url'].sort());
    expect(session).toMatchObject({
      id: expect.stringMatching(UUID),
      companyName: 'Acme Energy',
      manufacturer: 'Tesla',
      entityType: 'EV',
      returnUrl: 'https://shop.example/done?x=1',
      expired: false,
      onboardingRequest: null,
    });
    expect(session.created).toMatch(ISO_UTC);
    expect(session.expiresAt).toMatch(ISO_UTC);
    // The rules the link: under PUBLIC_URL, a short URL-safe token.
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/guided\/[A-Za-z0-9_-]{20,64}$/);
  });

  it('given only the required fields, then entityType and returnUrl are null and it expires after 1,440 minutes', async () => {
    const { sessions } = await givenTenant();

    const { body: session } = await sessions.create(BODY);

    expect(session).toMatchObject({ entityType: null, returnUrl: null, expired: false });
    expect(Date.parse(session.expiresAt) - Date.parse(session.created)).toBe(1_440 * MINUTE);
  });

  it('gives every session its own link', async () => {
    const { sessions } = await givenTenant();

    const first = await sessions.create(BODY);
    const second = await sessions.create(BODY);

    expect(first.body.url).not.toBe(second.body.url);
  });

  it.each([5, 10_080])('given expiresInMinutes %i (a bound), then it is accepted and expiresAt is that far from created', async (minutes) => {
    const { sessions } = await givenTenant();

    const created = await sessions.create({ ...BODY, expiresInMinutes: minutes });

    expect(created.status).toBe(201);
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.created)).toBe(minutes * MINUTE);
  });

  it.each([
    ['4 (below the minimum)', 4],
    ['10,081 (above the maximum)', 10_081],
    ['a fraction', 5.5],
    ['a string', '60'],
  ])('given expiresInMinutes %s, then it is a 400 naming the field and nothing is stored', async (_, minutes) => {
    const caller = await givenTenant();

    const refused = await caller.sessions.create({ ...BODY, expiresInMinutes: minutes });

    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toContainEqual(expect.objectContaining({ path: '/expiresInMinutes' }));
    await expectNoSessions(caller);
  });

  it.each([
    ['companyName missing', { manufacturer: 'Tesla' }, '/companyName'],
    ['manufacturer missing', { companyName: 'Acme Energy' }, '/manufacturer'],
    ['companyName empty', { ...BODY, companyName: '' }, '/companyName'],
    ['companyName over 200 characters', { ...BODY, companyName: 'x'.repeat(201) }, '/companyName'],
    ['an unknown field', { ...BODY, colour: 'red' }, '/colour'],
    ['a field the service sets', { ...BODY, expired: true }, '/expired'],
    ['an entityType not in the list', { ...BODY, entityType: 'Toaster' }, '/entityType'],
    ['a returnUrl that is not a URL', { ...BODY, returnUrl: 'not a url' }, '/returnUrl'],
    ['a plain-http returnUrl off localhost', { ...BODY, returnUrl: 'http://shop.example/done' }, '/returnUrl'],
    ['a javascript: returnUrl', { ...BODY, returnUrl: 'javascript:alert(1)' }, '/returnUrl'],
  ])('given %s, then it is a 400 problem naming the field and nothing is stored', async (_, body, path) => {
    const caller = await givenTenant();

    const refused = await caller.sessions.create(body);

    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toContainEqual(expect.objectContaining({ path }));
    await expectNoSessions(caller);
  });

  it('given a returnUrl on localhost over http (outside production), then it is accepted', async () => {
    const { sessions } = await givenTenant();

    const created = await sessions.create({ ...BODY, returnUrl: 'http://localhost:8080/back' });

    expect(created.status).toBe(201);
    expect(created.body.returnUrl).toBe('http://localhost:8080/back');
  });
});

describe('scopes and tokens', () => {
  it('given a read-only token, when it creates a session, then it is a 403 forbidden and nothing is stored', async () => {
    const reader = await givenTenant('onboarding:read');

    expectProblem(await reader.sessions.create(BODY), 403, 'forbidden');

    await expectNoSessions(reader);
  });

  it('given a write-only token, when it lists or gets, then each is a 403 forbidden that shows no session', async () => {
    const owner = await givenTenant();
    const { body: session } = await owner.sessions.create(BODY);
    const writer = sessionsApi(`Bearer ${await token({ tenantId: owner.tenantId, sub: owner.sub, scope: 'onboarding:write' })}`);

    const listed = await writer.list();
    const fetched = await writer.get(session.id);

    expectProblem(listed, 403, 'forbidden');
    expectProblem(fetched, 403, 'forbidden');
    expect(JSON.stringify([listed.body, fetched.body])).not.toContain(session.id);
  });

  it('given no token, then create, list and get are 401 with WWW-Authenticate: Bearer', async () => {
    const anonymous = {
      create: () => callRoute(GUIDED_SESSION_ROUTES.create as Route, {}, { body: BODY }),
      list: () => callRoute(GUIDED_SESSION_ROUTES.list as Route, {}),
      get: () => callRoute(GUIDED_SESSION_ROUTES.get as Route, { onboardingSessionId: randomUUID() }),
    };

    for (const call of [anonymous.create, anonymous.list, anonymous.get]) {
      const refused = await call();
      expectProblem(refused, 401, 'unauthorized');
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer\b/);
    }
  });
});

describe('GET /v1/guided-onboarding-sessions', () => {
  it('given several sessions, when listed, then they come newest first in the page envelope', async () => {
    const caller = await givenTenant();
    const ids = await createSeveral(caller, 3);

    const listed = await caller.sessions.list();

    expect(listed.status).toBe(200);
    expect(idsOf(listed)).toEqual([...ids].reverse());
    expect(listed.body.links).toEqual({ next: null });
    expect(listed.body.meta).toEqual({ continuationToken: null, pageSize: 25 });
  });

  it('lists each session in the same shape as get returns it', async () => {
    const { sessions } = await givenTenant();
    const { body: created } = await sessions.create(BODY);

    const listed = await sessions.list();
    const fetched = await sessions.get(created.id);

    expect(listed.body.data).toEqual([fetched.body]);
    expect(Object.keys(fetched.body).sort()).toEqual([...SESSION_FIELDS].sort());
  });

  it('given 5 sessions and pageSize 2, when following links.next until it is null, then pages of 2, 2, 1 hold every session once, newest first', async () => {
    const caller = await givenTenant();
    const ids = await createSeveral(caller, 5);

    const pagesSeen = await allPages((query) => caller.sessions.list(query), { pageSize: '2' });

    expect(pagesSeen.map((page) => page.body.data.length)).toEqual([2, 2, 1]);
    expect(pagesSeen.flatMap(idsOf)).toEqual([...ids].reverse());
    for (const page of pagesSeen) expect(page.body.meta.pageSize).toBe(2);
    expect(pagesSeen.at(-1)!.body.meta.continuationToken).toBeNull();
  });

  it('pages with the raw continuationToken from meta as well as with links.next', async () => {
    const caller = await givenTenant();
    const ids = await createSeveral(caller, 3);

    const first = await caller.sessions.list({ pageSize: '2' });
    const second = await caller.sessions.list({ pageSize: '2', continuationToken: first.body.meta.continuationToken });

    expect([...idsOf(first), ...idsOf(second)]).toEqual([...ids].reverse());
  });

  it('given an altered continuationToken, or one issued to another tenant, then it is a 400 and shows no session', async () => {
    const owner = await givenTenant();
    await createSeveral(owner, 3);
    const stranger = await givenTenant();
    const { body: first } = await owner.sessions.list({ pageSize: '1' });
    const issued: string = first.meta.continuationToken;
    const altered = `${issued.slice(0, 20)}${issued[20] === 'A' ? 'B' : 'A'}${issued.slice(21)}`;

    expectProblem(await owner.sessions.list({ pageSize: '1', continuationToken: altered }), 400, 'invalid_continuation_token');
    const foreign = await stranger.sessions.list({ pageSize: '1', continuationToken: issued });
    expectProblem(foreign, 400, 'invalid_continuation_token');
  });

  it('given pageSize 100, then it is accepted; 0, 101 and an unknown query parameter are refused with 400', async () => {
    const { sessions } = await givenTenant();

    expect((await sessions.list({ pageSize: '100' })).body.meta.pageSize).toBe(100);
    expectProblem(await sessions.list({ pageSize: '0' }), 400, 'validation_failed');
    expectProblem(await sessions.list({ pageSize: '101' }), 400, 'validation_failed');
    expectProblem(await sessions.list({ expired: 'maybe' }), 400, 'validation_failed');
    expectProblem(await sessions.list({ status: 'Pending' }), 400, 'validation_failed');
  });

  it('given live and expired sessions, when filtered by expired=true or false, then each lists only its own, newest first', async () => {
    const caller = await givenTenant();
    const expired = await givenExpiredSession(caller);
    const [older, newer] = await createSeveral(caller, 2);

    const onlyExpired = await caller.sessions.list({ expired: 'true' });
    const onlyLive = await caller.sessions.list({ expired: 'false' });
    const all = await caller.sessions.list();

    expect(idsOf(onlyExpired)).toEqual([expired.id]);
    expect(onlyExpired.body.data[0].expired).toBe(true);
    expect(idsOf(onlyLive)).toEqual([newer, older]);
    expect(idsOf(all)).toEqual([newer, older, expired.id]);
  });

  it('given the expired filter and pageSize 1, then links.next keeps the filter and the pages together hold exactly the filtered sessions', async () => {
    const caller = await givenTenant();
    const expired = await givenExpiredSession(caller);
    const [older, newer] = await createSeveral(caller, 2);

    const live = await allPages((query) => caller.sessions.list(query), { expired: 'false', pageSize: '1' });
    const gone = await allPages((query) => caller.sessions.list(query), { expired: 'true', pageSize: '1' });

    expect(live.flatMap(idsOf)).toEqual([newer, older]);
    expect(gone.flatMap(idsOf)).toEqual([expired.id]);
    const filtersOfNext = (seen: typeof live) => seen.filter((page) => page.body.links.next).map((page) => queryOf(page.body.links.next).expired);
    expect(filtersOfNext(live).every((filter) => filter === 'false')).toBe(true);
    expect(filtersOfNext(gone).every((filter) => filter === 'true')).toBe(true);
  });

  it('given the expired filter, then a page is not left empty while later pages still hold matching sessions', async () => {
    const caller = await givenTenant();
    const expired = await givenExpiredSession(caller);
    await createSeveral(caller, 2);

    const first = await caller.sessions.list({ expired: 'true', pageSize: '1' });

    // A client reads "no expired sessions" from an empty first page; the one it has is two pages on.
    expect(idsOf(first)).toEqual([expired.id]);
  });

  it('given a continuationToken of the expired=true list, when used with expired=false, then it is a 400', async () => {
    const caller = await givenTenant();
    await createSeveral(caller, 2);
    const { body: first } = await caller.sessions.list({ expired: 'false', pageSize: '1' });

    expectProblem(
      await caller.sessions.list({ expired: 'true', pageSize: '1', continuationToken: first.meta.continuationToken }),
      400,
      'invalid_continuation_token',
    );
  });

  it("given another tenant's sessions, then a tenant's list shows none of them", async () => {
    const owner = await givenTenant();
    await createSeveral(owner, 2);
    const stranger = await givenTenant();

    await expectNoSessions(stranger);
  });
});

describe('GET /v1/guided-onboarding-sessions/{onboardingSessionId}', () => {
  it('given a created session, when fetched, then it is the created session without its url', async () => {
    const { sessions } = await givenTenant();
    const { body: created } = await sessions.create({ ...BODY, entityType: 'HeatPump' });

    const fetched = await sessions.get(created.id);

    expect(fetched.status).toBe(200);
    const { url: _url, ...session } = created;
    expect(fetched.body).toEqual(session);
  });

  it('given the id spelt in upper case, then it is the same session', async () => {
    const { sessions } = await givenTenant();
    const { body: created } = await sessions.create(BODY);

    const fetched = await sessions.get(created.id.toUpperCase());

    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(created.id);
  });

  it("given another tenant's session, then it is a 404, the same answer as an unknown id", async () => {
    const owner = await givenTenant();
    const { body: session } = await owner.sessions.create(BODY);
    const stranger = await givenTenant();

    const foreign = await stranger.sessions.get(session.id);
    const unknown = await stranger.sessions.get(randomUUID());

    expectProblem(foreign, 404, 'not_found');
    expectProblem(unknown, 404, 'not_found');
    expect(foreign.body.title).toBe(unknown.body.title);
    expect(JSON.stringify(foreign.body)).not.toContain('Acme');
  });

  it('given a malformed id, then it is a 400 problem naming the path parameter', async () => {
    const { sessions } = await givenTenant();

    const refused = await sessions.get('not-a-session-id');

    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toContainEqual(expect.objectContaining({ path: '/onboardingSessionId' }));
  });

  it("given the end user submitted on the session's page, then get shows the Entity request it produced, Processing", async () => {
    const caller = await givenTenant();
    const { body: created } = await caller.sessions.create({ ...BODY, entityType: 'EV' });

    await endUserSubmits(created.url, { model: 'Model 3', identifier: '5YJ3E1EA7KF317000' });
    const fetched = await caller.sessions.get(created.id);

    const request = fetched.body.onboardingRequest;
    expect(request).toMatchObject({ requestType: 'Entity', status: 'Processing', principalId: caller.sub, data: { tenant: { id: caller.tenantId } } });
    expect(request.data.entity.information).toMatchObject({ manufacturer: 'Tesla', model: 'Model 3', vin: '5YJ3E1EA7KF317000' });
    expect((await caller.entities.get(request.id)).body).toEqual(request);
    expect(fetched.body.expired).toBe(false);
  });
});

describe('expiry and the cleanup', () => {
  it('given a session created for 5 minutes, then 5 minutes later the API shows it expired', async () => {
    const { sessions } = await givenTenant();
    const { body: created } = await sessions.create({ ...BODY, expiresInMinutes: 5 });

    const justBefore = await at(Date.parse(created.expiresAt) - 1_000, () => sessions.get(created.id));
    const after = await at(Date.parse(created.expiresAt) + 1_000, () => sessions.get(created.id));

    expect(justBefore.body.expired).toBe(false);
    expect(after.body.expired).toBe(true);
  });

  it('given a session past its expiry, then the API shows it expired even before the cleanup marked it', async () => {
    const caller = await givenTenant();
    const expired = await givenExpiredSession(caller);

    const fetched = await caller.sessions.get(expired.id);

    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: expired.id, expired: true, expiresAt: expired.expiresAt, onboardingRequest: null });
  });

  it('given an expired session, when the cleanup runs, then it is marked and leaves the open index, and the API still shows it expired', async () => {
    const caller = await givenTenant();
    const expired = await givenExpiredSession(caller);
    const justAfterExpiry = new Date(Date.parse(expired.expiresAt) + 1).toISOString();
    expect(await dueForCleanup(expired, justAfterExpiry)).toContain(expired.id);

    await runSessionCleanup();

    expect(await dueForCleanup(expired, justAfterExpiry)).not.toContain(expired.id);
    expect((await sessions.getSession(expired.id))?.markedExpired).toBe(true);
    const fetched = await caller.sessions.get(expired.id);
    expect(fetched.body).toMatchObject({ id: expired.id, expired: true });
    expect(idsOf(await caller.sessions.list({ expired: 'true' }))).toEqual([expired.id]);
  });

  it('given a live session, when the cleanup runs, then it is neither offered nor marked, and its link still works', async () => {
    const caller = await givenTenant();
    const { body: live } = await caller.sessions.create({ ...BODY, expiresInMinutes: 5 });
    const stored = (await sessions.getSession(live.id))!;
    expect(await dueForCleanup(stored, new Date().toISOString())).not.toContain(live.id);

    await runSessionCleanup();

    expect((await sessions.getSession(live.id))?.markedExpired).toBe(false);
    expect((await caller.sessions.get(live.id)).body.expired).toBe(false);
    expect(idsOf(await caller.sessions.list({ expired: 'false' }))).toEqual([live.id]);
    await endUserSubmits(live.url, { entityType: 'Battery', model: 'Powerwall', identifier: 'PW-12345' });
    expect((await caller.sessions.get(live.id)).body.onboardingRequest).toMatchObject({ status: 'Processing' });
  });

  it('given the cleanup ran twice, then the expired session stays marked and nothing fails', async () => {
    const caller = await givenTenant();
    const expired = await givenExpiredSession(caller);

    await runSessionCleanup();
    await runSessionCleanup();

    expect((await sessions.getSession(expired.id))?.markedExpired).toBe(true);
    expect((await caller.sessions.get(expired.id)).body.expired).toBe(true);
  });
});
