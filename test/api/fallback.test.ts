import { Ajv2020 } from 'ajv/dist/2020.js';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/meta/fallback.ts';
import { ROUTES } from '../../lib/app/function-table.ts';
import document from '../../lib/http/openapi.json' with { type: 'json' };
import { apiEvent, lambdaContext } from '../support/http.ts';

/**
 * The `$default` route's function (functions/meta/fallback.ts), invoked in process as API Gateway invokes
 * it for a request no route takes: under the pages' paths an HTML error page, anywhere else problem+json;
 * 404 for a path the table does not have, 405 with `Allow` for one it has with other methods.
 */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request no route took, as API Gateway hands it to `$default`: no path parameters, the raw path. */
async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const event = { ...apiEvent({ method, path, headers, ...(body === undefined ? {} : { rawBody: body }) }), routeKey: '$default' };
  event.requestContext.routeKey = '$default';
  const result = (await handler(event, lambdaContext('fallback'))) as APIGatewayProxyStructuredResultV2;
  const lowered = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode ?? 200, headers: lowered, body: typeof result.body === 'string' ? result.body : '' };
}

const ajv = new Ajv2020({ strict: false });
ajv.addSchema(document, 'openapi.json');
const isProblem = ajv.compile({ $ref: 'openapi.json#/components/schemas/Problem' });

/** A problem+json answer of `status` and `code`, as the document's Problem schema says, with the API's headers. */
function expectProblem(answer: Answer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(answer.body);
  expect(isProblem(problem), ajv.errorsText(isProblem.errors)).toBe(true);
  expect(problem).toMatchObject({ type: `urn:onboarding:problem:${code}`, status, code, correlationId: answer.headers['x-correlation-id'] });
  expect(answer.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });
  expectNothingInternal(answer);
  return problem;
}

/** An HTML error page of `status`, with every header the pages carry (docs/pages.md, Headers). */
function expectPage(answer: Answer, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(answer.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-[\w+/=]+'; .*frame-ancestors 'none'; base-uri 'none'$/);
  expect(answer.headers).toMatchObject({
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
  });
  expect(answer.headers['x-correlation-id']).toBeTruthy();
  expect(answer.body).toMatch(/^<!doctype html>\n<html lang="\w\w">/);
  expectNothingInternal(answer);
}

function expectNothingInternal(answer: Answer) {
  expect(answer.body).not.toMatch(/Error\b|at \w+ \(|\.ts\b|node_modules|fallback|MethodNotAllowed|NotFound/);
}

const UUID = '4b1f7a52-6f0e-4c83-9a55-0d8e0f6c2a11';
/** The shape of a page's link token: 48 URL-safe characters. */
const TOKEN = 'A'.repeat(24) + 'b-_9'.repeat(6);

describe('the fallback ($default route): the API', () => {
  it('answers a path the API does not have with a 404 problem (not_found)', async () => {
    const problem = expectProblem(await call('GET', '/v1/nothing-here'), 404, 'not_found');
    expect(problem.title).toBe('Not found');
    expectProblem(await call('POST', '/', { 'content-type': 'text/plain' }, 'x'), 404, 'not_found');
    expectProblem(await call('GET', '/v2/onboarding/collectives'), 404, 'not_found');
  });

  it('answers a path the table has, with a method it does not take, with a 405 problem (method_not_allowed) and Allow in the order GET, POST, PATCH, DELETE', async () => {
    const collection = await call('DELETE', '/v1/onboarding/collectives');
    expect(expectProblem(collection, 405, 'method_not_allowed').title).toBe('Method not allowed');
    expect(collection.headers.allow).toBe('GET, POST');
    expect(collection.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(collection.headers.allow?.split(', ').sort()).toEqual(
      ROUTES.filter((route) => route.http.path === '/v1/onboarding/collectives')
        .map((route) => route.http.method)
        .sort(),
    );
  });

  it('matches paths with route parameters as templates: any id in the segment, the segment never empty', async () => {
    const one = await call('PUT', `/v1/onboarding/collectives/${UUID}`);
    expectProblem(one, 405, 'method_not_allowed');
    expect(one.headers.allow).toBe('GET');
    const endpoint = await call('POST', '/v1/webhook-endpoints/anything-at-all');
    expectProblem(endpoint, 405, 'method_not_allowed');
    expect(endpoint.headers.allow).toBe('GET, PATCH, DELETE');
    expect((await call('GET', `/v1/webhook-endpoints/${UUID}/deliveries/${UUID}/retry`)).headers.allow).toBe('POST');
    expectProblem(await call('PUT', '/v1/onboarding/collectives//cancel'), 404, 'not_found');
    expectProblem(await call('PUT', `/v1/onboarding/collectives/${UUID}/nothing`), 404, 'not_found');
  });

  it('answers 404, not 405, for a path and method a route has: the fallback never claims to serve it', async () => {
    expectProblem(await call('GET', '/v1/openapi.json'), 404, 'not_found');
  });

  it('keeps the caller’s correlation id and needs no token', async () => {
    const answer = await call('GET', '/v1/nothing-here', { 'x-correlation-id': 'corr-unknown-1', authorization: 'Bearer not-a-token' });
    expect(expectProblem(answer, 404, 'not_found').correlationId).toBe('corr-unknown-1');
    expect(answer.headers['x-correlation-id']).toBe('corr-unknown-1');
  });

  it.each([
    ['GET', '/v1/onboarding/../openapi.json'],
    ['GET', '/v1/onboarding/collectives/%2E%2E'],
    ['GET', '/v1/%E0%A4%A'],
    ['POST', '/v1/%00%0d%0a/..%2F..%2Fetc%2Fpasswd'],
    ['GET', `/v1/${'a/'.repeat(2000)}`],
    ['BREW', '/v1/onboarding/entities/%zz/x'],
  ])('answers %s %s (dot segments, encodings, garbage) with a clean 404, never a 500', async (method, path) => {
    expectProblem(await call(method, path), 404, 'not_found');
  });

  it('answers an odd method on a known path with 405, whatever the method', async () => {
    const answer = await call('BREW', '/v1/openapi.json');
    expectProblem(answer, 405, 'method_not_allowed');
    expect(answer.headers.allow).toBe('GET');
  });
});

describe("the fallback ($default route): the end user's pages", () => {
  it('answers an unknown path under /consent/ with the pages’ HTML 404, at any depth', async () => {
    expectPage(await call('GET', '/consent/abc/def'), 404);
    expectPage(await call('GET', `/consent/${TOKEN}/receipt/more`), 404);
    expectPage(await call('POST', '/consent/abc/def', { 'content-type': 'application/json' }, '{"x":1}'), 404);
  });

  it('answers a page path with a method it does not take with the pages’ HTML 405 and Allow', async () => {
    const page = await call('DELETE', `/consent/${TOKEN}`);
    expectPage(page, 405);
    expect(page.headers.allow).toBe('GET, POST');
    const receipt = await call('POST', `/guided/${TOKEN}/receipt`);
    expectPage(receipt, 405);
    expect(receipt.headers.allow).toBe('GET');
  });

  it('answers /guided/ and /guided themselves with the HTML 404', async () => {
    expectPage(await call('GET', '/guided/'), 404);
    expectPage(await call('GET', '/guided'), 404);
    expectPage(await call('GET', '/consent'), 404);
  });

  it("shows the page in the person's language, as the pages do", async () => {
    const page = await call('GET', '/consent/abc/def', { 'accept-language': 'nl-BE,nl;q=0.9,en;q=0.5' });
    expectPage(page, 404);
    expect(page.body).toContain('<html lang="nl">');
  });

  it.each([
    ['GET', '/consent/../v1/openapi.json'],
    ['GET', '/guided/%E0%A4%A'],
    ['GET', '/consent/%2e%2e/%2e%2e/etc/passwd'],
    ['PUT', '/guided/<script>alert(1)</script>/x'],
  ])('answers %s %s with a clean HTML 404 that does not echo the path', async (method, path) => {
    const page = await call(method, path);
    expectPage(page, 404);
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('passwd');
  });

  it('treats only the pages’ own first segments as pages: /consentx and /v1/consent are the API’s', async () => {
    expectProblem(await call('GET', '/consentx/abc'), 404, 'not_found');
    expectProblem(await call('GET', '/v1/consent/abc'), 404, 'not_found');
  });
});
