import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FALLBACK_ROUTE, ROUTES } from '../../lib/app/function-table.ts';
import type { BuiltFunction } from '../../scripts/local/build.ts';
import { ROOT, readServerlessBuild } from '../../scripts/local/build.ts';
import { freePort } from '../../scripts/local/dynamodb-local.ts';
import { type Gateway, rateMs, startGateway } from '../../scripts/local/gateway.ts';

/**
 * The local API Gateway of npm start (scripts/local/gateway.ts), with stand-in functions that answer, fail,
 * hang or crash: whatever a function does, the caller gets an HTTP answer, and a failure is never a 2xx.
 * A request no route takes goes to the real fallback (functions/meta/fallback.ts), bundled as deployed.
 */
const dir = join(ROOT, '.local', `gateway-test-${process.pid}`);
const FUNCTIONS: Record<string, string> = {
  answers: `export const handler = async (event) => ({ statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: event.rawPath, params: event.pathParameters ?? null, query: event.queryStringParameters ?? null, body: event.body ?? null, base64: event.isBase64Encoded }) });`,
  throws: `export const handler = async () => { throw new Error('database password is hunter2 at /var/task/index.mjs:12'); };`,
  hangs: `export const handler = () => new Promise(() => {});`,
  crashes: `export const handler = async () => { process.exit(3); };`,
  slow: `export const handler = async () => { await new Promise((r) => setTimeout(r, 200)); return { statusCode: 200, body: 'ok' }; };`,
  plain: `export const handler = async () => ({ hello: 'world' });`,
};
let gateway: Gateway;
let base: string;
const lines: string[] = [];

function fn(name: string, timeoutSeconds = 2): BuiltFunction {
  return { name, handler: `${name}.handler`, entry: `${name}.mjs`, exportName: 'handler', timeoutSeconds, environment: {}, file: join(dir, `${name}.mjs`) };
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(FUNCTIONS)) writeFileSync(join(dir, `${name}.mjs`), source);
  // Each route of the table is served by one of the stand-ins.
  const standIns = ['answers', 'throws', 'hangs', 'crashes', 'slow', 'plain'];
  const functions = ROUTES.map((route, index) => ({ ...fn(standIns[index % standIns.length]!), name: route.function }));
  // The `$default` route's function itself, built as serverless.yml builds it.
  const { options, outputFileExtension } = readServerlessBuild('local');
  const entry = `${FALLBACK_ROUTE.handler.slice(0, FALLBACK_ROUTE.handler.lastIndexOf('.'))}.ts`;
  await esbuild.build({ ...options, absWorkingDir: ROOT, entryPoints: [entry], outbase: ROOT, outdir: dir, logLevel: 'silent' });
  functions.push({
    ...fn(FALLBACK_ROUTE.function, FALLBACK_ROUTE.timeout),
    handler: FALLBACK_ROUTE.handler,
    entry,
    file: join(dir, entry.replace(/\.ts$/, outputFileExtension)),
  });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gateway = await startGateway({
    port,
    host: '127.0.0.1',
    functions,
    // As npm start runs them: not in AWS (the fallback reads the settings).
    env: { PATH: process.env.PATH, IS_OFFLINE: 'true' },
    maxEnvironments: 2,
    schedules: false,
    log: (line) => void lines.push(line),
  });
});
afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

const routeServedBy = (standIn: string) => {
  const index = ['answers', 'throws', 'hangs', 'crashes', 'slow', 'plain'].indexOf(standIn);
  return ROUTES.find((_route, position) => position % 6 === index)!;
};
const urlOf = (route: (typeof ROUTES)[number]) => `${base}${route.http.path.replace('{onboardingRequestId}', '4b1f7a52-6f0e-4c83-9a55-0d8e0f6c2a11')}`;

describe('the local API Gateway', () => {
  it('hands a route its event as API Gateway does (path parameters, query, body) and answers what the function answers', async () => {
    const route =
      ROUTES.find((candidate) => candidate.http.path.includes('{onboardingRequestId}') && routeServedBy('answers') === candidate) ?? routeServedBy('answers');
    const response = await fetch(`${urlOf(route)}?a=1&a=2`, {
      method: route.http.method,
      headers: { 'content-type': 'application/json' },
      ...(route.http.method === 'GET' ? {} : { body: '{"x":1}' }),
    });
    expect(response.status).toBe(201);
    const seen = (await response.json()) as { query: Record<string, string> };
    expect(seen.query).toEqual({ a: '1,2' });
  });

  it('hands a path no route has to the fallback, as the $default route does: an API path is a problem+json 404', async () => {
    const response = await fetch(`${base}/v1/nothing-here`, { headers: { 'x-correlation-id': 'corr-nothing' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404, code: 'not_found', correlationId: 'corr-nothing' });
    expect(lines.some((line) => line.includes('/v1/nothing-here → 404 (fallback'))).toBe(true);
  });

  it('hands a method a path does not take to the fallback: a problem+json 405 with Allow', async () => {
    const response = await fetch(`${base}/v1/openapi.json`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(await response.json()).toMatchObject({ status: 405, code: 'method_not_allowed' });
  });

  it("answers an unknown path under the pages' paths with the pages' HTML 404, and a method a page does not take with their HTML 405", async () => {
    const unknown = await fetch(`${base}/consent/abc/def`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(unknown.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await unknown.text()).toMatch(/^<!doctype html>/);
    const method = await fetch(`${base}/guided/${'A'.repeat(48)}`, { method: 'DELETE' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, POST');
    expect(method.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('answers a function that throws with 502 problem+json, without its message or stack', async () => {
    const response = await fetch(urlOf(routeServedBy('throws')), {
      method: routeServedBy('throws').http.method,
      headers: { 'x-correlation-id': 'corr-throws' },
    });
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(text)).toMatchObject({ status: 502, code: 'function_failed', correlationId: 'corr-throws' });
    expect(text).not.toMatch(/hunter2|index\.mjs|stack/i);
    expect(lines.some((line) => line.includes('hunter2'))).toBe(true);
  });

  it('answers a function that outlives its timeout with 504 problem+json, and ends its environment', async () => {
    const started = Date.now();
    const response = await fetch(urlOf(routeServedBy('hangs')), { method: routeServedBy('hangs').http.method });
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'function_timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('answers a function whose environment dies with 502 problem+json, and serves the next call from a fresh one', async () => {
    const route = routeServedBy('crashes');
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(urlOf(route), { method: route.http.method });
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ code: 'function_failed' });
    }
  });

  it('answers a result without a statusCode as the JSON body of a 200, as API Gateway reads payload 2.0', async () => {
    const route = routeServedBy('plain');
    const response = await fetch(urlOf(route), { method: route.http.method });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('given 20 calls at once on a function of 2 environments, then all are answered: the rest wait their turn', async () => {
    const route = routeServedBy('slow');
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(urlOf(route), { method: route.http.method }).then((response) => response.status)),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(gateway.pools.get(route.function)!.size).toBeLessThanOrEqual(2);
  });

  it('takes Lambda invocations for the tools (npm run cleanup), errors in the X-Amz-Function-Error way', async () => {
    const failing = routeServedBy('throws').function;
    const response = await fetch(`${base}/2015-03-31/functions/${failing}/invocations`, { method: 'POST', body: '{}' });
    expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await response.json()).toMatchObject({ errorType: 'Error' });
  });

  it('reads EventBridge rate expressions, and runs no other kind locally', () => {
    expect(rateMs('rate(1 hour)')).toBe(3_600_000);
    expect(rateMs('rate(5 minutes)')).toBe(300_000);
    expect(rateMs('cron(0 * * * ? *)')).toBeUndefined();
  });
});
