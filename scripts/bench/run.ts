import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readServerlessBuild } from '../local/build.ts';
import { type RunningDynamo, startDynamoLocal } from '../local/dynamodb-local.ts';
import { assertNode24 } from '../local/node-version.ts';
import { createTables } from '../local/tables.ts';
import { type BuiltBundle, buildBundles, buildSdkBaseline, type InitResult, type InitSubject, measureColdInit, pairedDifference } from './bundles.ts';
import { type BurstResult, runBurst } from './burst.ts';
import { type CleanupCostResult, prepareCleanupCost } from './cleanup-cost.ts';
import { type DeliveryCostResult, type DeliveryLatencyResult, measureDeliveryCost, runDeliveryLatency } from './events.ts';
import { type HttpLoadResult, measureNpmStart, runHttpLoad, startHttpService, stopRunningService } from './http-load.ts';
import { describeCommands } from './meter.ts';
import { type Budget, ms, num, onlyBudget, signedMs, table, transitionBudget } from './report.ts';
import { kb, median, round } from './stats.ts';
import { type OperationResult, runWarm, type WarmResult } from './warm.ts';

/**
 * npm run bench [-- --json <file>] [--quick]
 * What a serverless user pays for, against the budgets of ./budgets.json: bundle size, cold init over the
 * AWS SDK's own, warm latency, middleware overhead, DynamoDB requests and capacity, `npm start` to ready,
 * HTTP throughput, a burst on the local stack, and the cleanup's cost. A benchmark, not a test: budgets
 * that do not hold are reported, and the exit code is 0 unless the benchmark itself fails.
 */

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(
    'npm run bench [-- --json <file>] [--quick]\n--quick: 100 iterations instead of 1,000 and a smaller load, for trying the benchmark out (figures less stable).',
  );
  process.exit(0);
}

const BUDGETS = JSON.parse(readFileSync(new URL('./budgets.json', import.meta.url), 'utf8')) as {
  bundleBytes: number;
  initOverSdkMs: number;
  middlewareOverheadP50Ms: number;
  npmStartReadyMs: number;
  httpLoadErrors: number;
  burst: { tenants: number; requests: number; cancelsPerRequest: number; webhooksPerRequest: number; failed: number };
  cleanupItemsReadPerStale: number;
  deliveryLatencyP99Ms: number;
  dynamoRequestsPerDeliveredEvent: number;
};
const ITERATIONS = args.quick ? 100 : 1_000;
const WARMUP = args.quick ? 20 : 50;
const COLD_RUNS = args.quick ? 5 : 20;
const NPM_START_RUNS = args.quick ? 1 : 3;
const CLEANUP_PAGE_SIZE = 3;
const HTTP_CLIENTS = 8;
const HTTP_REQUESTS = args.quick ? 100 : 400;
const CLEANUP_TABLE_REQUESTS = 10_000;
const CLEANUP_STALE = 100;
const EVENT_REQUESTS = args.quick ? 10 : 50;

const started = performance.now();
const shellEnv: NodeJS.ProcessEnv = { ...process.env };
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const failures: string[] = [];
let dynamo: RunningDynamo | undefined;

async function stopChildren() {
  await stopRunningService?.().catch(() => undefined);
  await dynamo?.stop().catch(() => undefined);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping DynamoDB Local and npm start`);
    void stopChildren().finally(() => process.exit(130));
  });
}

async function phase<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  const phaseStarted = performance.now();
  log(`${name}…`);
  try {
    const result = await run();
    log(`${name} done in ${((performance.now() - phaseStarted) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const message = `${name} failed: ${(error as Error).stack ?? String(error)}`;
    failures.push(message);
    log(message);
    return undefined;
  }
}

assertNode24();
const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  memoryGb: round(os.totalmem() / 1024 ** 3, 1),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadAverageAtStart: os.loadavg().map((value) => round(value, 2)),
  loadAverageAtEnd: [] as number[],
};

// 1. Bundles and cold init -------------------------------------------------------------------------------
/** What a proxy-mode function starts with (not deployed: a plain secret; nothing is fetched at init). */
const PROXY_ENV = { ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'bench', REALTO_CLIENT_SECRET: 'bench' };
interface ModeBundles {
  mode: 'local' | 'realto';
  bundles: BuiltBundle[];
  /** Per bundle entry, the SDK-only handler with the same clients. */
  baselines: Map<string, { label: string; file: string; bytes: number }>;
}
const built: ModeBundles[] = [];
for (const mode of ['local', 'realto'] as const) {
  const result = await phase(`bundles, ${mode} mode (esbuild as serverless.yml configures it)`, async () => {
    const bundles = await buildBundles(mode);
    const baselines = new Map<string, { label: string; file: string; bytes: number }>();
    for (const bundle of bundles) baselines.set(bundle.entry, await buildSdkBaseline(bundle.externalImports, mode));
    return { mode, bundles, baselines };
  });
  if (result) built.push(result);
}
const subjectLabel = (mode: string, entry: string) => `${mode}:${entry}`;
const cold: Map<string, InitResult> | undefined = built.length
  ? await phase(`cold init (${COLD_RUNS} fresh node processes each)`, async () => {
      const subjects = new Map<string, InitSubject>();
      for (const { mode, bundles, baselines } of built) {
        for (const bundle of bundles) {
          subjects.set(subjectLabel(mode, bundle.entry), {
            label: subjectLabel(mode, bundle.entry),
            file: bundle.file,
            ...(mode === 'realto' ? { env: PROXY_ENV } : {}),
          });
          const baseline = baselines.get(bundle.entry)!;
          subjects.set(baseline.label, { label: baseline.label, file: baseline.file });
        }
      }
      return measureColdInit([...subjects.values()], COLD_RUNS);
    })
  : undefined;

// 2. Warm latency, middleware overhead, DynamoDB cost; 3. the cleanup's cost at 10,000 requests; 4. HTTP --
let warm: WarmResult | undefined;
let cleanupCost: CleanupCostResult | undefined;
let deliveryCost: DeliveryCostResult | undefined;
const dynamoStarted = await phase('DynamoDB Local', async () => {
  dynamo = await startDynamoLocal();
  // Nothing reads these tables' streams here (the publisher's cost is measured on its own, in process).
  await createTables(dynamo.endpoint, { OnboardingTable: 'onboarding-bench' }, { streams: false });
  return dynamo;
});
if (dynamoStarted) {
  warm = await phase(`warm latency (${ITERATIONS} calls per operation, wrapped and bare)`, () =>
    runWarm({
      endpoint: dynamoStarted.endpoint,
      tableName: 'onboarding-bench',
      iterations: ITERATIONS,
      warmup: WARMUP,
      cleanupPageSize: CLEANUP_PAGE_SIZE,
      log,
    }),
  );
}
if (dynamoStarted) {
  const measureCleanup = await phase(`cleanup cost: seeding ${CLEANUP_TABLE_REQUESTS} requests, ${CLEANUP_STALE} stale`, () =>
    prepareCleanupCost({
      endpoint: dynamoStarted.endpoint,
      tableName: 'onboarding-bench-cleanup',
      total: CLEANUP_TABLE_REQUESTS,
      stale: CLEANUP_STALE,
      log,
    }),
  );
  if (measureCleanup) cleanupCost = await phase('cleanup cost: one run', measureCleanup);
  deliveryCost = await phase(`outbound events: the publisher's DynamoDB requests (${EVENT_REQUESTS * 2} events)`, () =>
    measureDeliveryCost({
      endpoint: dynamoStarted.endpoint,
      tableName: 'onboarding-bench',
      events: EVENT_REQUESTS * 2,
      batchSize: 10,
    }),
  );
  await dynamo?.stop();
  dynamo = undefined;
}

// 4. npm start to ready, on an otherwise idle machine; the last one stays up for the HTTP load and the burst.
const npmStartMs: number[] = [];
const service = await phase(`npm start to ready (${NPM_START_RUNS} runs)`, async () => {
  npmStartMs.push(...(await measureNpmStart(shellEnv, NPM_START_RUNS - 1, log)));
  const running = await startHttpService(shellEnv, log);
  npmStartMs.push(running.startupMs);
  return running;
});
const http: HttpLoadResult | undefined =
  service &&
  (await phase(`HTTP load (npm start, ${HTTP_CLIENTS} clients, ${HTTP_REQUESTS} requests)`, () =>
    runHttpLoad(service, { clients: HTTP_CLIENTS, requests: HTTP_REQUESTS, env: shellEnv }),
  ));
const burstCalls = BUDGETS.burst.requests * (BUDGETS.burst.cancelsPerRequest + BUDGETS.burst.webhooksPerRequest);
const burst: BurstResult | undefined =
  service &&
  (await phase(`burst (${burstCalls} calls at once on npm start)`, () =>
    runBurst(service, {
      tenants: BUDGETS.burst.tenants,
      requests: BUDGETS.burst.requests,
      cancels: BUDGETS.burst.cancelsPerRequest,
      webhooks: BUDGETS.burst.webhooksPerRequest,
      env: shellEnv,
    }),
  ));
const deliveryLatency: DeliveryLatencyResult | undefined =
  service &&
  (await phase(`outbound events: commit to receiver (npm start, ${EVENT_REQUESTS * 2} transitions)`, () =>
    runDeliveryLatency(service, { requests: EVENT_REQUESTS, env: shellEnv }),
  ));
await service?.stop();

machine.loadAverageAtEnd = os.loadavg().map((value) => round(value, 2));
const totalMs = performance.now() - started;

// Figures ------------------------------------------------------------------------------------------------
const budgets: Budget[] = [];
const notes: string[] = [];
const out: string[] = [];
const section = (title: string) => out.push('', title);

out.push(
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.platform}; load average ${machine.loadAverageAtStart.join(' / ')} at start, ${machine.loadAverageAtEnd.join(' / ')} at end`,
);

const functions: Record<string, unknown> = {};
const baselinesJson: Record<string, unknown> = {};
if (built.length) {
  const options = readServerlessBuild().options;
  section(
    `Bundles and cold init (esbuild as serverless.yml: ${[options.minify ? 'minified' : 'not minified', `${options.format}`, `target ${options.target}`, `external ${(options.external ?? []).join(', ') || 'none'}`].join(', ')}; init = process start to module imported, median of ${COLD_RUNS} fresh node processes; over SDK = median of the paired differences with the SDK-only handler of the same clients, timed in the same rounds)`,
  );
  const rows: string[][] = [];
  for (const { mode, bundles, baselines } of built) {
    for (const bundle of bundles) {
      const init = cold?.get(subjectLabel(mode, bundle.entry));
      const baseline = baselines.get(bundle.entry)!;
      const baselineInit = cold?.get(baseline.label);
      const over = init && baselineInit ? pairedDifference(init, baselineInit) : undefined;
      rows.push([
        `${bundle.entry.replace(/^functions\//, '')}${mode === 'realto' ? ' (proxy mode)' : ''}`,
        kb(bundle.bytes),
        init ? ms(init.initMs, 0) : 'n/a',
        baseline.label,
        over === undefined ? 'n/a' : signedMs(over, 1),
        bundle.externalImports.join(' '),
      ]);
      for (const name of bundle.functions) {
        const figures = {
          entry: bundle.entry,
          bundleBytes: bundle.bytes,
          initMs: init ? round(init.initMs) : null,
          sdkBaseline: baseline.label,
          initOverSdkMs: over === undefined ? null : round(over),
          externalImports: bundle.externalImports,
          largestInputs: bundle.largestInputs,
        };
        if (mode === 'local') functions[name] = figures;
        else (functions[name] as Record<string, unknown>).proxyMode = figures;
      }
      const label = `${bundle.entry}${mode === 'realto' ? ' (proxy mode)' : ''}`;
      budgets.push({
        name: `bundle ${label}`,
        value: kb(bundle.bytes),
        limit: `≤ ${kb(BUDGETS.bundleBytes)}`,
        held: bundle.bytes <= BUDGETS.bundleBytes,
        measured: bundle.bytes,
      });
      budgets.push({
        name: `cold init ${label} over the SDK-only handler`,
        value: over === undefined ? 'n/a' : signedMs(over, 1),
        limit: `≤ ${BUDGETS.initOverSdkMs} ms`,
        held: over === undefined ? null : over <= BUDGETS.initOverSdkMs,
        measured: over === undefined ? null : round(over),
      });
    }
  }
  for (const baseline of new Set(built.flatMap(({ baselines }) => [...baselines.values()]))) {
    const init = cold?.get(baseline.label);
    if (baselinesJson[baseline.label] || !init) continue;
    baselinesJson[baseline.label] = { bundleBytes: baseline.bytes, initMs: round(init.initMs) };
    rows.push([`(${baseline.label})`, kb(baseline.bytes), ms(init.initMs, 0), '', '', '']);
  }
  out.push(table(['bundle', 'size', 'init', 'SDK-only handler', 'over SDK', 'external imports'], rows, new Set([1, 2, 4])));
  notes.push(
    'Each stack is built for its one mode (serverless.yml: custom.mode, esbuild define): local-mode bundles carry no proxy code; the rows marked (proxy mode) are the bundles of a stack packaged with ONBOARDING_MODE=realto.',
  );
}

if (npmStartMs.length) {
  section(
    `npm start to ready (${npmStartMs.length} runs in a row, each from nothing: DynamoDB Local, the table, ${built[0]?.bundles.length ?? ''} bundles, the gateway)`,
  );
  out.push(`runs ${npmStartMs.map((value) => `${(value / 1000).toFixed(2)} s`).join(', ')}; median ${(median(npmStartMs) / 1000).toFixed(2)} s`);
}
budgets.push({
  name: 'npm start to ready (median)',
  value: npmStartMs.length ? `${(median(npmStartMs) / 1000).toFixed(2)} s` : 'not measured',
  limit: `≤ ${(BUDGETS.npmStartReadyMs / 1000).toFixed(1)} s`,
  held: npmStartMs.length ? median(npmStartMs) <= BUDGETS.npmStartReadyMs : null,
  measured: npmStartMs.length ? round(median(npmStartMs), 0) : null,
});

const operations: Record<string, unknown> = {};
const middleware: Record<string, unknown> = {};
const find = (name: string): OperationResult | undefined => warm?.operations.find((operation) => operation.name === name);
if (warm) {
  section(
    `Warm latency, in process, DynamoDB Local (${ITERATIONS} calls per operation after ${WARMUP} warm-up; cleanupPage: one page of ${CLEANUP_PAGE_SIZE} within a run; DynamoDB figures per call)`,
  );
  const rows = warm.operations.map((operation) => {
    const { dynamo: d } = operation;
    operations[operation.name] = {
      iterations: operation.iterations,
      p50Ms: round(operation.timing.p50Ms, 3),
      p99Ms: round(operation.timing.p99Ms, 3),
      meanMs: round(operation.timing.meanMs, 3),
      errors: operation.timing.errors,
      ...(operation.timing.firstError ? { firstError: operation.timing.firstError } : {}),
      dynamoRequests: round(d.requestsPerCall, 3),
      requestsByCommand: d.byCommand,
      consumedWcu: d.wcuPerCall === null ? null : round(d.wcuPerCall, 3),
      consumedRcu: d.rcuPerCall === null ? null : round(d.rcuPerCall, 3),
      itemsRead: round(d.itemsReadPerCall, 3),
      retries: d.retries,
      ...(operation.expiredPerRun === undefined ? {} : { expiredPerCall: operation.expiredPerRun }),
    };
    return [
      operation.name,
      String(operation.iterations),
      ms(operation.timing.p50Ms),
      ms(operation.timing.p99Ms),
      String(operation.timing.errors),
      describeCommands(d),
      num(d.wcuPerCall, 1),
      num(d.rcuPerCall, 1),
      num(d.itemsReadPerCall, 1),
    ];
  });
  out.push(table(['operation', 'calls', 'p50', 'p99', 'errors', 'DynamoDB requests', 'WCU', 'RCU', 'items read'], rows, new Set([1, 2, 3, 4, 6, 7, 8])));
  if (!warm.capacityReported) {
    notes.push(
      'DynamoDB Local returned no ConsumedCapacity although ReturnConsumedCapacity=TOTAL was set: WCU/RCU are n/a; requests and items read are counted.',
    );
  } else {
    notes.push(
      'WCU/RCU are ConsumedCapacity as DynamoDB Local reports it with ReturnConsumedCapacity=TOTAL (table and indexes; transactions count double); on-demand bills the same units as WRU/RRU.',
    );
  }
  for (const operation of warm.operations) {
    if (operation.timing.errors > 0) notes.push(`${operation.name}: ${operation.timing.errors} calls failed, first: ${operation.timing.firstError}`);
  }

  section(`Middleware overhead (the wrapped handler against the bare domain call it makes, alternating, same store; p50 difference per call)`);
  const mwRows: string[][] = [];
  for (const operation of warm.operations) {
    if (!operation.bare || operation.overheadP50Ms === undefined) continue;
    middleware[operation.name] = {
      wrappedP50Ms: round(operation.timing.p50Ms, 3),
      bareP50Ms: round(operation.bare.timing.p50Ms, 3),
      overheadP50Ms: round(operation.overheadP50Ms, 3),
      pairedOverheadP50Ms: operation.pairedOverheadP50Ms === undefined ? null : round(operation.pairedOverheadP50Ms, 3),
      wrappedP99Ms: round(operation.timing.p99Ms, 3),
      bareP99Ms: round(operation.bare.timing.p99Ms, 3),
      bareErrors: operation.bare.timing.errors,
      bareDynamoRequests: round(operation.bare.dynamo.requestsPerCall, 3),
    };
    mwRows.push([
      operation.name,
      ms(operation.timing.p50Ms, 3),
      ms(operation.bare.timing.p50Ms, 3),
      signedMs(operation.overheadP50Ms, 3),
      operation.pairedOverheadP50Ms === undefined ? 'n/a' : signedMs(operation.pairedOverheadP50Ms, 3),
      describeCommands(operation.bare.dynamo),
    ]);
    budgets.push({
      name: `middleware overhead p50, ${operation.name}`,
      value: signedMs(operation.overheadP50Ms, 3),
      limit: `≤ ${BUDGETS.middlewareOverheadP50Ms} ms`,
      held: operation.overheadP50Ms <= BUDGETS.middlewareOverheadP50Ms,
      measured: round(operation.overheadP50Ms, 3),
    });
  }
  middleware.authP50Ms = round(warm.authP50Ms, 3);
  middleware.noopStackP50Ms = round(warm.noopStackP50Ms, 3);
  middleware.noopStackWithoutAuthP50Ms = round(warm.noopStackWithoutAuthP50Ms, 3);
  mwRows.push(["(get's stack around a no-op handler)", ms(warm.noopStackP50Ms, 3), '', '', '', '']);
  mwRows.push(['(the same without the bearer check)', ms(warm.noopStackWithoutAuthP50Ms, 3), '', '', '', '']);
  mwRows.push(['(the bearer check alone: HS256 jwtVerify + claims)', ms(warm.authP50Ms, 3), '', '', '', '']);
  out.push(
    table(
      ['operation', 'wrapped p50', 'bare p50', 'overhead (p50 − p50)', 'median of paired differences', 'bare DynamoDB requests'],
      mwRows,
      new Set([1, 2, 3, 4]),
    ),
  );
  notes.push(
    `Seeding: ${warm.seeded} requests written in ${(warm.seedMs / 1000).toFixed(1)} s with BatchWriteItem of the items store.insert builds (scripts/bench/seeder.ts).`,
  );
}

if (http) {
  section(
    `HTTP load (npm start: the local gateway + DynamoDB Local; ${http.clients} concurrent clients, ${http.requests} requests: ${Object.entries(http.mix)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ')})`,
  );
  out.push(
    table(
      ['', 'throughput', 'p50', 'p99', 'errors'],
      [
        ['all', `${http.throughputPerSecond.toFixed(1)} req/s`, ms(http.p50Ms, 1), ms(http.p99Ms, 1), String(http.errors)],
        ...Object.entries(http.byKind).map(([kind, figures]) => [kind, '', ms(figures.p50Ms, 1), ms(figures.p99Ms, 1), String(figures.errors)]),
      ],
      new Set([1, 2, 3, 4]),
    ),
  );
  if (http.firstError) notes.push(`HTTP: first error: ${http.firstError}`);
  notes.push(
    'The local gateway runs each function in worker threads (scripts/local/lambda-runner.ts), so these figures are of the local stack, not of API Gateway + Lambda.',
  );
}
budgets.push({
  name: 'HTTP load errors',
  value: http ? String(http.errors) : 'not measured',
  limit: `= ${BUDGETS.httpLoadErrors}`,
  held: http ? http.errors <= BUDGETS.httpLoadErrors : null,
  measured: http ? http.errors : null,
});

if (burst) {
  section(
    `Burst on npm start (${burst.calls} calls at once: ${BUDGETS.burst.cancelsPerRequest} cancels and ${BUDGETS.burst.webhooksPerRequest} signed webhooks racing on each of ${BUDGETS.burst.requests} requests of ${BUDGETS.burst.tenants} tenants)`,
  );
  out.push(
    table(
      ['calls', 'answers by status', 'failed', 'failed not as problem+json', 'p50', 'p99', 'max', 'requests equal to their trail'],
      [
        [
          String(burst.calls),
          Object.entries(burst.byStatus)
            .map(([status, n]) => `${n}× ${status}`)
            .join(', '),
          String(burst.failed),
          String(burst.notProblemJson),
          ms(burst.p50Ms, 0),
          ms(burst.p99Ms, 0),
          ms(burst.maxMs, 0),
          `${burst.consistentRequests} of ${BUDGETS.burst.requests}`,
        ],
      ],
      new Set([0, 2, 3, 4, 5, 6]),
    ),
  );
  if (burst.firstFailure) notes.push(`Burst: first failure: ${burst.firstFailure}`);
}
budgets.push({
  name: `burst of ${burstCalls} calls: failed answers`,
  value: burst ? String(burst.failed) : 'not measured',
  limit: `= ${BUDGETS.burst.failed}, and every request equal to its trail`,
  held: burst ? burst.failed <= BUDGETS.burst.failed && burst.notProblemJson === 0 && burst.consistentRequests === BUDGETS.burst.requests : null,
  measured: burst ? burst.failed : null,
});

if (cleanupCost) {
  section(
    `Cleanup cost (one runCleanup over a table of ${cleanupCost.requestsInTable} open requests, ${cleanupCost.staleBefore} stale; configured ages; the whole run)`,
  );
  out.push(
    table(
      ['expired', 'skipped', 'stopped early', 'duration', 'DynamoDB requests', 'items read', 'WCU', 'RCU'],
      [
        [
          String(cleanupCost.expired),
          String(cleanupCost.skipped),
          String(cleanupCost.stoppedEarly),
          ms(cleanupCost.durationMs, 0),
          `${cleanupCost.dynamoRequests} (${describeCommands(cleanupCost.dynamo)})`,
          String(cleanupCost.itemsRead),
          num(cleanupCost.dynamo.wcuPerCall, 1),
          num(cleanupCost.dynamo.rcuPerCall, 1),
        ],
      ],
      new Set([0, 1, 3, 5, 6, 7]),
    ),
  );
}
budgets.push({
  name: `cleanup of ${CLEANUP_TABLE_REQUESTS} requests, ${CLEANUP_STALE} stale: expired`,
  value: cleanupCost ? String(cleanupCost.expired) : 'not measured',
  limit: `= ${CLEANUP_STALE}`,
  held: cleanupCost ? cleanupCost.expired === CLEANUP_STALE && !cleanupCost.stoppedEarly : null,
  measured: cleanupCost ? cleanupCost.expired : null,
});
budgets.push({
  name: `cleanup of ${CLEANUP_TABLE_REQUESTS} requests, ${CLEANUP_STALE} stale: items read`,
  value: cleanupCost ? String(cleanupCost.itemsRead) : 'not measured',
  limit: `≤ ${BUDGETS.cleanupItemsReadPerStale * CLEANUP_STALE} (order of the stale, not the table)`,
  held: cleanupCost ? cleanupCost.itemsRead <= BUDGETS.cleanupItemsReadPerStale * CLEANUP_STALE : null,
  measured: cleanupCost ? cleanupCost.itemsRead : null,
});

if (deliveryLatency || deliveryCost) {
  section('Outbound events');
  const rows: string[][] = [];
  if (deliveryLatency)
    rows.push([
      `commit to receiver, through npm start (the table's stream, the publisher, a signed POST to 127.0.0.1)`,
      `${deliveryLatency.received} of ${deliveryLatency.events}`,
      ms(deliveryLatency.p50Ms, 0),
      ms(deliveryLatency.p99Ms, 0),
      ms(deliveryLatency.maxMs, 0),
      '',
    ]);
  if (deliveryCost)
    rows.push([
      `the publisher per delivered event, in process (batches of 10, one endpoint)`,
      `${deliveryCost.delivered} of ${deliveryCost.events}`,
      '',
      '',
      '',
      `${num(deliveryCost.perEvent.requestsPerCall, 2)} (${describeCommands(deliveryCost.perEvent)})`,
    ]);
  out.push(table(['', 'events delivered', 'p50', 'p99', 'max', 'DynamoDB requests per event'], rows, new Set([1, 2, 3, 4])));
  notes.push(
    "Reading the table's stream is not a DynamoDB request a Lambda trigger pays for; the requests per event are the publisher's own (the endpoints of the tenant once per batch, then per delivery: create, claim, the endpoint, and the attempt with the delivery's new state).",
  );
}
budgets.push({
  name: 'outbound event: commit to receiver p99',
  value: deliveryLatency ? ms(deliveryLatency.p99Ms, 0) : 'not measured',
  limit: `≤ ${BUDGETS.deliveryLatencyP99Ms} ms, every event delivered`,
  held: deliveryLatency ? deliveryLatency.p99Ms <= BUDGETS.deliveryLatencyP99Ms && deliveryLatency.received === deliveryLatency.events : null,
  measured: deliveryLatency ? round(deliveryLatency.p99Ms, 0) : null,
});
budgets.push({
  name: 'outbound event: DynamoDB requests per delivered event',
  value: deliveryCost ? num(deliveryCost.perEvent.requestsPerCall, 2) : 'not measured',
  limit: `≤ ${BUDGETS.dynamoRequestsPerDeliveredEvent}`,
  held: deliveryCost
    ? deliveryCost.perEvent.requestsPerCall <= BUDGETS.dynamoRequestsPerDeliveredEvent && deliveryCost.delivered === deliveryCost.events
    : null,
  measured: deliveryCost ? round(deliveryCost.perEvent.requestsPerCall, 2) : null,
});

budgets.push(onlyBudget('create = 1 transaction', find('create'), 'TransactWriteItems'));
budgets.push(onlyBudget('get = 1 read', find('get'), 'GetItem'));
budgets.push(onlyBudget('list page = 1 Query', find('list'), 'Query'));
budgets.push(transitionBudget('transition (cancel) = 1 write, ≤ 1 read', find('cancel')));
budgets.push(transitionBudget('transition (webhook) = 1 write, ≤ 1 read', find('webhook')));
{
  // A cleanup page is one Query (the page) plus one transition per expired request.
  const page = find('cleanupPage');
  const perRequest = page && {
    ...page,
    dynamo: { ...page.dynamo, byCommand: Object.fromEntries(Object.entries(page.dynamo.byCommand).filter(([command]) => command !== 'Query')) },
  };
  const budget = transitionBudget('transition (cleanup expiry) = 1 write, ≤ 1 read', perRequest, CLEANUP_PAGE_SIZE);
  if (page) budget.value += ` (+ ${page.dynamo.byCommand.Query?.max ?? 0} Query per page of ${CLEANUP_PAGE_SIZE})`;
  budgets.push(budget);
}

section('Budgets');
out.push(
  table(
    ['budget', 'value', 'limit', 'held'],
    budgets.map((budget) => [budget.name, budget.value, budget.limit, budget.held === null ? 'n/a' : budget.held ? 'yes' : 'NO']),
  ),
);
const held = budgets.filter((budget) => budget.held === true).length;
const judged = budgets.filter((budget) => budget.held !== null).length;
out.push(`${held} of ${judged} budgets held.`);

if (notes.length) {
  section('Notes');
  out.push(...notes.map((note) => `- ${note}`));
}
if (failures.length) {
  section('Failures (the benchmark itself)');
  out.push(...failures.map((failure) => `- ${failure.split('\n')[0]}`));
}
out.push('', `Total runtime ${(totalMs / 1000).toFixed(1)} s.`);
console.log(out.join('\n'));

if (args.json) {
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), args.json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        machine,
        totalMs: round(totalMs, 0),
        settings: {
          iterations: ITERATIONS,
          warmup: WARMUP,
          coldRuns: COLD_RUNS,
          npmStartRuns: NPM_START_RUNS,
          cleanupPageSize: CLEANUP_PAGE_SIZE,
          httpClients: HTTP_CLIENTS,
          httpRequests: HTTP_REQUESTS,
        },
        budgetsFile: BUDGETS,
        functions,
        sdkBaselines: baselinesJson,
        npmStart: npmStartMs.length ? { readyMs: round(median(npmStartMs), 0), runsMs: npmStartMs.map((value) => round(value, 0)) } : null,
        burst: burst ? { ...burst, p50Ms: round(burst.p50Ms), p99Ms: round(burst.p99Ms), maxMs: round(burst.maxMs) } : null,
        operations,
        middleware,
        http: http
          ? {
              ...http,
              p50Ms: round(http.p50Ms),
              p99Ms: round(http.p99Ms),
              throughputPerSecond: round(http.throughputPerSecond),
              durationMs: round(http.durationMs, 0),
            }
          : null,
        events: {
          latency: deliveryLatency
            ? { ...deliveryLatency, p50Ms: round(deliveryLatency.p50Ms), p99Ms: round(deliveryLatency.p99Ms), maxMs: round(deliveryLatency.maxMs) }
            : null,
          cost: deliveryCost
            ? {
                events: deliveryCost.events,
                delivered: deliveryCost.delivered,
                requestsPerEvent: round(deliveryCost.perEvent.requestsPerCall, 2),
                byCommand: deliveryCost.perEvent.byCommand,
                wcuPerEvent: deliveryCost.perEvent.wcuPerCall === null ? null : round(deliveryCost.perEvent.wcuPerCall, 2),
                rcuPerEvent: deliveryCost.perEvent.rcuPerCall === null ? null : round(deliveryCost.perEvent.rcuPerCall, 2),
              }
            : null,
        },
        cleanup: cleanupCost ? { ...cleanupCost, durationMs: round(cleanupCost.durationMs, 0), seedMs: round(cleanupCost.seedMs, 0) } : null,
        budgets: budgets.map(({ name, measured, value, limit, held: ok }) => ({ name, value: measured, display: value, limit, held: ok })),
        capacityReported: warm?.capacityReported ?? null,
        notes,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  log(`figures written to ${file}`);
}

await stopChildren();
process.exit(failures.length ? 1 : 0);
