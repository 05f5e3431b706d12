import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { devToken } from '../local/dev-token.ts';
import { apiEvent, lambdaContext } from '../local/lambda-events.ts';
import { createMeter, type Meter, summarize, type Tally, type TallySummary } from './meter.ts';
import { createSeeder } from './seeder.ts';
import { mapLimit, percentile, range } from './stats.ts';

/**
 * Warm invocations in this process, against DynamoDB Local: each operation through the wrapped handler
 * (the whole middy stack, as Lambda calls it) and through the bare domain call that handler makes,
 * alternating, on the same store, with DynamoDB requests and capacity counted per call.
 */

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface WarmOptions {
  endpoint: string;
  tableName: string;
  iterations: number;
  warmup: number;
  /** runCleanup's page size for the per-page timing. */
  cleanupPageSize: number;
  log: (line: string) => void;
}

export interface Timing {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: number;
  firstError?: string;
}

export interface OperationResult {
  name: string;
  iterations: number;
  /** The wrapped handler (for cleanup, the runCleanup call: it has no HTTP stack). */
  timing: Timing;
  dynamo: TallySummary;
  /** The bare domain call, where the operation has a handler around it. */
  bare?: { timing: Timing; dynamo: TallySummary };
  overheadP50Ms?: number;
  /** The median of the per-iteration differences (wrapped − bare, run back to back): less sensitive to drift. */
  pairedOverheadP50Ms?: number;
  expiredPerRun?: number;
}

export interface WarmResult {
  operations: OperationResult[];
  capacityReported: boolean;
  seeded: number;
  seedMs: number;
  /** p50 of the bearer-token check alone. */
  authP50Ms: number;
  /** p50 of the HTTP stack (get's options) around a handler that does nothing, with and without the bearer check. */
  noopStackP50Ms: number;
  noopStackWithoutAuthP50Ms: number;
}

interface Sample {
  ms: number;
  tally: Tally;
  error?: string;
}

function timingOf(samples: readonly Sample[]): Timing {
  const times = samples.map((sample) => sample.ms);
  const errors = samples.filter((sample) => sample.error !== undefined);
  return {
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    meanMs: times.reduce((a, b) => a + b, 0) / (times.length || 1),
    errors: errors.length,
    ...(errors[0] ? { firstError: errors[0].error } : {}),
  };
}

/** Times one call; a wrapped handler's non-2xx answer and a thrown error both count as errors. */
async function timed(meter: Meter, call: () => Promise<unknown>): Promise<Sample> {
  meter.start();
  const started = performance.now();
  let error: string | undefined;
  try {
    const result = await call();
    const status = (result as APIGatewayProxyStructuredResultV2 | undefined)?.statusCode;
    if (status !== undefined && (status < 200 || status > 299))
      error = `HTTP ${status}: ${String((result as APIGatewayProxyStructuredResultV2).body).slice(0, 300)}`;
  } catch (thrown) {
    error = (thrown as Error).message;
  }
  const ms = performance.now() - started;
  const tally = meter.stop();
  return { ms, tally, ...(error === undefined ? {} : { error }) };
}

export async function runWarm(options: WarmOptions): Promise<WarmResult> {
  const { iterations, warmup, log } = options;
  const total = warmup + iterations;
  // Configuration is read at import (cold start): the environment first, then the functions.
  Object.assign(process.env, {
    STAGE: 'dev',
    AWS_REGION: 'eu-west-1',
    DYNAMODB_ENDPOINT: options.endpoint,
    TABLE_NAME: options.tableName,
    LOG_LEVEL: 'SILENT',
    METRICS_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  delete process.env.AUTH_JWKS_URL;
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;

  // Every function of the process talks through its one DynamoDB client (lib/store/client.ts): the meter counts on it.
  const createFn = await import('../../functions/collective-onboarding/create.ts');
  const getFn = await import('../../functions/collective-onboarding/get.ts');
  const listFn = await import('../../functions/collective-onboarding/list.ts');
  const cancelFn = await import('../../functions/collective-onboarding/cancel.ts');
  const transitionsFn = await import('../../functions/collective-onboarding/transitions.ts');
  const webhookFn = await import('../../functions/webhooks/provider-events.ts');
  const { buildKindApp, buildTrailApp, buildWebhookApp } = await import('../../lib/app/app.ts');
  const { COLLECTIVE_ONBOARDING } = await import('../../lib/kinds/collective-onboarding.ts');
  const { ALL_KINDS } = await import('../../lib/kinds/index.ts');
  const { registryOf } = await import('../../lib/lifecycle/kind.ts');
  const { createLifecycle } = await import('../../lib/lifecycle/lifecycle.ts');
  const { createRequests } = await import('../../lib/lifecycle/requests.ts');
  const { runCleanup } = await import('../../lib/lifecycle/cleanup.ts');
  const { createPageTokens } = await import('../../lib/http/page-tokens.ts');
  const { loadConfig } = await import('../../lib/config/settings.ts');
  const { createDocumentClient, tableClients } = await import('../../lib/store/client.ts');
  const { createDynamoStore } = await import('../../lib/store/dynamo-store.ts');
  const config = loadConfig();
  const { dynamo, documents } = tableClients({ region: config.region, endpoint: config.dynamoEndpoint });
  const meter = createMeter();
  meter.instrument(dynamo);
  const store = createDynamoStore(documents, options.tableName);
  const kinds = registryOf(ALL_KINDS);
  const pageTokens = createPageTokens(config.pageTokenSecret?.value ?? '');
  /** The bare domain call of each operation, as its function builds it, on the same client. */
  const served = buildKindApp(COLLECTIVE_ONBOARDING);
  const bare = {
    requests: served.requests,
    history: buildTrailApp(COLLECTIVE_ONBOARDING).history,
    cleanup: createLifecycle({ store, pageTokens, kinds }),
  };
  const receiveWebhook = buildWebhookApp().receive;
  const handlers = {
    create: createFn.handler as unknown as Handler,
    get: getFn.handler as unknown as Handler,
    list: listFn.handler as unknown as Handler,
    cancel: cancelFn.handler as unknown as Handler,
    history: transitionsFn.handler as unknown as Handler,
    webhook: webhookFn.handler as unknown as Handler,
  };

  const tenantId = randomUUID();
  const principalId = 'bench-integrator';
  const caller = { principalId, tenantId, scopes: new Set(['onboarding:read', 'onboarding:write']) };
  const authorization = `Bearer ${await devToken({ tenantId, sub: principalId })}`;
  const webhookKey = parseSecrets(config.webhookSecrets?.value ?? '')[0]!;
  const body = { name: 'Bench household', type: 'Household' } as const;
  const base = '/v1/onboarding/collectives';

  // Seed (batched, see seeder.ts): requests to read, to cancel, to move by webhook, and stale ones for the cleanup.
  const seedStarted = performance.now();
  const seeder = createSeeder(createDocumentClient(dynamo));
  const seedStore = createDynamoStore(seeder.client, options.tableName);
  const consentLinks = (request: { id: string }) => ({ redirectLink: `${config.publicUrl}/consent/${request.id}`, documentationLink: config.documentationUrl });
  const seedService = (now?: () => Date) =>
    createRequests(COLLECTIVE_ONBOARDING, createLifecycle({ store: seedStore, pageTokens, kinds, ...(now ? { now } : {}) }), {
      consentLinks,
      allowLoopbackHttpReturnUrl: true,
    });
  const fresh = seedService();
  const createOne = (service = fresh) => service.create(body, caller, { correlationId: `seed-${randomUUID()}` }).then(({ request }) => request.id);
  const lap = (what: string) => log(`  seed: ${what} at ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
  const readIds = await mapLimit(range(50), 8, () => createOne());
  await seeder.flush();
  lap('50 readable');
  // Readable requests with a two-entry trail (Pending, then Processing).
  await mapLimit(readIds, 8, (id) =>
    fresh.core.transition(id, () => ({ to: 'Processing', reason: 'bench' }), {
      actor: { type: 'system', id: 'bench' },
      source: 'schedule',
      correlationId: 'bench-seed',
    }),
  );
  await seeder.flush();
  lap('50 moved to Processing');
  const cancelTargets = await mapLimit(range(2 * total), 8, () => createOne());
  const webhookTargets = await mapLimit(range(2 * total), 8, () => createOne());
  // Stale: last updated about 60 days ago, one second apart, so older than any configured age.
  const DAY = 24 * 3_600_000;
  const staleCount = (total + 10) * options.cleanupPageSize;
  const staleBase = Date.now() - 60 * DAY;
  await mapLimit(range(staleCount), 8, (index) => createOne(seedService(() => new Date(staleBase + index * 1_000))));
  lap(`${seeder.pending() / 2} built`);
  const seeded = (await seeder.flush()) / 2 + readIds.length;
  const seedMs = performance.now() - seedStarted;
  log(`seeded ${seeded} requests in ${(seedMs / 1000).toFixed(1)} s`);

  const operations: OperationResult[] = [];

  /** Wrapped and bare, alternating which goes first; warm-up calls are not recorded. */
  async function pair(name: string, wrapped: (i: number) => () => Promise<unknown>, bare: (i: number) => () => Promise<unknown>) {
    const started = performance.now();
    const w: Sample[] = [];
    const b: Sample[] = [];
    for (let i = 0; i < total; i++) {
      const callW = wrapped(i);
      const callB = bare(i);
      let sw: Sample;
      let sb: Sample;
      if (i % 2 === 0) {
        sw = await timed(meter, callW);
        sb = await timed(meter, callB);
      } else {
        sb = await timed(meter, callB);
        sw = await timed(meter, callW);
      }
      if (i >= warmup) {
        w.push(sw);
        b.push(sb);
      }
    }
    const timing = timingOf(w);
    const bareTiming = timingOf(b);
    operations.push({
      name,
      iterations,
      timing,
      dynamo: summarize(w.map((sample) => sample.tally)),
      bare: { timing: bareTiming, dynamo: summarize(b.map((sample) => sample.tally)) },
      overheadP50Ms: timing.p50Ms - bareTiming.p50Ms,
      pairedOverheadP50Ms: percentile(
        w.map((sample, index) => sample.ms - b[index]!.ms),
        50,
      ),
    });
    log(`${name}: ${iterations}× wrapped and bare in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const invoke = (handler: Handler, event: APIGatewayProxyEventV2) => {
    const context = lambdaContext('bench');
    return () => handler(event, context);
  };
  const byId = (id: string) => ({ onboardingRequestId: id });

  await pair(
    'create',
    () => invoke(handlers.create, apiEvent({ method: 'POST', path: base, headers: { authorization }, body })),
    () => () => bare.requests.create(body, caller, { correlationId: randomUUID() }),
  );
  await pair(
    'get',
    (i) => {
      const id = readIds[i % readIds.length]!;
      return invoke(handlers.get, apiEvent({ path: `${base}/${id}`, headers: { authorization }, pathParameters: byId(id) }));
    },
    (i) => () => bare.requests.get(readIds[i % readIds.length]!, caller, { correlationId: randomUUID() }),
  );
  await pair(
    'list',
    () => invoke(handlers.list, apiEvent({ path: base, headers: { authorization } })),
    () => () => bare.requests.list(caller, {}, { correlationId: randomUUID() }),
  );
  await pair(
    'cancel',
    (i) => {
      const id = cancelTargets[2 * i]!;
      return invoke(handlers.cancel, apiEvent({ method: 'PATCH', path: `${base}/${id}/cancel`, headers: { authorization }, pathParameters: byId(id) }));
    },
    (i) => () => bare.requests.cancel(cancelTargets[2 * i + 1]!, caller, { correlationId: randomUUID() }),
  );
  await pair(
    'history',
    (i) => {
      const id = readIds[i % readIds.length]!;
      return invoke(handlers.history, apiEvent({ path: `${base}/${id}/transitions`, headers: { authorization }, pathParameters: byId(id) }));
    },
    (i) => () => bare.history(readIds[i % readIds.length]!, caller, {}),
  );

  const signed = (requestId: string) => {
    const raw = JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: { id: requestId, status: 'Processing' } });
    const id = `msg_${randomUUID()}`;
    const timestamp = Math.floor(Date.now() / 1000);
    return { id, timestamp: String(timestamp), signature: sign(webhookKey, id, timestamp, raw), raw };
  };
  await pair(
    'webhook',
    (i) => {
      const message = signed(webhookTargets[2 * i]!);
      return invoke(
        handlers.webhook,
        apiEvent({
          method: 'POST',
          path: '/v1/webhooks/onboarding',
          rawBody: message.raw,
          headers: {
            'content-type': 'application/json',
            'webhook-id': message.id,
            'webhook-timestamp': message.timestamp,
            'webhook-signature': message.signature,
          },
        }),
      );
    },
    (i) => {
      const message = signed(webhookTargets[2 * i + 1]!);
      return () => receiveWebhook({ id: message.id, timestamp: message.timestamp, signature: message.signature, body: Buffer.from(message.raw) });
    },
  );

  // Cleanup: one run over every stale request, timed page by page (from one listStale call to the next:
  // the page's Query and the expiry of each of its requests).
  const maxAgeMs = { Pending: config.cleanup.pendingMaxAgeHours * 3_600_000, Processing: config.cleanup.processingMaxAgeHours * 3_600_000 };
  {
    const started = performance.now();
    const pages: Array<Sample & { items: number }> = [];
    let open: { started: number; items: number } | undefined;
    const close = () => {
      if (!open) return;
      pages.push({ ms: performance.now() - open.started, tally: meter.stop(), items: open.items });
      open = undefined;
    };
    const pagedStore = {
      openShards: store.openShards,
      countStale: store.countStale.bind(store),
      listStale: async (query: Parameters<typeof store.listStale>[0]) => {
        close();
        meter.start();
        open = { started: performance.now(), items: 0 };
        const page = await store.listStale(query);
        open.items = page.items.length;
        return page;
      },
    };
    const report = await runCleanup({
      lifecycle: bare.cleanup,
      store: pagedStore,
      maxAgeMs,
      remainingMs: () => 600_000,
      safetyMarginMs: 1_000,
      correlationId: 'bench-cleanup',
      pageSize: options.cleanupPageSize,
    });
    close();
    const full = pages.filter((page) => page.items === options.cleanupPageSize).slice(warmup, warmup + iterations);
    const timing = timingOf(full);
    if (report.expired !== staleCount) {
      timing.errors++;
      timing.firstError ??= `expected ${staleCount} expired, got ${JSON.stringify(report)}`;
    }
    operations.push({
      name: 'cleanupPage',
      iterations: full.length,
      timing,
      dynamo: summarize(full.map((page) => page.tally)),
      expiredPerRun: options.cleanupPageSize,
    });
    log(
      `cleanup: ${report.expired} expired in ${pages.length} pages of up to ${options.cleanupPageSize} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  // A scheduled run with nothing to expire: the floor of every hourly invocation.
  {
    const samples: Sample[] = [];
    for (let run = 0; run < 10 + 50; run++) {
      const sample = await timed(meter, async () => {
        const report = await runCleanup({
          lifecycle: bare.cleanup,
          store,
          maxAgeMs,
          remainingMs: () => 600_000,
          safetyMarginMs: 1_000,
          correlationId: 'bench-cleanup-empty',
        });
        if (report.expired !== 0) throw new Error(`expected nothing to expire, got ${JSON.stringify(report)}`);
      });
      if (run >= 10) samples.push(sample);
    }
    operations.push({
      name: 'cleanupEmptyRun',
      iterations: samples.length,
      timing: timingOf(samples),
      dynamo: summarize(samples.map((s) => s.tally)),
      expiredPerRun: 0,
    });
  }

  // The bearer check alone (HS256 jwtVerify and claims), the largest part of the middleware's work.
  const { createAuthenticator } = await import('../../lib/http/auth.ts');
  const { COLLECTIVE_ONBOARDING_ROUTES } = await import('../../lib/app/function-table.ts');
  const authenticate = createAuthenticator(config.auth);
  const authTimes: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const started = performance.now();
    await authenticate(authorization, 'onboarding:read');
    if (i >= warmup) authTimes.push(performance.now() - started);
  }
  const authP50Ms = percentile(authTimes, 50);

  // The same stack around a handler that does nothing: the middleware's own cost without DynamoDB's noise.
  const { http } = await import('../../lib/http/handler.ts');
  const getRoute = COLLECTIVE_ONBOARDING_ROUTES.get;
  const noop = async ({ params }: { params: unknown }) => ({ status: 200, body: { id: (params as { onboardingRequestId: string }).onboardingRequestId } });
  const stacks = {
    withAuth: http(getRoute, served.stack, noop) as unknown as Handler,
    withoutAuth: http({ ...getRoute, http: { ...getRoute.http, auth: 'none' } }, served.stack, noop) as unknown as Handler,
  };
  const noopP50Ms: Record<keyof typeof stacks, number> = { withAuth: 0, withoutAuth: 0 };
  for (const key of Object.keys(stacks) as Array<keyof typeof stacks>) {
    const times: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const id = readIds[i % readIds.length]!;
      const event = apiEvent({ path: `${base}/${id}`, headers: { authorization }, pathParameters: byId(id) });
      const context = lambdaContext('bench');
      const started = performance.now();
      const result = await stacks[key](event, context);
      if (i >= warmup) times.push(performance.now() - started);
      if (result.statusCode !== 200) throw new Error(`no-op stack answered ${result.statusCode}: ${String(result.body)}`);
    }
    noopP50Ms[key] = percentile(times, 50);
  }

  return {
    operations,
    capacityReported: meter.capacityReported,
    seeded,
    seedMs,
    authP50Ms,
    noopStackP50Ms: noopP50Ms.withAuth,
    noopStackWithoutAuthP50Ms: noopP50Ms.withoutAuth,
  };
}
