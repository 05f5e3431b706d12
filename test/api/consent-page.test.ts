import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { decide, show } from '../../functions/pages/consent.ts';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { loadConfig } from '../../lib/config/settings.ts';
import { createLinks } from '../../lib/pages/links.ts';
import { BODIES, newMessageId, TEST_JWT_SECRET } from '../support/fixtures.ts';
import { apiEvent, invoke, lambdaContext, signedWebhookEvent, tenant } from '../support/http.ts';
import { type CollectionPath, type OnboardingApi, offboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/*
 * The end user's consent page, through the wrapped `show` (GET) and `decide` (POST) handlers,
 * on the requests the API creates. What was recorded is read back through the API.
 */

interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Fields = Record<string, string> | Array<[string, string]>;

interface PostOptions {
  contentType?: string | null;
  /** The body as sent, instead of the url-encoded fields. */
  rawBody?: string;
  isBase64Encoded?: boolean;
}

const FORM = 'application/x-www-form-urlencoded';
const PUBLIC_URL = 'http://127.0.0.1:3000';
const TENANT_NAME = 'Greenfield Energy';

/** The token in a consent link: `{PUBLIC_URL}/consent/{token}`. */
const tokenOf = (link: string) => new URL(link).pathname.replace(/^\/consent\//, '');

/** Calls a page handler as API Gateway would; the answer's header names lower-cased, its body as text. */
async function callPage(handler: typeof show | typeof decide, token: string, extra: Parameters<typeof apiEvent>[0] = {}): Promise<PageAnswer> {
  const method = handler === show ? 'GET' : 'POST';
  const event = apiEvent({ ...extra, method, path: `/consent/${token}`, pathParameters: { token } });
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode ?? 200, headers, body: typeof result.body === 'string' ? result.body : '' };
}

/** The page a link opens (GET). */
const consentPage = (token: string) => callPage(show, token);

/** A form post to the page: url-encoded fields by default, or a body and content type of the test's own. */
function postDecision(token: string, fields: Fields, options: PostOptions = {}): Promise<PageAnswer> {
  const contentType = options.contentType === undefined ? FORM : options.contentType;
  return callPage(decide, token, {
    headers: contentType === null ? {} : { 'content-type': contentType },
    rawBody: options.rawBody ?? new URLSearchParams(fields).toString(),
    ...(options.isBase64Encoded ? { isBase64Encoded: true } : {}),
  });
}

/** The anti-forgery value of the page's form. */
function csrfOf(page: PageAnswer): string {
  const match = /<input type="hidden" name="csrf" value="([^"]+)">/.exec(page.body);
  expect(match, 'the page has no anti-forgery field').not.toBeNull();
  return match![1]!;
}

/** Opens the page and sends a decision from it, as a person clicking a button does. */
async function clickDecision(token: string, decision: 'approve' | 'decline') {
  const csrf = csrfOf(await consentPage(token));
  return postDecision(token, { decision, csrf });
}

/** A bearer token of a fresh tenant, with the display name the consent page shows when given. */
async function givenTenant(path: CollectionPath, tenantName?: string) {
  if (tenantName === undefined) {
    const caller = await tenant();
    return { ...caller, api: onboardingApi(path, caller.authorization) };
  }
  const tenantId = randomUUID();
  const sub = `principal-${tenantId.slice(0, 8)}`;
  const jwt = await new SignJWT({ scope: 'onboarding:read onboarding:write', tenant_id: tenantId, tenant_name: tenantName })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer('onboarding-local')
    .setAudience('onboarding-api')
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const authorization = `Bearer ${jwt}`;
  return { tenantId, sub, authorization, api: onboardingApi(path, authorization) };
}

/** A Pending request created through the API, with the token of its consent link. */
async function givenRequest(options: { path?: CollectionPath; body?: object; tenantName?: string; returnUrl?: string } = {}) {
  const path = options.path ?? 'collectives';
  const owner = await givenTenant(path, options.tenantName ?? TENANT_NAME);
  const created = await owner.api.create({ ...(options.body ?? BODIES[path]), ...(options.returnUrl ? { returnUrl: options.returnUrl } : {}) });
  expect(created.status).toBe(201);
  const request = created.body;
  return { ...owner, request, id: request.id as string, link: request.action.redirectLink as string, token: tokenOf(request.action.redirectLink) };
}

async function transitionsOf(api: OnboardingApi, id: string) {
  const history = await api.history(id);
  expect(history.status).toBe(200);
  return history.body.data as Array<Record<string, any>>;
}

/** The request's status, version and trail length: what "nothing was recorded" is compared on. */
async function recorded(api: OnboardingApi, id: string) {
  const { body } = await api.get(id);
  return { status: body.status, version: body.version, transitions: (await transitionsOf(api, id)).length };
}

/** The form-action directive of the page's Content-Security-Policy, as its sources. */
const formActionOf = (page: PageAnswer) => (/(?:^|;\s*)form-action ([^;]+)/.exec(page.headers['content-security-policy'] ?? '')?.[1] ?? '').trim().split(/\s+/);

/** The headers of every page. */
function expectPageHeaders(page: PageAnswer, returnOrigin?: string) {
  expect(page.headers['content-type']).toMatch(/^text\/html\b/);
  const csp = page.headers['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(formActionOf(page)).toEqual(["'self'", ...(returnOrigin ? [returnOrigin] : [])]);
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  expect(page.headers['cache-control']).toBe('no-store');
  expect(page.headers['x-content-type-options']).toBe('nosniff');
}

const LEAKS = [
  /Error/,
  /Exception/,
  /\bat [\w$.<>]+ \(/,
  /\.(?:ts|js|mjs):\d+/,
  /node_modules|node:internal/,
  /DynamoDB|ConditionalCheck|\$metadata/,
  /valibot|ValiError/i,
];

/** An HTML error page with the given status, the page headers, and nothing internal in it. */
function expectErrorPage(page: PageAnswer, status: number) {
  expect(page.status).toBe(status);
  expectPageHeaders(page);
  expect(page.body).toMatch(/<html lang="en">/);
  const visible = JSON.stringify(page);
  for (const leak of LEAKS) expect(visible, `the page shows ${leak}`).not.toMatch(leak);
  expect(page.body).not.toContain('<form');
}

/** What a person reads on the page: its body's text without tags, style or extra spaces. */
const textOf = (page: PageAnswer) =>
  page.body
    .replace(/<head>[\s\S]*<\/head>/, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** A page that shows the request's status and offers no decision. */
function expectStatusOnly(page: PageAnswer, status: string) {
  expect(textOf(page)).toContain(status);
  expect(page.body).not.toContain('<form');
  expect(page.body).not.toContain('<button');
  expect(page.body).not.toContain('name="csrf"');
}

/** Links signed with the link secret the functions use (the dev default in tests). */
function testLinks() {
  const setting = loadConfig(process.env).linkSecret;
  expect(setting?.value, 'the test environment signs links with a plain secret').toEqual(expect.any(String));
  return createLinks(() => setting!.value!);
}

/** The token with one character changed at `index`. */
function tamper(token: string, index: number): string {
  const replacement = token[index] === 'A' ? 'B' : 'A';
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

/** The token with the request id it names swapped for `id`, its expiry and signature kept. */
function withId(token: string, id: string): string {
  const bytes = Buffer.from(token, 'base64url');
  Buffer.from(id.replaceAll('-', ''), 'hex').copy(bytes, 0);
  return bytes.toString('base64url');
}

describe('the consent page (GET)', () => {
  it('given a Pending collective request, when its link is opened, then it shows who asks, the collective, the documentation link and Approve and Decline in a labelled form', async () => {
    const { token, request } = await givenRequest({ path: 'collectives', body: { name: 'Sunny Street 12', type: 'Household' } });

    const page = await consentPage(token);

    expect(page.status).toBe(200);
    expect(page.body).toMatch(/^<!doctype html>/i);
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toMatch(new RegExp(`<h1>[^<]*${TENANT_NAME}[^<]*</h1>`));
    expect(textOf(page)).toContain('Sunny Street 12');
    expect(textOf(page)).toContain('Household');
    expect(textOf(page)).toContain('Pending');
    expect(page.body).toContain(`href="${request.action.documentationLink.replaceAll('&', '&amp;')}"`);
    expect(page.body).toMatch(/<form method="post" aria-label="[^"]+">/);
    expect(page.body).toMatch(/<button[^>]*name="decision" value="approve">Approve<\/button>/);
    expect(page.body).toMatch(/<button[^>]*name="decision" value="decline">Decline<\/button>/);
    expect(page.body).not.toMatch(/<script/i);
  });

  it("given a Pending entity request, when its link is opened, then it shows the entity's manufacturer, type and model", async () => {
    const { token } = await givenRequest({ path: 'entities', body: { type: 'Battery', manufacturer: 'Tesla', model: 'Powerwall 2' } });

    const page = await consentPage(token);

    expect(page.status).toBe(200);
    const text = textOf(page);
    // The type as the API has it, or in the end user's words.
    expect(text).toMatch(/\bbattery\b/i);
    expect(text).toContain('Tesla');
    expect(text).toContain('Powerwall 2');
    expect(text).toContain(TENANT_NAME);
    expect(page.body).toContain('value="approve">Approve<');
    expect(page.body).toContain('value="decline">Decline<');
  });

  it('given a request with a returnUrl, when its page is opened, then the headers are strict and forms may go only to this origin and the return origin', async () => {
    const { token } = await givenRequest({ returnUrl: 'https://app.example/onboarding/done?session=42' });

    const page = await consentPage(token);

    expect(page.status).toBe(200);
    expectPageHeaders(page, 'https://app.example');
  });

  it('given a request without a returnUrl, when its page is opened, then forms may go to this origin only', async () => {
    const { token } = await givenRequest();

    const page = await consentPage(token);

    expect(page.status).toBe(200);
    expectPageHeaders(page);
  });

  it('given a Pending request, when its page is opened twice, then nothing changes: still Pending with only its creation in the trail', async () => {
    const { token, api, id } = await givenRequest();

    expect((await consentPage(token)).status).toBe(200);
    expect((await consentPage(token)).status).toBe(200);

    expect(await recorded(api, id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
  });

  it('given a collective and a tenant named with HTML, when the page is opened, then both are shown escaped as text', async () => {
    const { token } = await givenRequest({
      body: { name: '<img src=x onerror=alert(1)>', type: 'Household' },
      tenantName: '<script>alert("tenant")</script>',
    });

    const page = await consentPage(token);

    expect(page.status).toBe(200);
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&lt;script&gt;alert(&quot;tenant&quot;)&lt;/script&gt;');
    expect(page.body).not.toMatch(/<script/i);
  });
});

describe('the decision (POST)', () => {
  it('given a Pending request with a returnUrl, when the end user approves, then it is 303 to the returnUrl with the outcome and the request is Processing by the end user', async () => {
    const { token, api, id } = await givenRequest({ returnUrl: 'https://app.example/back?session=42&lang=nl' });

    const answer = await clickDecision(token, 'approve');

    expect(answer.status).toBe(303);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    const location = new URL(answer.headers.location!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example/back');
    expect(Object.fromEntries(location.searchParams)).toEqual({ session: '42', lang: 'nl', onboardingRequestId: id, status: 'Processing' });

    expect((await api.get(id)).body).toMatchObject({ status: 'Processing', version: 2, errors: [] });
    const trail = await transitionsOf(api, id);
    expect(trail).toHaveLength(2);
    const made = trail.find((transition) => transition.to === 'Processing')!;
    expect(made).toMatchObject({ from: 'Pending', to: 'Processing', source: 'consent', actor: { type: 'enduser', id: expect.any(String) } });
    // The actor is the link's digest, never the link itself (it is a credential).
    expect(made.actor.id).not.toContain(token);
  });

  it('given a Pending request without a returnUrl, when the end user approves, then it is 303 back to the page, which shows the status and no buttons', async () => {
    const { token, api, id } = await givenRequest();

    const answer = await clickDecision(token, 'approve');

    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe(`${PUBLIC_URL}/consent/${token}`);
    const after = await consentPage(tokenOf(answer.headers.location!));
    expect(after.status).toBe(200);
    expectStatusOnly(after, 'Processing');
    expectPageHeaders(after);
    expect(await recorded(api, id)).toEqual({ status: 'Processing', version: 2, transitions: 2 });
  });

  it('given a Pending request with a returnUrl, when the end user declines, then it is Canceled with ConsentDeclined by the end user and 303 with status=Canceled', async () => {
    const { token, api, id } = await givenRequest({ path: 'entities', returnUrl: 'https://app.example/back' });

    const answer = await clickDecision(token, 'decline');

    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.location!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ onboardingRequestId: id, status: 'Canceled' });
    const { body: request } = await api.get(id);
    expect(request).toMatchObject({ status: 'Canceled', action: null });
    expect(request.errors).toEqual([expect.objectContaining({ code: 'ConsentDeclined' })]);
    const trail = await transitionsOf(api, id);
    expect(trail).toHaveLength(2);
    expect(trail.find((transition) => transition.to === 'Canceled')).toMatchObject({
      from: 'Pending',
      source: 'consent',
      actor: { type: 'enduser' },
      errors: [expect.objectContaining({ code: 'ConsentDeclined' })],
    });
  });

  it('given a form sent base64-encoded, as API Gateway passes a form body, when the end user approves, then it is recorded as from the page', async () => {
    const { token, api, id } = await givenRequest();
    const csrf = csrfOf(await consentPage(token));
    const encoded = Buffer.from(new URLSearchParams({ decision: 'approve', csrf }).toString()).toString('base64');

    const answer = await postDecision(token, {}, { rawBody: encoded, isBase64Encoded: true, contentType: `${FORM}; charset=UTF-8` });

    expect(answer.status).toBe(303);
    expect(await recorded(api, id)).toEqual({ status: 'Processing', version: 2, transitions: 2 });
  });

  it('given Approve and Decline sent at the same moment, when both arrive, then exactly one is recorded and the other is a 409 page', async () => {
    const { token, api, id } = await givenRequest();
    const csrf = csrfOf(await consentPage(token));

    const answers = await Promise.all([postDecision(token, { decision: 'approve', csrf }), postDecision(token, { decision: 'decline', csrf })]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 409]);
    const trail = await transitionsOf(api, id);
    expect(trail).toHaveLength(2);
    const { body: request } = await api.get(id);
    expect(request.status).toBe(answers[0]!.status === 303 ? 'Processing' : 'Canceled');
    expect(request.version).toBe(2);
  });

  it.each([
    ['approve', 'Processing'],
    ['decline', 'Processing'],
  ] as const)(
    'given an approved request, when the end user sends %s again, then it is a 409 page showing %s and nothing is recorded',
    async (decision, shown) => {
      const { token, api, id } = await givenRequest({ returnUrl: 'https://app.example/back' });
      const csrf = csrfOf(await consentPage(token));
      expect((await postDecision(token, { decision: 'approve', csrf })).status).toBe(303);
      const before = await recorded(api, id);

      const again = await postDecision(token, { decision, csrf });

      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(/^text\/html\b/);
      expectStatusOnly(again, shown);
      expectPageHeaders(again, 'https://app.example');
      expect(await recorded(api, id)).toEqual(before);
    },
  );

  it('given a request canceled through the API, when its link is opened, then it shows Canceled and no buttons, and a decision records nothing', async () => {
    const { token, api, id } = await givenRequest();
    const csrf = csrfOf(await consentPage(token));
    expect((await api.cancel(id)).status).toBe(200);
    const before = await recorded(api, id);
    expect(before.status).toBe('Canceled');

    const page = await consentPage(token);
    const late = await postDecision(token, { decision: 'approve', csrf });

    expect(page.status).toBe(200);
    expectStatusOnly(page, 'Canceled');
    expect(late.status).toBe(409);
    expectStatusOnly(late, 'Canceled');
    expect(await recorded(api, id)).toEqual(before);
  });
});

describe('links that do not open a request', () => {
  it('given a link with one character changed, when opened or posted to, then it is a 404 page and nothing is recorded', async () => {
    const { token, api, id } = await givenRequest();
    const csrf = csrfOf(await consentPage(token));

    for (const altered of [tamper(token, 0), tamper(token, 25), tamper(token, 47)]) {
      expectErrorPage(await consentPage(altered), 404);
      expectErrorPage(await postDecision(altered, { decision: 'approve', csrf }), 404);
    }

    expect(await recorded(api, id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
  });

  it('given a truncated link, when opened or posted to, then it is a 404 page and nothing is recorded', async () => {
    const { token, api, id } = await givenRequest();
    const csrf = csrfOf(await consentPage(token));
    const truncated = token.slice(0, -1);

    expectErrorPage(await consentPage(truncated), 404);
    expectErrorPage(await postDecision(truncated, { decision: 'approve', csrf }), 404);
    expect(await recorded(api, id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
  });

  it("given two tenants' requests, when a link's id is swapped for the other request's, then it is a 404 page, and each link opens only its own request", async () => {
    const a = await givenRequest({ body: { name: 'Tenant A home', type: 'Household' } });
    const b = await givenRequest({ body: { name: 'Tenant B home', type: 'Household' } });
    const csrfOfB = csrfOf(await consentPage(b.token));

    const swapped = withId(b.token, a.id);

    expectErrorPage(await consentPage(swapped), 404);
    expectErrorPage(await postDecision(swapped, { decision: 'approve', csrf: csrfOfB }), 404);
    const pageOfB = await consentPage(b.token);
    expect(pageOfB.body).toContain('Tenant B home');
    expect(pageOfB.body).not.toContain('Tenant A home');
    expect(await recorded(a.api, a.id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
  });

  it('given a link signed for the request but for another tenant, when opened, then it is a 404 page', async () => {
    const { id, api } = await givenRequest();
    const foreign = testLinks().sign('consent', { id, tenantId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) });

    expectErrorPage(await consentPage(foreign), 404);
    expect(await recorded(api, id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
  });

  it('given a link for an id that does not exist, when opened, then it is the same 404 page', async () => {
    const unknown = testLinks().sign('consent', { id: randomUUID(), tenantId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) });

    expectErrorPage(await consentPage(unknown), 404);
  });

  it('given a link past its expiry, when opened or posted to, then it is a 410 page and nothing is recorded, while the same link unexpired opens', async () => {
    const { id, tenantId, api } = await givenRequest();
    const links = testLinks();
    const expired = links.sign('consent', { id, tenantId, expiresAt: new Date(Date.now() - 60_000) });
    const fresh = links.sign('consent', { id, tenantId, expiresAt: new Date(Date.now() + 3_600_000) });

    expectErrorPage(await consentPage(expired), 410);
    expectErrorPage(await postDecision(expired, { decision: 'approve', csrf: links.formValue(expired) }), 410);
    expect((await consentPage(fresh)).status).toBe(200);
    expect(await recorded(api, id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
  });

  it('given an expired link signed for another tenant, when opened, then it is a 404 page, not a 410 (an expiry tells nothing of a forgery)', async () => {
    const { id } = await givenRequest();
    const expiredForeign = testLinks().sign('consent', { id, tenantId: randomUUID(), expiresAt: new Date(Date.now() - 60_000) });

    expectErrorPage(await consentPage(expiredForeign), 404);
  });

  it('given an offboarding request, when a consent link is signed for its id and tenant, then it is a 404 page', async () => {
    const owner = await tenant();
    const entities = onboardingApi('entities', owner.authorization);
    const offboarding = offboardingApi(owner.authorization);
    const onboarded = await entities.create(BODIES.entities);
    const entityId = randomUUID();
    const body = JSON.stringify({
      type: 'onboarding.status.updated',
      timestamp: new Date().toISOString(),
      data: { id: onboarded.body.id, status: 'Succeeded', entity: { id: entityId } },
    });
    expect((await invoke(webhooks.handler, signedWebhookEvent(newMessageId(), body))).body).toMatchObject({ outcome: 'applied' });
    const created = await offboarding.create({ entityId });
    expect(created.status).toBe(201);
    const links = testLinks();
    const expiresAt = new Date(Date.now() + 3_600_000);
    // The same signing opens an onboarding request of this tenant, so the 404 below is the offboarding's.
    const ownOnboarding = await entities.create(BODIES.entities);
    expect((await consentPage(links.sign('consent', { id: ownOnboarding.body.id, tenantId: owner.tenantId, expiresAt }))).status).toBe(200);

    const page = await consentPage(links.sign('consent', { id: created.body.id, tenantId: owner.tenantId, expiresAt }));

    expectErrorPage(page, 404);
    expect((await offboarding.get(created.body.id)).body).toMatchObject({ status: created.body.status, version: created.body.version });
  });
});

describe('forms that are not used', () => {
  /** A Pending request, its page's anti-forgery value, and a check that nothing was recorded. */
  async function givenPageOpened() {
    const request = await givenRequest();
    const csrf = csrfOf(await consentPage(request.token));
    const nothingRecorded = async () => expect(await recorded(request.api, request.id)).toEqual({ status: 'Pending', version: 1, transitions: 1 });
    return { ...request, csrf, nothingRecorded };
  }

  it('given a form without the anti-forgery value, when posted, then it is a 400 page and nothing is recorded', async () => {
    const { token, nothingRecorded } = await givenPageOpened();

    expectErrorPage(await postDecision(token, { decision: 'approve' }), 400);
    await nothingRecorded();
  });

  it("given a form with a wrong anti-forgery value, or another link's, when posted, then it is a 403 page and nothing is recorded", async () => {
    const { token, nothingRecorded } = await givenPageOpened();
    const other = await givenPageOpened();

    expectErrorPage(await postDecision(token, { decision: 'approve', csrf: 'not-the-value-of-this-page' }), 403);
    expectErrorPage(await postDecision(token, { decision: 'approve', csrf: other.csrf }), 403);
    await nothingRecorded();
    await other.nothingRecorded();
  });

  it('given a form with an unknown field, when posted, then it is a 400 page and nothing is recorded', async () => {
    const { token, csrf, nothingRecorded } = await givenPageOpened();

    expectErrorPage(await postDecision(token, { decision: 'approve', csrf, returnUrl: 'https://evil.example' }), 400);
    await nothingRecorded();
  });

  it('given a form that sends a field twice, when posted, then it is a 400 page and nothing is recorded', async () => {
    const { token, csrf, nothingRecorded } = await givenPageOpened();

    expectErrorPage(
      await postDecision(token, [
        ['decision', 'decline'],
        ['decision', 'approve'],
        ['csrf', csrf],
      ]),
      400,
    );
    expectErrorPage(
      await postDecision(token, [
        ['decision', 'approve'],
        ['csrf', csrf],
        ['csrf', csrf],
      ]),
      400,
    );
    await nothingRecorded();
  });

  it('given a decision that is neither approve nor decline, when posted, then it is a 400 page and nothing is recorded', async () => {
    const { token, csrf, nothingRecorded } = await givenPageOpened();

    for (const decision of ['maybe', 'APPROVE', '']) {
      expectErrorPage(await postDecision(token, { decision, csrf }), 400);
    }
    await nothingRecorded();
  });

  it('given a form larger than 16 KiB, when posted, then it is a 413 page and nothing is recorded', async () => {
    const { token, csrf, nothingRecorded } = await givenPageOpened();

    expectErrorPage(await postDecision(token, { decision: 'approve', csrf, padding: 'x'.repeat(16 * 1024) }), 413);
    await nothingRecorded();
  });

  it('given a body that is not a form (JSON, or no content type), when posted, then it is a 415 page and nothing is recorded', async () => {
    const { token, csrf, nothingRecorded } = await givenPageOpened();

    expectErrorPage(await postDecision(token, {}, { contentType: 'application/json', rawBody: JSON.stringify({ decision: 'approve', csrf }) }), 415);
    expectErrorPage(await postDecision(token, { decision: 'approve', csrf }, { contentType: 'application/json' }), 415);
    expectErrorPage(await postDecision(token, { decision: 'approve', csrf }, { contentType: null }), 415);
    await nothingRecorded();
  });

  it('given a form body that is not UTF-8, when posted, then it is a 400 page and nothing is recorded', async () => {
    const { token, csrf, nothingRecorded } = await givenPageOpened();
    // Read leniently, the value would be the page's with a replacement character: a 403, not this 400.
    const bytes = Buffer.concat([Buffer.from(`decision=approve&csrf=${encodeURIComponent(csrf)}`), Buffer.from([0xff])]);

    expectErrorPage(await postDecision(token, {}, { rawBody: bytes.toString('base64'), isBase64Encoded: true }), 400);
    await nothingRecorded();
  });

  it('given an empty POST, when sent, then it is a 400 page and nothing is recorded', async () => {
    const { token, nothingRecorded } = await givenPageOpened();

    expectErrorPage(await postDecision(token, {}, { rawBody: '' }), 400);
    await nothingRecorded();
  });
});
