import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as consentPages from '../../functions/pages/consent.ts';
import * as guidedPages from '../../functions/pages/guided.ts';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { createDeliveryEngine } from '../../lib/events/delivery.ts';
import { eventBridgeBus } from '../../lib/events/event-bridge.ts';
import { createHttpSender } from '../../lib/events/http-sender.ts';
import { createPublisher } from '../../lib/events/publish.ts';
import type { Route } from '../../lib/http/route.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { createDynamoEventStore } from '../../lib/store/dynamo-events.ts';
import { config, kinds, store } from '../support/app.ts';
import { type Receiver, startReceiver } from '../support/events.ts';
import { BODIES, newMessageId, TEST_JWT_SECRET } from '../support/fixtures.ts';
import { apiEvent, invoke, lambdaContext, signedWebhookEvent } from '../support/http.ts';
import { callRoute, endpointsApi, expectProblem, offboardingApi, onboardingApi } from '../support/onboarding-api.ts';
import { type FakeEventBridge, startFakeEventBridge } from '../upstream/fake-eventbridge.ts';

/*
 * What the end user's pages take in, and what leaves the service about them: the return address, the name
 * shown as who asks, the consent link kept out of events, and a 409 that names nothing of another tenant.
 * Through the wrapped handlers, against DynamoDB Local. The events go through the publisher on this table,
 * to a receiver on loopback and a stand-in EventBridge (the stream's own part is test/api/events.test.ts).
 */

const ALL_SCOPES = 'onboarding:read onboarding:write webhooks:read webhooks:write';
const VIN = '5YJ3E1EA7KF317000';
/** What a page may not show of a name: the bidirectional controls, and control characters but the page's own line breaks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
const INVISIBLE_ON_A_PAGE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/** A bearer token of a fresh tenant, with a `tenant_name` claim when one is given (any string, as an IdP might send). */
async function bearer(tenantId: string, sub: string, tenantName?: string) {
  const jwt = await new SignJWT({ scope: ALL_SCOPES, tenant_id: tenantId, ...(tenantName === undefined ? {} : { tenant_name: tenantName }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer('onboarding-local')
    .setAudience('onboarding-api')
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  return `Bearer ${jwt}`;
}

/** The guided sessions API of one caller. */
function sessionsApi(authorization: string) {
  const call = (route: Route, params: Record<string, string>, extra: { body?: unknown } = {}) =>
    callRoute(route, params, { ...extra, headers: { authorization } });
  return {
    create: (body: unknown) => call(GUIDED_SESSION_ROUTES.create as Route, {}, { body }),
    list: () => call(GUIDED_SESSION_ROUTES.list as Route, {}),
  };
}

/** A fresh tenant with every API it may call. */
async function givenTenant(tenantName?: string) {
  const tenantId = randomUUID();
  const sub = `integrator-${tenantId.slice(0, 8)}`;
  const authorization = await bearer(tenantId, sub, tenantName);
  return {
    tenantId,
    sub,
    authorization,
    collectives: onboardingApi('collectives', authorization),
    entities: onboardingApi('entities', authorization),
    offboardings: offboardingApi(authorization),
    endpoints: endpointsApi(authorization),
    sessions: sessionsApi(authorization),
  };
}
type Tenant = Awaited<ReturnType<typeof givenTenant>>;

/** A provider's signed status event through the webhook function. */
async function deliver(type: 'onboarding.status.updated' | 'offboarding.status.updated', id: string, status: string, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id, status, ...extra } });
  return invoke(webhooks.handler, signedWebhookEvent(newMessageId(), body));
}

interface Page {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A browser's call to one of the end user's pages, through the handler's whole middleware stack. */
async function callPage(handler: typeof consentPages.show, path: string, post?: Record<string, string>): Promise<Page> {
  const token = path.split('/').at(-1)!;
  const event = apiEvent({
    method: post ? 'POST' : 'GET',
    path,
    pathParameters: { token },
    ...(post ? { rawBody: new URLSearchParams(post).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
  });
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode ?? 200, headers, body: String(result.body ?? '') };
}

const pathOf = (link: string) => new URL(link).pathname;
const csrfOf = (page: Page) => /<input type="hidden" name="csrf" value="([^"]+)">/.exec(page.body)?.[1] ?? '';
/** The sources of the page's Content-Security-Policy `form-action`. */
const formActionOf = (page: Page) => (/(?:^|;\s*)form-action ([^;]+)/.exec(page.headers['content-security-policy'] ?? '')?.[1] ?? '').trim().split(/\s+/);

/** The end user fills in a guided session's form (an EV) and agrees: the request it yields, as its tenant's API lists it. */
async function submitGuided(owner: Tenant, sessionUrl: string) {
  const path = pathOf(sessionUrl);
  const form = await callPage(guidedPages.show, path);
  expect(form.status).toBe(200);
  const submitted = await callPage(guidedPages.submit, path, { model: 'Model 3', identifier: VIN, consent: 'yes', csrf: csrfOf(form) });
  expect(submitted.status, submitted.body.slice(0, 500)).toBeLessThan(400);
  const listed = await owner.entities.list();
  expect(listed.body.data).toHaveLength(1);
  return listed.body.data[0] as { id: string; data: { tenant: { id: string; name?: string } } };
}

describe('returnUrl', () => {
  it.each([
    ['a username and a password', 'https://ann-u53r:hunter-p4ss@app.example/back'],
    ['a username only', 'https://ann-u53r@app.example/back'],
    ['a password only', 'https://:hunter-p4ss@app.example/back'],
    ['credentials on localhost over http', 'http://ann-u53r:hunter-p4ss@localhost:8080/back'],
  ])('given a returnUrl with %s, then the create is a 400 naming /returnUrl and nothing is created', async (_, returnUrl) => {
    const owner = await givenTenant();

    const refused = await owner.collectives.create({ ...BODIES.collectives, returnUrl });

    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual([{ path: '/returnUrl', message: 'must not contain a username or password' }]);
    expect(JSON.stringify(refused.body)).not.toMatch(/u53r|p4ss/);
    expect((await owner.collectives.list()).body.data).toEqual([]);
  });

  it('given a returnUrl with credentials, then an entity onboarding and a guided session are refused the same way', async () => {
    const owner = await givenTenant();
    const returnUrl = 'https://user:pass@shop.example/done';

    const entity = await owner.entities.create({ ...BODIES.entities, returnUrl });
    const session = await owner.sessions.create({ companyName: 'Acme Energy', manufacturer: 'Tesla', returnUrl });

    for (const refused of [entity, session]) {
      expectProblem(refused, 400, 'validation_failed');
      expect(refused.body.errors).toEqual([{ path: '/returnUrl', message: 'must not contain a username or password' }]);
    }
    expect((await owner.entities.list()).body.data).toEqual([]);
    expect((await owner.sessions.list()).body.data).toEqual([]);
  });

  it('given a returnUrl of exactly 2,000 characters, then it is accepted as sent; one of 2,001 is a 400 naming /returnUrl', async () => {
    const owner = await givenTenant();
    const base = 'https://app.example/';
    const longest = `${base}${'a'.repeat(2_000 - base.length)}`;

    const accepted = await owner.collectives.create({ ...BODIES.collectives, returnUrl: longest });
    const session = await owner.sessions.create({ companyName: 'Acme Energy', manufacturer: 'Tesla', returnUrl: longest });
    const refused = await owner.collectives.create({ ...BODIES.collectives, returnUrl: `${longest}a` });
    const refusedSession = await owner.sessions.create({ companyName: 'Acme Energy', manufacturer: 'Tesla', returnUrl: `${longest}a` });

    expect(accepted.status).toBe(201);
    expect(accepted.body.returnUrl).toBe(longest);
    expect(session.status).toBe(201);
    expect(session.body.returnUrl).toBe(longest);
    for (const problem of [refused, refusedSession]) {
      expectProblem(problem, 400, 'validation_failed');
      expect(problem.body.errors).toEqual([expect.objectContaining({ path: '/returnUrl' })]);
    }
    expect((await owner.collectives.list()).body.data.map((request: { id: string }) => request.id)).toEqual([accepted.body.id]);
  });

  it('given a returnUrl within 2,000 characters that is longer once normalised, then it is a 400: what is kept obeys the limit', async () => {
    const owner = await givenTenant();
    // 420 characters as sent; each é is six once percent-encoded.
    const returnUrl = `https://app.example/${'é'.repeat(400)}`;

    const refused = await owner.collectives.create({ ...BODIES.collectives, returnUrl });

    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual([{ path: '/returnUrl', message: 'must be at most 2000 characters' }]);
  });

  it('given a returnUrl with a port, a path, a query and a fragment, then the consent and guided pages let forms go to its origin only', async () => {
    const owner = await givenTenant();
    const returnUrl = 'https://app.example:8443/onboarding/done?session=42&lang=nl#top';
    const created = await owner.collectives.create({ ...BODIES.collectives, returnUrl });
    const session = await owner.sessions.create({ companyName: 'Acme Energy', manufacturer: 'Tesla', entityType: 'EV', returnUrl });

    const consentPage = await callPage(consentPages.show, pathOf(created.body.action.redirectLink));
    const guidedPage = await callPage(guidedPages.show, pathOf(session.body.url));

    for (const page of [consentPage, guidedPage]) {
      expect(page.status).toBe(200);
      expect(formActionOf(page)).toEqual(["'self'", 'https://app.example:8443']);
      expect(page.headers['content-security-policy']).not.toMatch(/onboarding\/done|session=42|#top/);
    }
  });
});

describe('who asks: the tenant_name claim and a guided session companyName', () => {
  it('given a tenant_name with control characters and bidirectional controls, then the request and its consent page show it without them, trimmed', async () => {
    const owner = await givenTenant('  \u202EGreenfield\u2066 Energy\u0007\u200F\n ');

    const created = await owner.collectives.create(BODIES.collectives);
    const page = await callPage(consentPages.show, pathOf(created.body.action.redirectLink));

    expect(created.status).toBe(201);
    expect(created.body.data.tenant).toEqual({ id: owner.tenantId, name: 'Greenfield Energy' });
    expect((await owner.collectives.get(created.body.id)).body.data.tenant.name).toBe('Greenfield Energy');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Greenfield Energy');
    expect(page.body).not.toMatch(INVISIBLE_ON_A_PAGE);
  });

  it.each([
    ['250 emoji', '👍'.repeat(250), '👍'.repeat(200)],
    ['a flag across the 200th character', `${'a'.repeat(199)}🇳🇱 and more`, 'a'.repeat(199)],
    ['a family emoji across the 200th character', `${'a'.repeat(197)}👨‍👩‍👧 and more`, 'a'.repeat(197)],
    ['an accent across the 200th character', `${'a'.repeat(199)}e\u0301 and more`, 'a'.repeat(199)],
    ['a space at the 200th character', `${'a'.repeat(199)} b`, 'a'.repeat(199)],
  ])(
    'given a tenant_name over 200 characters with %s, then it is cut to at most 200 without splitting what a reader sees as one',
    async (_, tenantName, shown) => {
      const owner = await givenTenant(tenantName);

      const created = await owner.collectives.create(BODIES.collectives);

      expect(created.status).toBe(201);
      const name: string = created.body.data.tenant.name;
      expect(name).toBe(shown);
      expect(Array.from(name).length).toBeLessThanOrEqual(200);
      expect(name.isWellFormed()).toBe(true);
    },
  );

  it('given a tenant_name of invisible characters only, then the request has no tenant name', async () => {
    const owner = await givenTenant('\u202E\u200F \t\u2066');

    const created = await owner.collectives.create(BODIES.collectives);

    expect(created.status).toBe(201);
    expect(created.body.data.tenant).toEqual({ id: owner.tenantId });
  });

  it('given a companyName with bidirectional controls, then the session, its page and the request it yields show it without them, trimmed', async () => {
    const owner = await givenTenant();

    const session = await owner.sessions.create({ companyName: ' \u202EAcme\u202C Energy\u2069 ', manufacturer: 'Tesla', entityType: 'EV' });
    const page = await callPage(guidedPages.show, pathOf(session.body.url));

    expect(session.status).toBe(201);
    expect(session.body.companyName).toBe('Acme Energy');
    expect(page.body).toContain('Acme Energy');
    expect(page.body).not.toMatch(INVISIBLE_ON_A_PAGE);
    const request = await submitGuided(owner, session.body.url);
    expect(request.data.tenant).toEqual({ id: owner.tenantId, name: 'Acme Energy' });
  });

  it('given a companyName of bidirectional controls and spaces only, then it is a 400 naming /companyName and no session exists', async () => {
    const owner = await givenTenant();

    const refused = await owner.sessions.create({ companyName: '\u202E \u200F\u2066', manufacturer: 'Tesla' });

    expectProblem(refused, 400, 'validation_failed');
    expect(refused.body.errors).toEqual([{ path: '/companyName', message: 'must contain visible characters' }]);
    expect((await owner.sessions.list()).body.data).toEqual([]);
  });
});

describe('outbound events never carry the consent link', () => {
  const events = createDynamoEventStore(createDocumentClient(createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint })), config.tableName);
  const saved = { ...process.env };
  let receiver: Receiver;
  let bus: FakeEventBridge;

  beforeAll(async () => {
    receiver = await startReceiver();
    bus = await startFakeEventBridge();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([receiver?.close(), bus?.close()]);
  });

  /** The publisher as the stream's consumer runs it, its deliveries attempted at once, the bus the stand-in. */
  function publisher() {
    const engine = createDeliveryEngine({
      store: events,
      sender: createHttpSender({ deployed: false }),
      retrySeconds: [1, 1, 2],
      sleep: async () => {},
      handOff: async (work) => {
        await Promise.all(work.map((handOff) => engine.deliverTo(handOff)));
      },
    });
    return createPublisher({ store: events, deliveries: engine, kinds, bus: eventBridgeBus('onboarding-test', { endpoint: bus.endpoint }) });
  }

  /** The request's committed change, as the table's stream tells it, published; every form the event took. */
  async function published(requestId: string) {
    const stored = (await store.get(requestId))!;
    const eventId = `evt_${requestId}_${stored.version}`;
    expect(await publisher()([{ request: stored, previousVersion: stored.version === 1 ? undefined : stored.version - 1 }])).toMatchObject({ events: 1 });
    const delivered = receiver.of(eventId);
    expect(delivered).toHaveLength(1);
    const payload = await events.getPayload(eventId);
    const entry = bus.entries.find((candidate) => JSON.parse(candidate.Detail).id === eventId);
    return { event: delivered[0]!.event, texts: [delivered[0]!.body, payload!, entry!.Detail] };
  }

  async function subscribed(tenantName?: string) {
    const owner = await givenTenant(tenantName);
    expect((await owner.endpoints.create({ url: receiver.url })).status).toBe(201);
    return owner;
  }

  it('given a Pending collective request and a subscribed endpoint, then the delivery, its stored payload and the bus carry no consent link; GET still shows it', async () => {
    const owner = await subscribed();
    const created = await owner.collectives.create(BODIES.collectives);
    const got = (await owner.collectives.get(created.body.id)).body;
    const { redirectLink, documentationLink } = got.action;
    expect(redirectLink).toEqual(expect.stringContaining('/consent/'));

    const { event, texts } = await published(created.body.id);

    for (const text of texts) {
      expect(text).not.toContain(redirectLink);
      expect(text).not.toContain(pathOf(redirectLink).split('/').at(-1));
      expect(text).not.toContain('redirectLink');
    }
    // Otherwise the request as GET shows it: the action keeps its type and documentation link.
    const { transition: _transition, ...asGot } = event.data;
    expect(asGot).toEqual({ ...got, action: { type: 'Consent', documentationLink } });
  });

  it('given a guided session that yielded a request, then its event carries neither the session link nor a consent link', async () => {
    const owner = await subscribed();
    const session = (await owner.sessions.create({ companyName: 'Acme Energy', manufacturer: 'Tesla', entityType: 'EV' })).body;
    const request = await submitGuided(owner, session.url);

    const { event, texts } = await published(request.id);

    expect(event.data).toMatchObject({ id: request.id, status: 'Processing', data: { tenant: { name: 'Acme Energy' } } });
    for (const text of texts) {
      expect(text).not.toContain(session.url);
      expect(text).not.toContain(pathOf(session.url).split('/').at(-1));
      expect(text).not.toMatch(/\/guided\/|\/consent\/|redirectLink/);
    }
  });
});

describe('a 409 never names another tenant', () => {
  /** An entity onboarding of `owner` reported Succeeded by the provider, naming `entityId`: the entity is `owner`'s. */
  async function onboarded(owner: Tenant, entityId: string) {
    const created = await owner.entities.create(BODIES.entities);
    expect(created.status).toBe(201);
    expect((await deliver('onboarding.status.updated', created.body.id, 'Succeeded', { entity: { id: entityId } })).body.outcome).toBe('applied');
    return created.body.id as string;
  }

  it('given an entity that moved to a second tenant while the first had an offboarding open, then the second tenant gets a 409 offboarding_open naming nothing of the first', async () => {
    const first = await givenTenant('First Energy');
    const second = await givenTenant('Second Energy');
    const entityId = randomUUID();
    const firstOnboarding = await onboarded(first, entityId);
    const firstOffboarding = await first.offboardings.create({ entityId });
    expect(firstOffboarding.status).toBe(201);
    await onboarded(second, entityId);

    const refused = await second.offboardings.create({ entityId });

    expectProblem(refused, 409, 'offboarding_open');
    const visible = JSON.stringify({ headers: refused.headers, body: refused.body });
    for (const foreign of [firstOffboarding.body.id, firstOnboarding, first.tenantId, first.sub, 'First Energy']) {
      expect(visible).not.toContain(foreign);
    }
    expect((await second.offboardings.list()).body.data).toEqual([]);
  });

  it('given racing offboardings by the tenant the entity moved to, then every one is a 409 naming nothing of the first tenant', async () => {
    const first = await givenTenant();
    const second = await givenTenant();
    const entityId = randomUUID();
    await onboarded(first, entityId);
    const firstOffboarding = await first.offboardings.create({ entityId });
    await onboarded(second, entityId);

    const answers = await Promise.all(Array.from({ length: 5 }, () => second.offboardings.create({ entityId })));

    for (const answer of answers) {
      expectProblem(answer, 409, 'offboarding_open');
      expect(JSON.stringify(answer.body)).not.toContain(firstOffboarding.body.id);
      expect(JSON.stringify(answer.body)).not.toContain(first.tenantId);
    }
  });
});
