import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadConfig } from '../../lib/config/settings.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { tableClients } from '../../lib/store/client.ts';
import { apiEvent, lambdaContext } from '../local/lambda-events.ts';
import { summarize, type Tally, type TallySummary } from './meter.ts';
import { bearer, callerOf, inProcess, signedWebhook, webhookKey } from './service.ts';
import { percentile } from './stats.ts';

/**
 * Warm invocations in this process, against DynamoDB Local: each operation through the wrapped handler
 * (the whole middy stack, as Lambda calls it) and through the bare domain call that handler makes,
 * alternating, on the same store, with DynamoDB requests and capacity counted per call.
 */

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
type Call = () => Promise<unknown>;

export interface Measured {
  timing: { p50Ms: number; p99Ms: number; meanMs: number; errors: number; firstError?: string };
  dynamo: TallySummary;
}

export interface OperationResult extends Measured {
  name: string;
  calls: number;
  /** The bare domain call, where the operation has a handler around it. */
  bare?: Measured & {
    overheadP50Ms: number;
    /** The median of the per-iteration differences (wrapped − bare, run back to back): less sensitive to drift. */
    pairedOverheadP50Ms: number;
  };
}

interface Sample {
  ms: number;
  tally: Tally;
  error?: string;
}

function measured(samples: readonly Sample[]): Measured {
  const times = samples.map((sample) => sample.ms);
  const errors = samples.filter((sample) => sample.error !== undefined);
  return {
    timing: {
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      meanMs: times.reduce((a, b) => a + b, 0) / (times.length || 1),
      errors: errors.length,
      ...(errors[0] ? { firstError: errors[0].error } : {}),
    },
    dynamo: summarize(samples.map((sample) => sample.tally)),
  };
}

const DAY = 24 * 3_600_000;

/**
 * The environment the functions read when they are imported (their cold start), on DynamoDB Local at
 * `endpoint` and `tableName`: set it before importing them. Every phase that imports the functions in this
 * process sets the same, so whichever imports them first configures them for all (modules load once).
 */
export function useFunctionEnvironment(endpoint: string, tableName: string) {
  Object.assign(process.env, {
    STAGE: 'dev',
    AWS_REGION: 'eu-west-1',
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: tableName,
    LOG_LEVEL: 'SILENT',
    METRICS_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  delete process.env.AUTH_JWKS_URL;
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
}

export async function runWarm(options: { endpoint: string; tableName: string; iterations: number; warmup: number; cleanupPageSize: number }) {
  const { endpoint, iterations, warmup, cleanupPageSize } = options;
  const total = warmup + iterations;
  // Configuration is read at import (cold start): the environment first, then the functions.
  useFunctionEnvironment(endpoint, options.tableName);

  const handlers = {
    create: (await import('../../functions/collective-onboarding/create.ts')).handler,
    get: (await import('../../functions/collective-onboarding/get.ts')).handler,
    list: (await import('../../functions/collective-onboarding/list.ts')).handler,
    cancel: (await import('../../functions/collective-onboarding/cancel.ts')).handler,
    history: (await import('../../functions/collective-onboarding/transitions.ts')).handler,
    webhook: (await import('../../functions/webhooks/provider-events.ts')).handler,
  } as unknown as Record<'create' | 'get' | 'list' | 'cancel' | 'history' | 'webhook', Handler>;
  const { buildKindApp, buildTrailApp, buildWebhookApp } = await import('../../lib/app/app.ts');
  const { COLLECTIVE_ONBOARDING_ROUTES } = await import('../../lib/app/function-table.ts');
  const { createAuthenticator } = await import('../../lib/http/auth.ts');
  const { http } = await import('../../lib/http/handler.ts');
  const config = loadConfig();
  // Every function of the process talks through its one DynamoDB client (lib/store/client.ts): the meter counts on it.
  const lab = inProcess(endpoint, options.tableName, tableClients({ region: config.region, endpoint: config.dynamoEndpoint }).dynamo);
  const { meter } = lab;
  /** The bare domain call of each operation, as its function builds it, on the same client. */
  const served = buildKindApp(COLLECTIVE_ONBOARDING);
  const history = buildTrailApp(COLLECTIVE_ONBOARDING).history;
  const receiveWebhook = buildWebhookApp().receive;

  const tenantId = randomUUID();
  const caller = callerOf(tenantId, 'bench-integrator');
  const authorization = await bearer(tenantId, 'bench-integrator', process.env);
  const key = webhookKey(process.env);
  const body = { name: 'Bench household', type: 'Household' } as const;
  const base = '/v1/onboarding/collectives';

  // Seed (batched): readable requests with a two-entry trail (Pending, then Processing), requests to
  // cancel and to move by webhook, and stale ones for the cleanup.
  const seedStarted = performance.now();
  const seed = (count: number, more: { createdAt?: (index: number) => number; processingAt?: number | 'now' } = {}) =>
    lab.seed(count, [caller], { name: body.name, ...more });
  const readIds = await seed(50, { processingAt: 'now' });
  const cancelTargets = await seed(2 * total);
  const webhookTargets = await seed(2 * total);
  // Stale: last updated about 60 days ago, one second apart, so older than any configured age.
  const staleCount = (total + 10) * cleanupPageSize;
  const staleBase = Date.now() - 60 * DAY;
  await seed(staleCount, { createdAt: (index) => staleBase + index * 1_000 });
  const seeded = readIds.length + cancelTargets.length + webhookTargets.length + staleCount;
  const seedMs = performance.now() - seedStarted;

  /** Times one call; a wrapped handler's non-2xx answer and a thrown error both count as errors. */
  async function timed(call: Call): Promise<Sample> {
    meter.start();
    const started = performance.now();
    let error: string | undefined;
    try {
      const result = (await call()) as APIGatewayProxyStructuredResultV2 | undefined;
      const status = result?.statusCode;
      if (status !== undefined && (status < 200 || status > 299)) error = `HTTP ${status}: ${String(result?.body).slice(0, 300)}`;
    } catch (thrown) {
      error = (thrown as Error).message;
    }
    const ms = performance.now() - started;
    return { ms, tally: meter.stop(), ...(error === undefined ? {} : { error }) };
  }

  const operations: OperationResult[] = [];
  /** Wrapped and bare, alternating which goes first; warm-up calls are not recorded. */
  async function pair(name: string, wrapped: (i: number) => Call, bare: (i: number) => Call) {
    const w: Sample[] = [];
    const b: Sample[] = [];
    for (let i = 0; i < total; i++) {
      const callW = wrapped(i);
      const callB = bare(i);
      if (i % 2 === 0) {
        w.push(await timed(callW));
        b.push(await timed(callB));
      } else {
        b.push(await timed(callB));
        w.push(await timed(callW));
      }
    }
    const [ws, bs] = [w.slice(warmup), b.slice(warmup)];
    const [mw, mb] = [measured(ws), measured(bs)];
    const pairedOverheadP50Ms = percentile(
      ws.map((sample, index) => sample.ms - bs[index]!.ms),
      50,
    );
    operations.push({ name, calls: iterations, ...mw, bare: { ...mb, overheadP50Ms: mw.timing.p50Ms - mb.timing.p50Ms, pairedOverheadP50Ms } });
  }
  /** `runs` calls, the first `skip` not recorded. */
  async function series(name: string, runs: number, skip: number, call: (i: number) => Call) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await timed(call(i)));
    operations.push({ name, calls: runs - skip, ...measured(samples.slice(skip)) });
  }

  const invoke = (handler: Handler, event: APIGatewayProxyEventV2) => {
    const context = lambdaContext('bench');
    return () => handler(event, context);
  };
  const readId = (i: number) => readIds[i % readIds.length]!;
  const byId = (handler: Handler, id: string, method = 'GET', suffix = '') =>
    invoke(handler, apiEvent({ method, path: `${base}/${id}${suffix}`, headers: { authorization }, pathParameters: { onboardingRequestId: id } }));
  const context = () => ({ correlationId: randomUUID() });

  await pair(
    'create',
    () => invoke(handlers.create, apiEvent({ method: 'POST', path: base, headers: { authorization }, body })),
    () => () => served.requests.create(body, caller, context()),
  );
  await pair(
    'get',
    (i) => byId(handlers.get, readId(i)),
    (i) => () => served.requests.get(readId(i), caller, context()),
  );
  await pair(
    'list',
    () => invoke(handlers.list, apiEvent({ path: base, headers: { authorization } })),
    () => () => served.requests.list(caller, {}, context()),
  );
  await pair(
    'cancel',
    (i) => byId(handlers.cancel, cancelTargets[2 * i]!, 'PATCH', '/cancel'),
    (i) => () => served.requests.cancel(cancelTargets[2 * i + 1]!, caller, context()),
  );
  await pair(
    'history',
    (i) => byId(handlers.history, readId(i), 'GET', '/transitions'),
    (i) => () => history(readId(i), caller, {}),
  );
  await pair(
    'webhook',
    (i) => {
      const { raw, headers } = signedWebhook(key, webhookTargets[2 * i]!, 'Processing');
      return invoke(handlers.webhook, apiEvent({ method: 'POST', path: '/v1/webhooks/onboarding', rawBody: raw, headers }));
    },
    (i) => {
      const { raw, headers } = signedWebhook(key, webhookTargets[2 * i + 1]!, 'Processing');
      const message = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body: Buffer.from(raw) };
      return () => receiveWebhook(message);
    },
  );

  // Cleanup: one run over every stale request, timed page by page (from one listStale call to the next:
  // the page's Query and the expiry of each of its requests).
  const { store } = lab;
  const pages: Array<Sample & { items: number }> = [];
  let open: { started: number; items: number } | undefined;
  const close = () => {
    if (open) pages.push({ ms: performance.now() - open.started, tally: meter.stop(), items: open.items });
    open = undefined;
  };
  const report = await lab.cleanup({
    correlationId: 'bench-cleanup',
    pageSize: cleanupPageSize,
    store: {
      openShards: store.openShards,
      listStale: async (query) => {
        close();
        meter.start();
        const page = { started: performance.now(), items: 0 };
        open = page;
        const result = await store.listStale(query);
        page.items = result.items.length;
        return result;
      },
    },
  });
  close();
  const full = pages.filter((page) => page.items === cleanupPageSize).slice(warmup, warmup + iterations);
  const cleanupPage = measured(full);
  if (report.expired !== staleCount) {
    cleanupPage.timing.errors++;
    cleanupPage.timing.firstError ??= `expected ${staleCount} expired, got ${JSON.stringify(report)}`;
  }
  operations.push({ name: 'cleanup page', calls: full.length, ...cleanupPage });
  // A scheduled run with nothing to expire: the floor of every hourly invocation.
  await series('cleanup, none stale', 60, 10, () => async () => {
    const empty = await lab.cleanup({ correlationId: 'bench-cleanup-empty' });
    if (empty.expired !== 0) throw new Error(`expected nothing to expire, got ${JSON.stringify(empty)}`);
  });

  // The bearer check alone (HS256 jwtVerify and claims), the largest part of the middleware's work.
  const authenticate = createAuthenticator(config.auth);
  await series('bearer check', total, warmup, () => () => authenticate(authorization, 'onboarding:read'));
  // The same stack around a handler that does nothing: the middleware's own cost without DynamoDB's noise.
  const route = COLLECTIVE_ONBOARDING_ROUTES.get;
  const noop = async ({ params }: { params: unknown }) => ({ status: 200, body: { id: (params as { onboardingRequestId: string }).onboardingRequestId } });
  for (const [name, auth] of [
    ['no-op in stack', route.http.auth],
    ['no-op, no bearer', 'none'],
  ] as const) {
    const handler = http({ ...route, http: { ...route.http, auth } }, served.stack, noop) as unknown as Handler;
    await series(name, total, warmup, (i) => byId(handler, readId(i)));
  }
  return { operations, seeded, seedMs };
}
