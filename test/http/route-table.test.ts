import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ASYNC_WORKERS, FALLBACK_ROUTE, JOBS, ROUTES, STREAM_CONSUMERS } from '../../lib/app/function-table.ts';
import { functionEntries } from '../../scripts/local/build.ts';
import { renderOpenApiDocument, renderServedDocument } from '../../scripts/openapi.ts';

/**
 * A route is declared once, in the route table (lib/app/function-table.ts); everything else follows it. These
 * fail on any drift between the table and what serverless.yml deploys, what the document says, and what
 * the functions serve.
 */
const root = new URL('../../', import.meta.url);
const adapter = createRequire(import.meta.url)('../../resources/functions.cjs') as (options: {
  resolveVariable: (name: string) => Promise<string>;
}) => Promise<Record<string, any>>;
const serverlessFunctions = (mode: string) =>
  adapter({
    resolveVariable: async (name) => (({ 'self:custom.mode': mode, 'sls:stage': 'dev' }) as Record<string, string>)[name] ?? Promise.reject(new Error(name)),
  });

describe('the route table', () => {
  it('declares each route once: no two routes share a method and path, a function or an operation id', () => {
    const keys = (pick: (route: (typeof ROUTES)[number]) => string) => new Set(ROUTES.map(pick)).size;
    expect(keys((route) => `${route.http.method} ${route.http.path}`)).toBe(ROUTES.length);
    expect(keys((route) => route.function)).toBe(ROUTES.length);
    expect(keys((route) => route.http.operationId)).toBe(ROUTES.length);
  });

  it('is where serverless.yml takes its functions from, nothing declared beside it', () => {
    const document = parse(readFileSync(new URL('serverless.yml', root), 'utf8').replace(/!(GetAtt|Join|Sub|Ref) /g, ''));
    expect(document.functions).toEqual(['${file(resources/functions.cjs)}']);
  });

  it.each(['local', 'realto'])(
    "gives serverless.yml, in %s mode, one function per route with its HTTP event, the fallback on `$default`, one per job with its schedule, the stream's consumer and the delivery worker",
    async (mode) => {
      const functions = await serverlessFunctions(mode);
      expect(Object.keys(functions).sort()).toEqual(
        [
          ...ROUTES.map((route) => route.function),
          FALLBACK_ROUTE.function,
          ...JOBS.map((job) => job.function),
          ...STREAM_CONSUMERS.map((consumer) => consumer.function),
          ...ASYNC_WORKERS.map((worker) => worker.function),
        ].sort(),
      );
      for (const worker of ASYNC_WORKERS) {
        // Invoked by others only: no event of its own; Lambda's retries, then the dead-letter queue.
        expect(functions[worker.function], worker.function).toMatchObject({ handler: worker.handler, maximumRetryAttempts: worker.retries });
        expect(functions[worker.function].events).toBeUndefined();
        const callers = Object.values(functions).filter((fn: any) => fn.iamRoleStatements.includes(`\${self:custom.iam.${worker.invokedWith}}`));
        expect(callers.length, `the functions that may invoke ${worker.function}`).toBeGreaterThan(0);
        for (const caller of callers as any[]) expect(caller.environment[worker.nameSetting]).toEqual({ Ref: 'AttemptDeliveriesLambdaFunction' });
      }
      for (const consumer of STREAM_CONSUMERS) {
        expect(functions[consumer.function].events[0].stream, consumer.function).toMatchObject({ type: 'dynamodb', filterPatterns: consumer.filterPatterns });
      }
      for (const route of ROUTES) {
        expect(functions[route.function], route.function).toMatchObject({
          handler: route.handler,
          events: [{ httpApi: { method: route.http.method, path: route.http.path } }],
        });
      }
      for (const job of JOBS) {
        expect(functions[job.function].events[0].schedule.rate).toContain(job.scheduleSetting);
      }
      // Any method, any path no route takes (osls writes `'*'` as the route key `$default`); it touches nothing.
      expect(functions[FALLBACK_ROUTE.function]).toEqual({
        handler: FALLBACK_ROUTE.handler,
        timeout: FALLBACK_ROUTE.timeout,
        iamRoleStatements: [],
        events: [{ httpApi: '*' }],
      });
    },
  );

  it('keeps the fallback apart: not a route of the table, no operation of the document, and its handler exists', async () => {
    expect(ROUTES.map((route) => route.function)).not.toContain(FALLBACK_ROUTE.function);
    expect(renderOpenApiDocument()).not.toContain(FALLBACK_ROUTE.handler.slice(0, FALLBACK_ROUTE.handler.lastIndexOf('.')));
    expect(renderOpenApiDocument()).not.toContain('$default');
    const file = FALLBACK_ROUTE.handler.slice(0, FALLBACK_ROUTE.handler.lastIndexOf('.'));
    const module = (await import(new URL(`${file}.ts`, root).href)) as Record<string, unknown>;
    expect(typeof module[FALLBACK_ROUTE.handler.slice(FALLBACK_ROUTE.handler.lastIndexOf('.') + 1)]).toBe('function');
  });

  it('is what npm start builds and serves: every function of the table, the fallback included (scripts/local/build.ts)', () => {
    expect(
      functionEntries()
        .map((fn) => fn.name)
        .sort(),
    ).toEqual(
      [
        ...ROUTES.map((route) => route.function),
        FALLBACK_ROUTE.function,
        ...JOBS.map((job) => job.function),
        ...STREAM_CONSUMERS.map((consumer) => consumer.function),
        ...ASYNC_WORKERS.map((worker) => worker.function),
      ].sort(),
    );
  });

  it('is what the served OpenAPI document describes (npm run openapi writes it; run it after changing a route)', () => {
    expect(readFileSync(new URL('lib/http/openapi.json', root), 'utf8')).toBe(renderOpenApiDocument());
    expect(readFileSync(new URL('lib/http/openapi-document.ts', root), 'utf8')).toBe(renderServedDocument());
    const document = JSON.parse(renderOpenApiDocument());
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // The end user's pages are HTML for people, not API: every other route is documented.
    expect(documented.sort()).toEqual(
      ROUTES.filter((route) => !route.http.html)
        .map((route) => `${route.http.method} ${route.http.path}`)
        .sort(),
    );
    expect(ROUTES.filter((route) => route.http.html).map((route) => route.http.path)).toEqual([
      '/consent/{token}',
      '/consent/{token}',
      '/consent/{token}/receipt',
      '/guided/{token}',
      '/guided/{token}',
      '/guided/{token}/receipt',
    ]);
  });

  it.each(ROUTES.map((route) => [route.function, route] as const))('%s: its handler exists and serves its route', async (_name, route) => {
    const file = route.handler.slice(0, route.handler.lastIndexOf('.'));
    const module = (await import(new URL(`${file}.ts`, root).href)) as Record<string, { route?: unknown }>;
    expect(module[route.handler.slice(route.handler.lastIndexOf('.') + 1)]?.route).toBe(route);
  });
});
