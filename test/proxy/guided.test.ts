import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/settings.ts';
import { createLinks } from '../../lib/pages/links.ts';
import { apiEvent, invoke, lambdaContext, type Response, tenant } from '../support/http.ts';
import { expectNoLeak, expectProblem } from '../support/onboarding-api.ts';
import { type FakeRealto, startFakeRealto } from '../upstream/fake-realto.ts';

/**
 * Guided onboarding sessions and the end user's pages in proxy mode,
 * through the wrapped handlers of functions/, against a fake Realto platform of this file's own: the
 * project's shared fake runs in another process, where a test cannot seed it or make it fail.
 */

type Handler = Parameters<typeof invoke>[0];
type PageHandler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

interface Functions {
  listSessions: Handler;
  getSession: Handler;
  createSession: Handler;
  createEntity: Handler;
  consentPage: PageHandler;
  consentDecision: PageHandler;
  guidedPage: PageHandler;
  guidedSubmit: PageHandler;
  store: typeof import('../support/app.ts')['store'];
  sessions: typeof import('../support/app.ts')['sessions'];
}

/**
 * The functions' cold start bound to the platform at `baseUrl` (configuration is read at import, as in
 * Lambda): fresh modules, imported while REALTO_BASE_URL names it.
 */
async function coldStart(baseUrl: string): Promise<Functions> {
  const shared = process.env.REALTO_BASE_URL;
  process.env.REALTO_BASE_URL = baseUrl;
  try {
    vi.resetModules();
    const [list, get, create, entities, consent, guided, app] = await Promise.all([
      import('../../functions/guided-sessions/list.ts'),
      import('../../functions/guided-sessions/get.ts'),
      import('../../functions/guided-sessions/create.ts'),
      import('../../functions/entity-onboarding/create.ts'),
      import('../../functions/pages/consent.ts'),
      import('../../functions/pages/guided.ts'),
      import('../support/app.ts'),
    ]);
    return {
      listSessions: list.handler,
      getSession: get.handler,
      createSession: create.handler,
      createEntity: entities.handler,
      consentPage: consent.show,
      consentDecision: consent.decide,
      guidedPage: guided.show,
      guidedSubmit: guided.submit,
      store: app.store,
      sessions: app.sessions,
    };
  } finally {
    process.env.REALTO_BASE_URL = shared;
  }
}

/** A loopback address where nothing listens: a platform that cannot be reached. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

let fake: FakeRealto;
let fns: Functions;
let unreachable: Functions;

beforeAll(async () => {
  fake = await startFakeRealto();
  fns = await coldStart(fake.baseUrl);
  unreachable = await coldStart(await deadAddress());
});
afterAll(() => fake?.close());
beforeEach(() => fake.reset());

const SESSIONS = '/v1/guided-onboarding-sessions';
const SESSION_FIELDS = ['companyName', 'created', 'entityType', 'expired', 'expiresAt', 'id', 'manufacturer', 'onboardingRequest', 'returnUrl'];

type Caller = Awaited<ReturnType<typeof tenant>>;

/**
 * A wrapped handler's answer, decoded as `invoke` does but without its check against the OpenAPI document:
 * what the session reads do is tested apart from whether their bodies match the document (one test below
 * checks that, so that a mismatch there does not hide everything else).
 */
async function unchecked(handler: Handler, event: APIGatewayProxyEventV2): Promise<Response> {
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const text = typeof result.body === 'string' ? result.body : '';
  return { status: result.statusCode ?? 200, headers, body: text ? JSON.parse(text) : undefined };
}

type Call = (handler: Handler, event: APIGatewayProxyEventV2) => Promise<Response>;

const listSessions = (who: Caller, query?: Record<string, string>, on = fns, call: Call = unchecked) =>
  call(on.listSessions, apiEvent({ method: 'GET', path: SESSIONS, headers: { authorization: who.authorization }, ...(query ? { query } : {}) }));

const getSession = (who: Caller, id: string, on = fns, call: Call = unchecked) =>
  call(
    on.getSession,
    apiEvent({
      method: 'GET',
      path: `${SESSIONS}/${id}`,
      headers: { authorization: who.authorization },
      pathParameters: { onboardingSessionId: id },
    }),
  );

/** Every page of the list, following `links.next` as a client would, until it is null. */
async function allPages(who: Caller, query: Record<string, string>): Promise<Response[]> {
  const pages: Response[] = [];
  let next: Record<string, string> | undefined = query;
  while (next) {
    const page = await listSessions(who, next);
    expect(page.status).toBe(200);
    pages.push(page);
    if (pages.length > 20) throw new Error('still paging after 20 pages');
    next = page.body.links.next === null ? undefined : Object.fromEntries(new URL(page.body.links.next, 'http://localhost').searchParams);
  }
  return pages;
}

/** What our API's session must say of a session the platform holds. */
function asOurs(onPlatform: Record<string, unknown>) {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    companyName: onPlatform.companyName,
    created: onPlatform.created,
    expired: onPlatform.expired === true,
    expiresAt: text(onPlatform.expiresAt),
    id: onPlatform.id,
    manufacturer: onPlatform.manufacturer,
    entityType: text(onPlatform.entityType),
    onboardingRequest: expect.objectContaining({ id: (onPlatform.onboardingRequest as { id: string }).id }),
    returnUrl: text(onPlatform.returnUrl),
  };
}

/** An HTML page's answer, decoded. */
async function openPage(handler: PageHandler, event: APIGatewayProxyEventV2) {
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode, headers, body: String(result.body ?? '') };
}

/** The end user's links as this stage signs them (the test environment's link secret). */
function stageLinks() {
  const setting = loadConfig(process.env).linkSecret;
  if (setting?.value === undefined) throw new Error('the test environment has no link secret value');
  return createLinks(() => setting.value!);
}

describe('guided onboarding sessions in realto mode', () => {
  describe('list', () => {
    it("given sessions of several tenants on the platform, then the caller sees its own tenant's only, in our API's shape, paging through to the end", async () => {
      const mine = await tenant();
      const other = await tenant();
      const own = [
        fake.seedGuidedSession({ tenantId: mine.tenantId, companyName: 'Acme Energy' }),
        fake.seedGuidedSession({ tenantId: other.tenantId }),
        fake.seedGuidedSession({
          tenantId: mine.tenantId,
          manufacturer: 'Daikin',
          entityType: 'HeatPump',
          expiresAt: '2031-01-02T03:04:05Z',
          returnUrl: 'https://integrator.example/back',
        }),
        fake.seedGuidedSession({ onboardingRequest: null }),
        fake.seedGuidedSession({ tenantId: mine.tenantId, expired: true }),
        fake.seedGuidedSession({ tenantId: other.tenantId }),
        fake.seedGuidedSession({ tenantId: mine.tenantId }),
      ].filter((session) => (session.onboardingRequest as { data?: { tenant?: { id?: string } } } | null)?.data?.tenant?.id === mine.tenantId);
      // A token the client kept from an earlier test is refused once by the reset fake: counted from here.
      await listSessions(await tenant());
      const asked = fake.hits(`GET ${SESSIONS}`);

      const pages = await allPages(mine, { pageSize: '2' });

      const items = pages.flatMap((page) => page.body.data as Array<Record<string, unknown>>);
      // The platform answers newest first; every one of its pages was asked for once, to the last.
      expect(items.map((item) => item.id)).toEqual(own.map((session) => session.id).reverse());
      expect(fake.hits(`GET ${SESSIONS}`) - asked).toBe(4);
      for (const item of items) expect(Object.keys(item).sort()).toEqual(SESSION_FIELDS);
      expect(items).toEqual(own.map(asOurs).reverse());
      expect(items.find((item) => item.manufacturer === 'Daikin')).toMatchObject({
        entityType: 'HeatPump',
        expiresAt: '2031-01-02T03:04:05Z',
        returnUrl: 'https://integrator.example/back',
      });
      expect(pages.at(-1)!.body.links.next).toBeNull();
      expect(pages[0]!.body.meta.pageSize).toBe(2);
    });

    it('given a tenant with no sessions on the platform, then an empty page', async () => {
      fake.seedGuidedSession({ tenantId: randomUUID() });
      const response = await listSessions(await tenant());
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ data: [], links: { next: null } });
    });

    it('given expired=true or false, then only the sessions the platform says are (or are not) expired', async () => {
      const mine = await tenant();
      const expired = fake.seedGuidedSession({ tenantId: mine.tenantId, expired: true });
      const open = fake.seedGuidedSession({ tenantId: mine.tenantId });

      expect((await listSessions(mine, { expired: 'true' })).body.data.map((item: { id: string }) => item.id)).toEqual([expired.id]);
      expect((await listSessions(mine, { expired: 'false' })).body.data.map((item: { id: string }) => item.id)).toEqual([open.id]);
    });
    it('given a session whose expiresAt has passed but which the platform does not flag yet, then it is expired', async () => {
      const mine = await tenant();
      const past = fake.seedGuidedSession({ tenantId: mine.tenantId, expired: false, expiresAt: new Date(Date.now() - 60_000).toISOString() });
      const future = fake.seedGuidedSession({ tenantId: mine.tenantId, expired: false, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });

      expect((await getSession(mine, past.id as string)).body.expired).toBe(true);
      expect((await getSession(mine, future.id as string)).body.expired).toBe(false);
      expect((await listSessions(mine, { expired: 'true' })).body.data.map((item: { id: string }) => item.id)).toEqual([past.id]);
    });
  });

  describe('get', () => {
    it("given a session of the caller's tenant, then 200 with it in our API's shape, its request as the platform holds it", async () => {
      const mine = await tenant();
      const session = fake.seedGuidedSession({ tenantId: mine.tenantId, manufacturer: 'SMA', entityType: 'SolarPlant' });

      const response = await getSession(mine, session.id as string);

      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(SESSION_FIELDS);
      expect(response.body).toEqual(asOurs(session));
      expect(response.body.onboardingRequest).toMatchObject({ requestType: 'Entity', status: 'Pending', data: { tenant: { id: mine.tenantId } } });
      expect(fake.requestsAsked(`GET ${SESSIONS}/{id}`)).toBe(1);
    });

    it("given the session's request moved on at the platform, then the session shows it as it is now", async () => {
      const mine = await tenant();
      const session = fake.seedGuidedSession({ tenantId: mine.tenantId });
      fake.update('entities', (session.onboardingRequest as { id: string }).id, { status: 'Processing' });

      const response = await getSession(mine, session.id as string);

      expect(response.status).toBe(200);
      expect(response.body.onboardingRequest).toMatchObject({ status: 'Processing' });
    });

    it('given a session whose request this service created (and so holds, with its trail), then the session shows our copy of it', async () => {
      const mine = await tenant();
      const created = await invoke(
        fns.createEntity,
        apiEvent({
          method: 'POST',
          path: '/v1/onboarding/entities',
          headers: { authorization: mine.authorization },
          body: { type: 'Battery', manufacturer: 'Tesla' },
        }),
      );
      const onPlatform = fake.update('entities', created.body.id, {});
      const session = fake.seedGuidedSession({ tenantId: mine.tenantId, onboardingRequest: onPlatform });

      const response = await getSession(mine, session.id as string, fns, invoke);

      // Ours: the integrator's own principal (the platform names its API client) and our trail's version.
      expect(response.body.onboardingRequest).toEqual(created.body);
      expect(response.body.onboardingRequest.principalId).toBe(mine.sub);
    });

    it("given another tenant's session, then 404 problem+json that says nothing of it", async () => {
      const mine = await tenant();
      const session = fake.seedGuidedSession({ tenantId: randomUUID(), companyName: 'Someone Else BV' });

      const response = await getSession(mine, session.id as string);

      expectProblem(response, 404, 'not_found');
      expect(JSON.stringify(response.body)).not.toContain('Someone Else BV');
    });

    it('given a session whose request names no tenant (or that has none), then 404 for every caller', async () => {
      const mine = await tenant();
      const withoutRequest = fake.seedGuidedSession({ onboardingRequest: null });
      const withoutTenant = fake.seedGuidedSession();

      expectProblem(await getSession(mine, withoutRequest.id as string), 404, 'not_found');
      expectProblem(await getSession(mine, withoutTenant.id as string), 404, 'not_found');
    });

    it('given an id the platform does not know, then 404 problem+json', async () => {
      const response = await getSession(await tenant(), randomUUID());
      expectProblem(response, 404, 'not_found');
      expect(fake.requestsAsked(`GET ${SESSIONS}/{id}`)).toBe(1);
    });
  });

  describe('the OpenAPI document', () => {
    it("given a session of the caller's tenant on the platform, then the answers of list and get match the document (onboardingRequest is our OnboardingRequest)", async () => {
      const mine = await tenant();
      const session = fake.seedGuidedSession({ tenantId: mine.tenantId });

      // invoke() checks each answer against lib/http/openapi.json (GuidedSessionPage, GuidedSession).
      const listed = await listSessions(mine, undefined, fns, invoke);
      const got = await getSession(mine, session.id as string, fns, invoke);

      expect(listed.body.data.map((item: { id: string }) => item.id)).toEqual([session.id]);
      expect(got.status).toBe(200);
    });

    it('given errors of the session reads, then they match the document too', async () => {
      const mine = await tenant();
      expectProblem(await getSession(mine, randomUUID(), fns, invoke), 404, 'not_found');
      fake.behaviour.failures = 1;
      fake.behaviour.failureStatus = 500;
      expectProblem(await listSessions(mine, undefined, fns, invoke), 502, 'upstream_unavailable');
    });
  });

  describe('the platform failing', () => {
    /** Nothing of the platform's own answer (the fake's failure body is this HTML) may reach the caller. */
    const expectNothingOfThePlatform = (response: Response) => {
      expectNoLeak(response);
      const visible = JSON.stringify(response);
      expect(visible).not.toMatch(/upstream error|<h1>/);
      expect(visible).not.toContain('127.0.0.1');
    };

    it("given the platform answers 500, when listing, then 502 problem+json without the platform's text", async () => {
      const mine = await tenant();
      fake.seedGuidedSession({ tenantId: mine.tenantId });
      fake.behaviour.failures = 1;
      fake.behaviour.failureStatus = 500;

      const response = await listSessions(mine);

      expectProblem(response, 502, 'upstream_unavailable');
      expectNothingOfThePlatform(response);
    });

    it("given the platform answers 500, when getting, then 502 problem+json without the platform's text", async () => {
      const mine = await tenant();
      const session = fake.seedGuidedSession({ tenantId: mine.tenantId });
      fake.behaviour.failures = 1;
      fake.behaviour.failureStatus = 500;

      const response = await getSession(mine, session.id as string);

      expectProblem(response, 502, 'upstream_unavailable');
      expectNothingOfThePlatform(response);
    });

    it('given the platform answers 503 each time, then the read is retried and ends in 502 problem+json', async () => {
      const mine = await tenant();
      fake.behaviour.failures = 3;

      const response = await listSessions(mine);

      expectProblem(response, 502, 'upstream_unavailable');
      expectNothingOfThePlatform(response);
      expect(fake.hits(`GET ${SESSIONS}`)).toBe(3);
    });

    it('given the platform answers with a body that is not JSON, then 502 problem+json', async () => {
      const mine = await tenant();
      const session = fake.seedGuidedSession({ tenantId: mine.tenantId });
      fake.behaviour.malformed = 1;

      const response = await getSession(mine, session.id as string);

      expectProblem(response, 502, 'upstream_unavailable');
      expectNothingOfThePlatform(response);
    });

    it('given the platform cannot be reached, then list and get answer 502 problem+json that does not name it', async () => {
      const mine = await tenant();

      for (const response of [await listSessions(mine, undefined, unreachable), await getSession(mine, randomUUID(), unreachable)]) {
        expectProblem(response, 502, 'upstream_unavailable');
        expectNothingOfThePlatform(response);
      }
    });
  });

  describe('create', () => {
    it('given a valid body, then 501 problem+json with code local_mode_only and nothing is sent to the platform', async () => {
      const mine = await tenant();

      const response = await invoke(
        fns.createSession,
        apiEvent({
          method: 'POST',
          path: SESSIONS,
          headers: { authorization: mine.authorization },
          body: { companyName: 'Acme Energy', manufacturer: 'Tesla', entityType: 'Battery', expiresInMinutes: 60 },
        }),
      );

      expectProblem(response, 501, 'local_mode_only');
      expect(response.headers.location).toBeUndefined();
      expect(fake.authCalls).toBe(0);
      expect(fake.onboardingCalls).toBe(0);
    });
  });
});

describe("the end user's pages in realto mode", () => {
  it("given a request created in realto mode, then its redirectLink is the platform's own, untouched", async () => {
    const mine = await tenant();

    const response = await invoke(
      fns.createEntity,
      apiEvent({
        method: 'POST',
        path: '/v1/onboarding/entities',
        headers: { authorization: mine.authorization },
        body: { type: 'Battery', manufacturer: 'Tesla' },
      }),
    );

    expect(response.status).toBe(201);
    const onPlatform = fake.update('entities', response.body.id, {}) as { action: { redirectLink: string; documentationLink: string } };
    expect(response.body.action).toEqual({
      type: 'Consent',
      redirectLink: onPlatform.action.redirectLink,
      documentationLink: onPlatform.action.documentationLink,
    });
    expect(response.body.action.redirectLink).toBe(`https://platform.realto.io/consent/${response.body.id}`);
  });

  /** A page that is off: the HTML 404 of an unknown link, with the pages' headers. */
  function expectPageOff(page: { status?: number | undefined; headers: Record<string, string>; body: string }) {
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html\b/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('This link does not work');
    expect(page.body).not.toMatch(/<form|Approve|Decline/);
  }

  it('given a correctly signed consent link of a Pending request, then GET and POST /consent/{token} answer the 404 page and record nothing', async () => {
    const mine = await tenant();
    const created = await invoke(
      fns.createEntity,
      apiEvent({
        method: 'POST',
        path: '/v1/onboarding/entities',
        headers: { authorization: mine.authorization },
        body: { type: 'Battery', manufacturer: 'Tesla' },
      }),
    );
    expect(created.status).toBe(201);
    const links = stageLinks();
    const token = links.sign('consent', { id: created.body.id, tenantId: mine.tenantId, expiresAt: new Date(Date.now() + 3_600_000) });
    const path = `/consent/${token}`;

    expectPageOff(await openPage(fns.consentPage, apiEvent({ method: 'GET', path, pathParameters: { token } })));
    expectPageOff(
      await openPage(
        fns.consentDecision,
        apiEvent({
          method: 'POST',
          path,
          pathParameters: { token },
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          rawBody: new URLSearchParams({ decision: 'approve', csrf: links.formValue(token) }).toString(),
        }),
      ),
    );

    expect(await fns.store.get(created.body.id)).toMatchObject({ status: 'Pending', version: 1 });
    expect(fake.hits('PATCH /v1/onboarding/entities/{id}/cancel')).toBe(0);
  });

  it('given a correctly signed link of a guided session in our table, then GET and POST /guided/{token} answer the 404 page and create nothing', async () => {
    const mine = await tenant();
    const id = randomUUID();
    const created = new Date();
    const expiresAt = new Date(created.getTime() + 3_600_000);
    await fns.sessions.insertSession({
      id,
      tenantId: mine.tenantId,
      principalId: mine.sub,
      companyName: 'Acme Energy',
      manufacturer: 'Tesla',
      entityType: 'Battery',
      returnUrl: null,
      created: created.toISOString(),
      expiresAt: expiresAt.toISOString(),
      markedExpired: false,
      onboardingRequestId: null,
    });
    const links = stageLinks();
    const token = links.sign('guided', { id, tenantId: mine.tenantId, expiresAt });
    const path = `/guided/${token}`;

    expectPageOff(await openPage(fns.guidedPage, apiEvent({ method: 'GET', path, pathParameters: { token } })));
    expectPageOff(
      await openPage(
        fns.guidedSubmit,
        apiEvent({
          method: 'POST',
          path,
          pathParameters: { token },
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          rawBody: new URLSearchParams({ model: 'Powerwall 2', identifier: 'TSL-000123', consent: 'yes', csrf: links.formValue(token) }).toString(),
        }),
      ),
    );

    expect(await fns.sessions.getSession(id)).toMatchObject({ onboardingRequestId: null });
    expect(fake.onboardingCalls).toBe(0);
  });
});
