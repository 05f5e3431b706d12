import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readServerlessBuild } from '../local/build.ts';
import { startDynamoLocal } from '../local/dynamodb-local.ts';
import { assertNode24 } from '../local/node-version.ts';
import { createTables } from '../local/tables.ts';
import BUDGETS from './budgets.json' with { type: 'json' };
import { buildBundles, buildSdkBaseline, type InitSubject, measureColdInit, PROXY_ENV, pairedDifference } from './bundles.ts';
import { runBurst } from './burst.ts';
import { runCleanupCost } from './cleanup-cost.ts';
import { measureDeliveryCost, runDeliveryLatency } from './events.ts';
import { runHttpLoad } from './http-load.ts';
import { journeyDetail, journeyTable, runJourneyCost } from './journey.ts';
import { describeCommands, type TallySummary } from './meter.ts';
import { type Budget, budget, eachWithin, fixed, kb, ms, num, requestsBudget, signed, table } from './report.ts';
import { running, startNpm } from './service.ts';
import { median, round } from './stats.ts';
import { runWarm } from './warm.ts';

/**
 * npm run bench [-- --json <file>] [--quick]
 * What a serverless user pays for, against the budgets of ./budgets.json: bundle size and cold init over
 * the AWS SDK's own, warm latency, middleware overhead, DynamoDB requests and capacity, the cleanup's cost,
 * outbound events, a request's whole journey as AWS on-demand would bill it, `npm start` to ready, HTTP
 * load and a burst on the local stack. A benchmark, not a test:
 * budgets that do not hold are reported, and the exit code is 0 unless the benchmark itself fails.
 * --quick: fewer iterations and a smaller load, for trying the benchmark out (figures less stable).
 */
const { values: args } = parseArgs({ options: { json: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const SCALE = {
  iterations: args.quick ? 100 : 1_000,
  warmup: args.quick ? 20 : 50,
  coldRuns: args.quick ? 5 : 20,
  npmStartRuns: args.quick ? 1 : 3,
  cleanupPageSize: 3,
  httpClients: 8,
  httpRequests: args.quick ? 100 : 400,
  cleanupTableRequests: 10_000,
  cleanupStale: 100,
  eventRequests: args.quick ? 10 : 50,
};

const started = performance.now();
const loadAtStart = os.loadavg();
const failures: string[] = [];
const stopAll = async () => {
  const stops = [...running];
  running.clear();
  await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

/** One measurement; if it throws, that is the benchmark's own failure: recorded, and the others still run. */
async function measure<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    process.stderr.write(`${name} failed: ${(error as Error).stack ?? String(error)}\n`);
    return undefined;
  }
}

assertNode24();

// Bundles and cold init, each function in both modes.
const bundles = await measure('bundles', async () => {
  const all = [];
  for (const mode of ['local', 'realto'] as const) {
    // The SDK-only handler has no mode-dependent code: one build serves both modes.
    for (const bundle of await buildBundles(mode)) all.push({ ...bundle, mode, baseline: await buildSdkBaseline(bundle.sdkAtStart, 'local') });
  }
  const { minify, minifyWhitespace, minifySyntax, minifyIdentifiers, format, target } = readServerlessBuild().options;
  const minified = minify ? 'minified' : minifyWhitespace || minifySyntax ? `minified${minifyIdentifiers ? '' : ', names kept'}` : 'not minified';
  return { all, esbuild: `${minified}, ${format}, ${target}` };
});
const cold =
  bundles &&
  (await measure('cold init', async () => {
    const subjects = new Map<string, InitSubject>();
    for (const { mode, entry, file, baseline } of bundles.all) {
      subjects.set(`${mode}:${entry}`, { label: `${mode}:${entry}`, file, ...(mode === 'realto' ? { env: PROXY_ENV } : {}) });
      subjects.set(baseline.label, { label: baseline.label, file: baseline.file });
    }
    return measureColdInit([...subjects.values()], SCALE.coldRuns);
  }));

// In process on DynamoDB Local: warm latency and middleware overhead, the cleanup's cost, the publisher's cost.
const dynamo = await measure('DynamoDB Local', async () => {
  const local = await startDynamoLocal();
  running.add(() => local.stop());
  // Nothing reads these tables' streams here (the publisher's cost is measured on its own, in process).
  await createTables(local.endpoint, { OnboardingTable: 'onboarding-bench' }, { streams: false });
  return local;
});
const warm = dynamo && (await measure('warm latency', () => runWarm({ endpoint: dynamo.endpoint, tableName: 'onboarding-bench', ...SCALE })));
const cleanup =
  dynamo &&
  (await measure('cleanup cost', () =>
    runCleanupCost({ endpoint: dynamo.endpoint, tableName: 'onboarding-bench-cleanup', total: SCALE.cleanupTableRequests, stale: SCALE.cleanupStale }),
  ));
const deliveryCost =
  dynamo &&
  (await measure('publisher cost', () =>
    measureDeliveryCost({ endpoint: dynamo.endpoint, tableName: 'onboarding-bench', events: SCALE.eventRequests * 2, batchSize: 10 }),
  ));
// On the warm phase's table: the functions it imported read that one (./journey.ts).
const journey = dynamo && (await measure('journey cost', () => runJourneyCost({ endpoint: dynamo.endpoint, tableName: 'onboarding-bench' })));
await stopAll();

// npm start from nothing to ready, on an otherwise idle machine; the last one stays up for the rest.
const npmStartMs: number[] = [];
const service = await measure('npm start', async () => {
  for (;;) {
    const npm = await startNpm();
    npmStartMs.push(npm.startupMs);
    if (npmStartMs.length === SCALE.npmStartRuns) return npm;
    await npm.stop();
  }
});
const http = service && (await measure('HTTP load', () => runHttpLoad(service, SCALE.httpClients, SCALE.httpRequests)));
const burst = service && (await measure('burst', () => runBurst(service, BUDGETS.burst)));
const deliveryLatency = service && (await measure('delivery latency', () => runDeliveryLatency(service, SCALE.eventRequests)));
const noisyLatency =
  service && (await measure('delivery latency, noisy tenant', () => runDeliveryLatency(service, SCALE.eventRequests, { noisyEndpoints: 10 })));
await stopAll();

// One table per area; each area's budgets go to the budgets table.
interface Area {
  title: string;
  head: string[];
  rows: string[][];
  /** Lines printed under the table. */
  notes?: string[];
  budgets: Budget[];
}
/** The rows of a result, none if its phase failed. */
const when = <T>(result: T | undefined, rows: (result: T) => string[][]) => (result === undefined ? [] : rows(result));
const latency = (figures: { p50Ms: number; p99Ms: number; maxMs: number }) => [ms(figures.p50Ms), ms(figures.p99Ms), ms(figures.maxMs)];
const requests = (dynamo: TallySummary) => `${num(dynamo.requestsPerCall)} (${describeCommands(dynamo)})`;
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;

const subjects = (bundles?.all ?? []).map((bundle) => {
  const init = cold?.get(`${bundle.mode}:${bundle.entry}`);
  const base = cold?.get(bundle.baseline.label);
  return {
    ...bundle,
    name: `${bundle.entry.replace(/^functions\/|\.ts$/g, '')}, ${bundle.mode === 'realto' ? 'proxy' : 'local'}`,
    initMs: init?.initMs,
    initOverSdkMs: init && base ? pairedDifference(init, base) : undefined,
    initRatio: init && base ? init.initMs / base.initMs : undefined,
  };
});
const baselines = [...new Map(subjects.map(({ baseline }) => [baseline.label, baseline])).values()];
const ops = new Map((warm?.operations ?? []).map((op) => [op.name, op]));
const { burst: B, costPerJourney: J } = BUDGETS;

const areas: Area[] = [
  {
    title: `Bundles and cold init (esbuild as serverless.yml: ${bundles?.esbuild ?? 'n/a'}; init: process start to module imported, median of ${SCALE.coldRuns} fresh processes; baseline: the SDK-only handler of the same clients; over SDK: median of paired differences with it; ratio: init / its init)`,
    head: ['bundle', 'size', 'init', 'over SDK', 'ratio', 'baseline'],
    rows: [
      ...[...Map.groupBy(subjects, (subject) => subject.entry).values()]
        .flat()
        .map((s) => [s.name, kb(s.bytes), ms(s.initMs), signed(s.initOverSdkMs), s.initRatio ? `x${s.initRatio.toFixed(2)}` : 'n/a', s.baseline.label]),
      ...baselines.map((baseline) => [`(${baseline.label})`, kb(baseline.bytes), ms(cold?.get(baseline.label)?.initMs), '', '', '']),
    ],
    budgets: [
      eachWithin(
        'cold init over the SDK-only handler',
        BUDGETS.initOverSdkMs,
        1,
        subjects.map((s) => [s.name, s.initOverSdkMs]),
      ),
    ],
  },
  {
    title: `Warm latency and DynamoDB cost per call (in process on DynamoDB Local; ${SCALE.iterations} calls after ${SCALE.warmup} warm-up; bare: the domain call without its handler, alternating with it; over: p50 − bare p50; paired: median of paired differences; cleanup page: ${SCALE.cleanupPageSize} requests; ms)`,
    head: ['operation', 'calls', 'p50', 'p99', 'errors', 'bare p50', 'over', 'paired', 'DynamoDB requests', 'WCU', 'RCU', 'items read'],
    rows: [...ops.values()].map(({ name, calls, timing, bare, dynamo }) => [
      name,
      String(calls),
      fixed(timing.p50Ms, 3),
      fixed(timing.p99Ms),
      String(timing.errors),
      ...(bare ? [fixed(bare.timing.p50Ms, 3), signed(bare.overheadP50Ms, 3, ''), signed(bare.pairedOverheadP50Ms, 3, '')] : ['', '', '']),
      // The middleware-only rows send nothing to DynamoDB.
      ...(dynamo.requestsPerCall
        ? [
            describeCommands(dynamo) + (bare && describeCommands(bare.dynamo) !== describeCommands(dynamo) ? ` (bare: ${describeCommands(bare.dynamo)})` : ''),
            ...[dynamo.wcuPerCall, dynamo.rcuPerCall, dynamo.itemsReadPerCall].map((value) => num(value, 1)),
          ]
        : []),
    ]),
    budgets: [
      eachWithin(
        'middleware overhead p50',
        BUDGETS.middlewareOverheadP50Ms,
        3,
        [...ops.values()].map((op) => [op.name, op.bare?.overheadP50Ms]),
      ),
      requestsBudget('create = 1 transaction', ops.get('create'), { TransactWriteItems: 1 }),
      requestsBudget('get = 1 read', ops.get('get'), { GetItem: 1 }),
      requestsBudget('list page = 1 Query', ops.get('list'), { Query: 1 }),
      requestsBudget('transition (cancel) = 1 write, ≤ 1 read', ops.get('cancel'), { TransactWriteItems: 1 }, 1),
      requestsBudget('transition (webhook) = 1 write, ≤ 1 read', ops.get('webhook'), { TransactWriteItems: 1 }, 1),
      // A cleanup page is one Query (the page) plus one transition per expired request.
      requestsBudget(
        `transition (cleanup expiry) = 1 write, ≤ 1 read; a page of ${SCALE.cleanupPageSize}`,
        ops.get('cleanup page'),
        { TransactWriteItems: SCALE.cleanupPageSize },
        SCALE.cleanupPageSize,
        ['Query'],
      ),
    ],
  },
  {
    title: `Cleanup cost (one run over ${SCALE.cleanupTableRequests} open requests, ${SCALE.cleanupStale} of them stale by the configured ages)`,
    head: ['stale', 'expired', 'skipped', 'stopped early', 'duration', 'DynamoDB requests', 'items read', 'WCU', 'RCU'],
    rows: when(cleanup, (c) => [
      [
        String(c.staleBefore),
        String(c.expired),
        String(c.skipped),
        c.stoppedEarly ? 'yes' : 'no',
        ms(c.durationMs),
        requests(c.dynamo),
        ...[c.dynamo.itemsReadPerCall, c.dynamo.wcuPerCall, c.dynamo.rcuPerCall].map((value) => num(value, 1)),
      ],
    ]),
    budgets: [
      budget(`cleanup: expired of ${SCALE.cleanupStale} stale`, `= ${SCALE.cleanupStale}`, cleanup, (c) => [
        String(c.expired),
        c.expired === SCALE.cleanupStale && !c.stoppedEarly,
      ]),
      budget('cleanup: items read', `≤ ${BUDGETS.cleanupItemsReadPerStale * SCALE.cleanupStale} (order of the stale, not the table)`, cleanup, (c) => [
        String(c.dynamo.itemsReadPerCall),
        c.dynamo.itemsReadPerCall <= BUDGETS.cleanupItemsReadPerStale * SCALE.cleanupStale,
      ]),
    ],
  },
  {
    title:
      'Outbound events (commit to receiver: through npm start, the stream, the publisher, a signed POST to 127.0.0.1; publisher: in process, batches of 10, one endpoint, per delivered event)',
    head: ['', 'delivered', 'p50', 'p99', 'max', 'DynamoDB requests', 'WCU', 'RCU'],
    rows: [
      ...when(deliveryLatency, (d) => [['commit to receiver', `${d.received} of ${d.events}`, ...latency(d)]]),
      ...when(noisyLatency, (d) => [
        [`commit to receiver, another tenant's ${d.noisyEndpoints} endpoints silent`, `${d.received} of ${d.events}`, ...latency(d)],
      ]),
      ...when(deliveryCost, (d) => [
        ['publisher', `${d.delivered} of ${d.events}`, '', '', '', requests(d.perEvent), num(d.perEvent.wcuPerCall), num(d.perEvent.rcuPerCall)],
      ]),
    ],
    budgets: [
      budget('outbound event: commit to receiver p99', `≤ ${BUDGETS.deliveryLatencyP99Ms} ms, every event delivered`, deliveryLatency, (d) => [
        ms(d.p99Ms),
        d.p99Ms <= BUDGETS.deliveryLatencyP99Ms && d.received === d.events,
      ]),
      budget(
        "outbound event: commit to a healthy receiver p99, another tenant's 10 endpoints never answering",
        `≤ ${BUDGETS.noisyDeliveryLatencyP99Ms} ms, every event delivered`,
        noisyLatency,
        (d) => [ms(d.p99Ms), d.p99Ms <= BUDGETS.noisyDeliveryLatencyP99Ms && d.received === d.events],
      ),
      budget('outbound event: DynamoDB requests per delivered event', `≤ ${BUDGETS.dynamoRequestsPerDeliveredEvent}`, deliveryCost, (d) => [
        num(d.perEvent.requestsPerCall),
        d.perEvent.requestsPerCall <= BUDGETS.dynamoRequestsPerDeliveredEvent && d.delivered === d.events,
      ]),
    ],
  },
  {
    title:
      'Cost per journey, as AWS on-demand would bill it (scripts/bench/billing.ts: item sizes, index writes, transactions doubled, from the requests the functions sent; in process on DynamoDB Local): a keyed create, webhooks to Processing and Succeeded, GET of the request and of its transitions, each event delivered to one endpoint; Local: what DynamoDB Local reported for the same requests',
    head: journey ? journeyTable(journey).head : [],
    rows: when(journey, (j) => journeyTable(j).rows),
    notes: journey
      ? [
          'Where the units go (item, action, size: table WRU + index WRU by index; reads):',
          ...journeyDetail(journey),
          `Index writes of items written in transactions: ${num(journey.indexWruInTransactions, 1)} WRU (not doubled here; DynamoDB Local doubles them). Delivered ${journey.delivered} of ${journey.events} events.`,
        ]
      : [],
    budgets: [
      budget('journey: write request units', `≤ ${J.wru} WRU`, journey, (j) => [`${num(j.wru, 1)} WRU`, j.wru <= J.wru && j.delivered === j.events]),
      budget('journey: read request units', `≤ ${J.rru} RRU`, journey, (j) => [`${num(j.rru, 1)} RRU`, j.rru <= J.rru && j.delivered === j.events]),
    ],
  },
  {
    title: `npm start, HTTP load and burst (npm start: from nothing to ready; HTTP load: ${SCALE.httpClients} clients; burst: ${B.cancelsPerRequest} cancels and ${B.webhooksPerRequest} signed webhooks at once on each of ${B.requests} requests of ${B.tenants} tenants)`,
    head: ['', 'n', 'p50', 'p99', 'max', 'failed', 'notes'],
    rows: [
      ...when(npmStartMs.length ? npmStartMs : undefined, (runs) => [
        ['npm start to ready', String(runs.length), seconds(median(runs)), '', seconds(Math.max(...runs))],
      ]),
      ...when(http, (h) => [
        ['HTTP load', String(h.requests), ...latency(h), String(h.errors), `${h.throughputPerSecond.toFixed(1)} req/s`],
        ...Object.entries(h.byKind).map(([kind, k]) => [`  ${kind}`, String(k.requests), ...latency(k), String(k.errors)]),
      ]),
      ...when(burst, (b) => {
        const statuses = Object.entries(b.byStatus).map(([status, n]) => `${n}× ${status}`);
        const notes = `${statuses.join(', ')}; ${b.notProblemJson} not problem+json; ${b.consistentRequests} of ${B.requests} equal to their trail`;
        return [['burst', String(b.calls), ...latency(b), String(b.failed), notes]];
      }),
    ],
    budgets: [
      budget('npm start to ready (median)', `≤ ${seconds(BUDGETS.npmStartReadyMs)}`, npmStartMs.length ? median(npmStartMs) : undefined, (m) => [
        seconds(m),
        m <= BUDGETS.npmStartReadyMs,
      ]),
      budget('HTTP load errors', `= ${BUDGETS.httpLoadErrors}`, http, (h) => [String(h.errors), h.errors <= BUDGETS.httpLoadErrors]),
      budget(
        `burst of ${B.requests * (B.cancelsPerRequest + B.webhooksPerRequest)} calls: failed answers`,
        `= ${B.failed}, and every request equal to its trail`,
        burst,
        (b) => [String(b.failed), b.failed <= B.failed && b.notProblemJson === 0 && b.consistentRequests === B.requests],
      ),
    ],
  },
];

const budgets = areas.flatMap((area) => area.budgets);
const errors = [
  ...failures.map((failure) => `benchmark failed: ${failure}`),
  ...[...ops.values()].flatMap((op) => (op.timing.firstError ? [`${op.name}: ${op.timing.errors} calls failed, first: ${op.timing.firstError}`] : [])),
  ...(http?.firstError ? [`HTTP load: first error: ${http.firstError}`] : []),
  ...(burst?.firstFailure ? [`burst: first failure: ${burst.firstFailure}`] : []),
];
const totalMs = performance.now() - started;
console.log(
  [
    ...areas.flatMap((area) => [area.title, area.rows.length ? table(area.head, area.rows) : '(not measured)', ...(area.notes ?? []), '']),
    'Budgets',
    table(
      ['budget', 'value', 'limit', 'held'],
      budgets.map((b) => [b.name, b.value, b.limit, b.held === null ? 'n/a' : b.held ? 'yes' : 'NO']),
    ),
    '',
    `${budgets.filter((b) => b.held).length} of ${budgets.filter((b) => b.held !== null).length} budgets held. ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; load average ${loadAtStart[0]?.toFixed(2)} at start, ${os.loadavg()[0]?.toFixed(2)} at end; ${(totalMs / 1000).toFixed(0)} s.`,
    ...errors.map((error) => `! ${error}`),
  ].join('\n'),
);

if (args.json) {
  const functions: Record<string, Record<string, unknown>> = {};
  for (const s of subjects) {
    const figures = {
      entry: s.entry,
      bundleBytes: s.bytes,
      initMs: s.initMs ?? null,
      sdkBaseline: s.baseline.label,
      initOverSdkMs: s.initOverSdkMs ?? null,
      initRatio: s.initRatio ?? null,
      sdkAtStart: s.sdkAtStart,
      largestInputs: s.largestInputs,
    };
    for (const name of s.functions) functions[name] = s.mode === 'local' ? figures : { ...functions[name], proxyMode: figures };
  }
  const machine = {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  const figures = {
    machine: { ...machine, loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg() },
    totalMs,
    settings: SCALE,
    budgetsFile: BUDGETS,
    functions,
    sdkBaselines: Object.fromEntries(baselines.map((b) => [b.label, { bundleBytes: b.bytes, initMs: cold?.get(b.label)?.initMs ?? null }])),
    warm: warm ?? null,
    cleanup: cleanup ?? null,
    events: { latency: deliveryLatency ?? null, noisyTenantLatency: noisyLatency ?? null, cost: deliveryCost ?? null },
    // wru, rru and requests (by command) first; then the steps, each with the items it wrote and read.
    costPerJourney: journey ? { ...journey, budget: J } : null,
    npmStart: npmStartMs.length ? { readyMs: median(npmStartMs), runsMs: npmStartMs } : null,
    http: http ?? null,
    burst: burst ?? null,
    budgets,
    errors,
  };
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), args.json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(figures, (_key, value: unknown) => (typeof value === 'number' ? round(value, 3) : value), 2)}\n`);
}
process.exit(failures.length ? 1 : 0);
