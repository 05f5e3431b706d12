import { afterEach, describe, expect, it, vi } from 'vitest';
import * as pages from '../../functions/pages/guided.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import type { Route } from '../../lib/http/route.ts';
import { ENTITY_TYPES } from '../../lib/lifecycle/types.ts';
import { at } from '../support/clock.ts';
import { apiEvent, lambdaContext, tenant } from '../support/http.ts';
import { callRoute, onboardingApi } from '../support/onboarding-api.ts';

/*
 * The end user's page of a guided onboarding session, through the
 * wrapped handlers `show` and `submit` of functions/pages/guided.ts, against DynamoDB Local. Sessions are
 * created through the API by a fresh tenant per test, whose entities list is where the end user's request
 * must (or must not) appear.
 */

const VIN = '5YJ3E1EA7KF317000';
const MAX_FORM_BYTES = 16 * 1024;

afterEach(() => {
  vi.useRealTimers();
});

interface Shown {
  status: number;
  headers: Record<string, string>;
  html: string;
}

type PageHandler = typeof pages.show;

/** A form body; pairs rather than a record, so that a field can be sent twice. */
type Fields = Record<string, string> | Array<[string, string]>;
const encode = (fields: Fields) => new URLSearchParams(fields).toString();

/** A browser's request to the page at `/guided/{link}`, through the handler's whole middleware stack. */
async function callPage(handler: PageHandler, link: string, post?: { body: string; contentType?: string | null }): Promise<Shown> {
  const contentType = post?.contentType === undefined ? 'application/x-www-form-urlencoded' : post.contentType;
  const event = apiEvent({
    method: post ? 'POST' : 'GET',
    path: `/guided/${link}`,
    pathParameters: { token: link },
    ...(post ? { rawBody: post.body, headers: contentType === null ? {} : { 'content-type': contentType } } : {}),
  });
  const result = await handler(event, lambdaContext());
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode ?? 200, headers, html: String(result.body ?? '') };
}

const open = (link: string) => callPage(pages.show, link);

/** The anti-forgery value the page's form carries. */
function csrfOf(page: Shown): string {
  const value = /<input type="hidden" name="csrf" value="([^"]+)">/.exec(page.html)?.[1];
  expect(value, 'the page has an anti-forgery value').toBeDefined();
  return value!;
}

/** What an end user fills in, and agrees to, on a session that presets the type. */
const device = (extra: Record<string, string> = {}) => ({ model: 'Model 3', identifier: VIN, consent: 'yes', ...extra });

/** Submits `fields` with the anti-forgery value of the page as just opened (unless `fields` brings its own). */
async function submit(link: string, fields: Fields, options: { contentType?: string | null } = {}): Promise<Shown> {
  const withCsrf = Array.isArray(fields) || 'csrf' in fields ? fields : { ...fields, csrf: csrfOf(await open(link)) };
  return callPage(pages.submit, link, { body: encode(withCsrf), ...options });
}

/** A fresh tenant that created a guided session through the API; `link` is the token of its url. */
async function givenSession(body: Record<string, unknown> = {}) {
  const caller = await tenant();
  const created = await callRoute(
    GUIDED_SESSION_ROUTES.create as Route,
    {},
    {
      headers: { authorization: caller.authorization },
      body: { companyName: 'Acme Energy', manufacturer: 'Tesla', entityType: 'EV', ...body },
    },
  );
  expect(created.status).toBe(201);
  const session = created.body;
  const entities = onboardingApi('entities', caller.authorization);
  const getSession = async () =>
    (await callRoute(GUIDED_SESSION_ROUTES.get as Route, { onboardingSessionId: session.id }, { headers: { authorization: caller.authorization } })).body;
  return { ...caller, session, link: new URL(session.url).pathname.split('/').at(-1)!, entities, getSession };
}

type Given = Awaited<ReturnType<typeof givenSession>>;

/** The Entity requests of the session's tenant, as its own API lists them. */
async function requestsOf(given: Given) {
  const listed = await given.entities.list();
  expect(listed.status).toBe(200);
  return listed.body.data as Array<Record<string, any>>;
}

async function expectNothingCreated(given: Given) {
  expect(await requestsOf(given)).toEqual([]);
  expect((await given.getSession()).onboardingRequest).toBeNull();
}

/** The headers of every page. */
function expectPageHeaders(page: Shown, formTargets: string[] = []) {
  expect(page.headers['content-type']).toMatch(/^text\/html\b/);
  const csp = Object.fromEntries(
    page.headers['content-security-policy']!.split(';').map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name, values.join(' ')];
    }),
  );
  expect(csp['default-src']).toBe("'none'");
  expect(csp['frame-ancestors']).toBe("'none'");
  expect(csp['form-action']).toBe(["'self'", ...formTargets].join(' '));
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  expect(page.headers['cache-control']).toBe('no-store');
  expect(page.headers['x-content-type-options']).toBe('nosniff');
  expect(page.html).toMatch(/<html lang="[a-z]{2}/);
}

/** A refusal as the person sees it: an HTML page with the status, the page headers and nothing internal. */
function expectErrorPage(page: Shown, status: number) {
  expect(page.status, page.html.slice(0, 2000)).toBe(status);
  expectPageHeaders(page);
  expect(page.html).not.toMatch(/DynamoDB|Exception|node_modules|\.ts:\d+|\bat \w+ \(/);
}

/** The form shown again with a 400 and a message saying what to fix. */
/** The form again, 400, with the message at its field: the field marked invalid and described by it, and in the summary. */
function expectFormAgain(page: Shown, message: RegExp, field: string) {
  expect(page.status).toBe(400);
  expect(page.html).toMatch(/<form method="post"/);
  const shown = new RegExp(`<p class="error" id="${field}-error">([^<]*)</p>`).exec(page.html)?.[1];
  expect(shown).toMatch(message);
  expect(page.html).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*${field}-error`));
  expect(page.html).toMatch(new RegExp(`<div role="alert" class="summary">.*<a href="#${field}">`, 's'));
}

/** A token with one character changed: still well-formed, no longer signed. */
const altered = (link: string, at = 10) => `${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`;

describe('GET /guided/{token}: the form', () => {
  it('shows who asks, the manufacturer, the model and identifier fields, and a consent checkbox, with the headers of every page', async () => {
    const { link } = await givenSession({ entityType: 'EV', returnUrl: 'https://shop.example/done' });

    const page = await open(link);

    expect(page.status).toBe(200);
    expectPageHeaders(page, ['https://shop.example']);
    expect(page.html).toContain('Acme Energy');
    expect(page.html).toContain('Tesla');
    expect(page.html).toMatch(/<label for="model">[^<]+<\/label>\s*<input id="model" name="model"/);
    expect(page.html).toMatch(/<label for="identifier">[^<]+<\/label>\s*<input id="identifier" name="identifier"/);
    expect(page.html).toMatch(/<input type="checkbox" id="consent" name="consent" value="yes" required>\s*<label for="consent">[^<]*Acme Energy[^<]*<\/label>/);
    expect(page.html).toMatch(/<button[^>]*type="submit"/);
  });

  it('given a session without a return address, then forms may go to this origin only', async () => {
    const { link } = await givenSession();

    expectPageHeaders(await open(link), []);
  });

  it('given a session that presets no type, then it offers a labelled select of every device type', async () => {
    const { link } = await givenSession({ entityType: null });

    const page = await open(link);

    expect(page.html).toMatch(/<label for="entityType">[^<]+<\/label>\s*<select id="entityType" name="entityType" required>/);
    const offered = [...page.html.matchAll(/<option value="(\w+)"/g)].map((match) => match[1]);
    expect(offered).toEqual([...ENTITY_TYPES]);
  });

  it('given a session that presets the type, then there is no type to choose', async () => {
    const { link } = await givenSession({ entityType: 'HeatPump' });

    const page = await open(link);

    expect(page.html).not.toContain('<select');
    expect(page.html).not.toContain('name="entityType"');
  });

  it.each([
    ['EV', /VIN/],
    ['Meter', /EAN/],
    ['SmartMeter', /EAN/],
    ['RetrofitMeter', /EAN/],
    ['Battery', /^Serial number$/],
    ['HeatPump', /^Serial number$/],
  ])('given a session preset to %s, then the identifier is asked for by the name that fits (%s)', async (entityType, label) => {
    const { link } = await givenSession({ entityType });

    const page = await open(link);

    expect(/<label for="identifier">([^<]+)<\/label>/.exec(page.html)?.[1]).toMatch(label);
  });

  it('given a company name and manufacturer with markup, then the page shows them as text, escaped', async () => {
    const { link } = await givenSession({ companyName: '<img src=x onerror=alert(1)>', manufacturer: '"><script>alert(2)</script>' });

    const page = await open(link);

    expect(page.status).toBe(200);
    expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.html).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page.html).not.toContain('<img');
    expect(page.html).not.toContain('<script');
  });

  it('never creates anything, however often it is opened', async () => {
    const given = await givenSession();

    for (let i = 0; i < 3; i++) expect((await open(given.link)).status).toBe(200);

    await expectNothingCreated(given);
  });
});

describe('POST /guided/{token}: the end user submits', () => {
  it('given the device and consent, then it answers 303 to the return address with the request id and status Processing', async () => {
    const given = await givenSession({ returnUrl: 'https://shop.example/done?ref=42' });

    const submitted = await submit(given.link, device());

    expect(submitted.status).toBe(303);
    const [request] = await requestsOf(given);
    const location = new URL(submitted.headers.location!);
    expect(`${location.origin}${location.pathname}`).toBe('https://shop.example/done');
    expect(Object.fromEntries(location.searchParams)).toEqual({ ref: '42', onboardingRequestId: request!.id, status: 'Processing' });
    expect(submitted.headers['cache-control']).toBe('no-store');
    expect(submitted.headers['referrer-policy']).toBe('no-referrer');
  });

  it('given no return address, then it answers 303 back to the page, which then thanks the end user and shows the status', async () => {
    const given = await givenSession();

    const submitted = await submit(given.link, device());
    const after = await open(given.link);

    expect(submitted.status).toBe(303);
    expect(submitted.headers.location).toBe(given.session.url);
    expect(after.status).toBe(200);
    expectPageHeaders(after);
    expect(after.html).toMatch(/Thank you/i);
    expect(after.html).toContain('Processing');
    expect(after.html).not.toContain('<form');
  });

  it("creates exactly one Entity request in the session's tenant, by the session's creator, moved to Processing", async () => {
    const given = await givenSession({ entityType: 'EV' });

    await submit(given.link, device());

    const requests = await requestsOf(given);
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request).toMatchObject({
      requestType: 'Entity',
      status: 'Processing',
      principalId: given.sub,
      version: 2,
      action: null,
      errors: [],
      data: { tenant: { id: given.tenantId }, entity: { type: 'EV', information: { manufacturer: 'Tesla', model: 'Model 3', type: 'EV' } } },
    });
    expect((await given.entities.get(request.id)).body).toEqual(request);
    expect((await given.getSession()).onboardingRequest).toEqual(request);
  });

  it('records exactly two transitions, null → Pending → Processing, both by the end user through consent, never naming the link', async () => {
    const given = await givenSession();
    await submit(given.link, device());
    const [request] = await requestsOf(given);

    const history = await given.entities.history(request!.id);

    expect(history.status).toBe(200);
    const trail = history.body.data as Array<Record<string, any>>;
    expect(trail.map(({ from, to }) => [from, to])).toEqual([
      [null, 'Pending'],
      ['Pending', 'Processing'],
    ]);
    for (const record of trail) {
      expect(record.actor.type).toBe('enduser');
      expect(record.source).toBe('consent');
      expect(record.actor.id).not.toContain(given.link);
    }
  });

  it("names the guided session as the end user in the trail (actor id = the guided session's id)", async () => {
    const given = await givenSession();
    await submit(given.link, device());
    const [request] = await requestsOf(given);

    const trail = (await given.entities.history(request!.id)).body.data as Array<Record<string, any>>;

    expect(trail.map((record) => record.actor)).toEqual([
      { type: 'enduser', id: given.session.id },
      { type: 'enduser', id: given.session.id },
    ]);
  });

  it.each([
    { name: 'preset EV', preset: 'EV', chosen: undefined, identifier: '5yj3e1ea7kf317000', field: 'vin', stored: VIN },
    { name: 'preset SmartMeter', preset: 'SmartMeter', chosen: undefined, identifier: '871687120054321234', field: 'ean', stored: '871687120054321234' },
    { name: 'preset Meter', preset: 'Meter', chosen: undefined, identifier: '87168712', field: 'ean', stored: '87168712' },
    { name: 'preset HeatPump', preset: 'HeatPump', chosen: undefined, identifier: 'HP-2024/0042', field: 'reference', stored: 'HP-2024/0042' },
    { name: 'EV chosen on the page', preset: null, chosen: 'EV', identifier: VIN, field: 'vin', stored: VIN },
    {
      name: 'RetrofitMeter chosen on the page',
      preset: null,
      chosen: 'RetrofitMeter',
      identifier: '8716871200543212',
      field: 'ean',
      stored: '8716871200543212',
    },
    { name: 'Battery chosen on the page', preset: null, chosen: 'Battery', identifier: 'PW2-000123', field: 'reference', stored: 'PW2-000123' },
  ])('given $name, then the identifier is stored as $field', async ({ preset, chosen, identifier, field, stored }) => {
    const given = await givenSession({ entityType: preset });

    const submitted = await submit(given.link, device({ identifier, ...(chosen ? { entityType: chosen } : {}) }));

    expect(submitted.status).toBe(303);
    const [request] = await requestsOf(given);
    const information = request!.data.entity.information;
    expect(request!.data.entity.type).toBe(preset ?? chosen);
    expect(information[field]).toBe(stored);
    for (const other of ['vin', 'ean', 'reference'].filter((name) => name !== field)) expect(information[other]).toBeNull();
  });

  it('given a second submit, then it answers 409 with a page showing the first request, and nothing more is created', async () => {
    const given = await givenSession();
    const csrf = csrfOf(await open(given.link));
    await submit(given.link, device({ csrf }));

    // The form sent again from the page as it was first opened (a second tab, the back button).
    const again = await submit(given.link, device({ csrf, model: 'Model Y', identifier: '5YJYGDEE1LF000001' }));

    expect(again.status).toBe(409);
    expectPageHeaders(again);
    expect(again.html).toContain('Processing');
    expect(again.html).not.toContain('<form');
    const requests = await requestsOf(given);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.data.entity.information).toMatchObject({ model: 'Model 3', vin: VIN });
  });

  it('given two submits at the same moment, then exactly one request exists, Processing with two transitions', async () => {
    const given = await givenSession();
    const csrf = csrfOf(await open(given.link));

    const answers = await Promise.all([submit(given.link, device({ csrf })), submit(given.link, device({ csrf, model: 'Model Y' }))]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 409]);
    const requests = await requestsOf(given);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ status: 'Processing', version: 2 });
    expect((await given.entities.history(requests[0]!.id)).body.data).toHaveLength(2);
  });

  it('given markup in the company name, then the thank-you page shows it escaped too', async () => {
    const given = await givenSession({ companyName: '<img src=x onerror=alert(1)>', returnUrl: 'https://shop.example/done' });
    await submit(given.link, device());

    const page = await open(given.link);

    expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.html).not.toContain('<img');
  });
});

describe('an expired session (its page says so and accepts nothing)', () => {
  it('given a session of 5 minutes, when opened or submitted after them, then both are 410 pages and nothing is created', async () => {
    const given = await givenSession({ expiresInMinutes: 5 });
    const csrf = csrfOf(await open(given.link));
    const later = Date.parse(given.session.expiresAt) + 60_000;

    const [shown, submitted] = await at(later, async () => [await open(given.link), await submit(given.link, device({ csrf }))]);

    expectErrorPage(shown!, 410);
    expectErrorPage(submitted!, 410);
    expect(shown!.html).toMatch(/expired/i);
    expect(shown!.html).not.toContain('<form');
    await expectNothingCreated(given);
  });

  it('given a session of 5 minutes, then just before they end it still works', async () => {
    const given = await givenSession({ expiresInMinutes: 5 });
    const csrf = csrfOf(await open(given.link));

    const submitted = await at(Date.parse(given.session.expiresAt) - 5_000, () => submit(given.link, device({ csrf })));

    expect(submitted.status).toBe(303);
    expect(await requestsOf(given)).toHaveLength(1);
  });
});

describe('links that do not open a session (404 page, nothing recorded)', () => {
  it.each([
    ['one character changed', (link: string) => altered(link)],
    ['its signature changed', (link: string) => altered(link, 40)],
    ['truncated', (link: string) => link.slice(0, 40)],
    ['lengthened', (link: string) => `${link}AAAA`],
    ['with characters outside base64url', (link: string) => `${link.slice(0, 47)}.`],
  ])('given a token %s, then GET and POST are 404 pages and nothing is created', async (_, tamper) => {
    const given = await givenSession();
    const csrf = csrfOf(await open(given.link));
    const bad = tamper(given.link);

    expectErrorPage(await open(bad), 404);
    expectErrorPage(await submit(bad, device({ csrf })), 404);

    await expectNothingCreated(given);
  });

  it('given a consent link of a request, then it does not open a guided page', async () => {
    const given = await givenSession();
    const { body: request } = await given.entities.create({ type: 'Battery', manufacturer: 'Tesla' });
    const consentToken = new URL(request.action.redirectLink).pathname.split('/').at(-1)!;

    expectErrorPage(await open(consentToken), 404);
  });
});

describe('a form that cannot be used (each an error page; nothing is created)', () => {
  const huge = 'x'.repeat(MAX_FORM_BYTES + 1);
  it.each([
    { name: 'no anti-forgery value', status: 400, send: (link: string) => callPage(pages.submit, link, { body: encode(device()) }) },
    { name: 'a wrong anti-forgery value', status: 403, send: (link: string) => submit(link, device({ csrf: 'not-the-value-of-this-page' })) },
    { name: 'an unknown field', status: 400, send: (link: string) => submit(link, device({ colour: 'red' })) },
    {
      name: 'the model sent twice',
      status: 400,
      send: async (link: string) => submit(link, [...Object.entries(device({ csrf: csrfOf(await open(link)) })), ['model', 'Model Y']]),
    },
    { name: 'a form over 16 KiB', status: 413, send: (link: string) => submit(link, device({ model: huge })) },
    { name: 'a JSON body', status: 415, send: (link: string) => submit(link, device(), { contentType: 'application/json' }) },
    { name: 'no content type', status: 415, send: (link: string) => submit(link, device(), { contentType: null }) },
    { name: 'no consent', status: 400, send: (link: string) => submit(link, { model: 'Model 3', identifier: VIN }) },
    { name: 'consent other than yes', status: 400, send: (link: string) => submit(link, device({ consent: 'no' })) },
    { name: 'no model', status: 400, send: (link: string) => submit(link, { identifier: VIN, consent: 'yes' }) },
    { name: 'a model over 100 characters', status: 400, send: (link: string) => submit(link, device({ model: 'm'.repeat(101) })) },
    { name: 'an empty body', status: 400, send: (link: string) => callPage(pages.submit, link, { body: '' }) },
  ])('given $name, then it is a $status page', async ({ status, send }) => {
    const given = await givenSession();

    expectErrorPage(await send(given.link), status);

    await expectNothingCreated(given);
  });

  it("given the anti-forgery value of another session's page, then it is a 403 page", async () => {
    const given = await givenSession();
    const other = await givenSession();

    expectErrorPage(await submit(given.link, device({ csrf: csrfOf(await open(other.link)) })), 403);

    await expectNothingCreated(given);
  });

  it.each([
    ['EV', 'a VIN of the wrong length', 'WBA12345', /VIN/],
    ['EV', 'a VIN with an O (never in a VIN)', '5YJ3E1EA7KF3170O0', /VIN/],
    ['SmartMeter', 'an EAN with letters', '8716ABC', /EAN/],
    ['Battery', 'a serial number of two characters', 'AB', /Serial number/],
  ])(
    'given a session preset to %s and %s, then the form is shown again with a 400 and the message at the identifier',
    async (entityType, _, identifier, message) => {
      const given = await givenSession({ entityType });

      const page = await submit(given.link, device({ model: 'Model 3', identifier }));

      expectFormAgain(page, message, 'identifier');
      expectPageHeaders(page);
      expect(page.html).toContain('value="Model 3"');
      await expectNothingCreated(given);
    },
  );

  it.each([
    ['a type not in the list', { entityType: 'Toaster' }],
    ['no type', {}],
  ])('given a session without a preset type and %s, then the form is shown again with a 400 asking for the type', async (_, chosen) => {
    const given = await givenSession({ entityType: null });

    const page = await submit(given.link, { model: 'Model 3', identifier: 'SN-12345', consent: 'yes', ...chosen });

    expectFormAgain(page, /type/i, 'entityType');
    await expectNothingCreated(given);
  });

  it('given a session preset to EV, when the form claims another type, then no request of that type is created', async () => {
    const given = await givenSession({ entityType: 'EV' });

    await submit(given.link, device({ entityType: 'Battery' }));

    const requests = await requestsOf(given);
    expect(requests.length).toBeLessThanOrEqual(1);
    for (const request of requests) expect(request.data.entity.type).toBe('EV');
  });

  it('given a refused form, then the session can still be completed afterwards', async () => {
    const given = await givenSession({ entityType: 'EV' });
    await submit(given.link, device({ identifier: 'too-short' }));

    const submitted = await submit(given.link, device());

    expect(submitted.status).toBe(303);
    expect(await requestsOf(given)).toHaveLength(1);
  });
});
