import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunningDynamo, startDynamoLocal } from '../local/dynamodb-local.ts';
import { assertNode24 } from '../local/node-version.ts';
import { createTables } from '../local/tables.ts';
import { benchModule, buildBundles, type BuiltBundle, type Bundles, helloModule, type InitResult, measureColdInit } from './bundles.ts';
import { type CleanupCostResult, prepareCleanupCost } from './cleanup-cost.ts';
import { type HttpLoadResult, type HttpService, runHttpLoad, startHttpService, stopRunningService } from './http-load.ts';
import { describeCommands } from './meter.ts';
import { type Budget, ms, num, onlyBudget, signedMs, table, transitionBudget } from './report.ts';
import { kb, round } from './stats.ts';
import { type OperationResult, runWarm, type WarmResult } from './warm.ts';

/**
 * npm run bench [-- --json <file>] [--quick]
 * What a serverless user pays for, against budgets: bundle size, cold init, warm latency, middleware
 * overhead, DynamoDB requests and capacity, HTTP throughput, and the cleanup's cost. A benchmark, not a
 * test: budgets that do not hold are reported, and the exit code is 0 unless the benchmark itself fails.
 */

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log('npm run bench [-- --json <file>] [--quick]\n--quick: 100 iterations instead of 1,000 and a smaller load, for trying the benchmark out (figures less stable).');
  process.exit(0);
}

const ITERATIONS = args.quick ? 100 : 1_000;
const WARMUP = args.quick ? 20 : 50;
const COLD_RUNS = args.quick ? 5 : 10;
const CLEANUP_PAGE_SIZE = 3;
const HTTP_CLIENTS = 8;
const HTTP_REQUESTS = args.quick ? 100 : 400;
const CLEANUP_TABLE_REQUESTS = 10_000;
const CLEANUP_STALE = 100;
const PROBE_FUNCTION = 'getCollectiveOnboarding';
const BUNDLE_BUDGET_BYTES = 100 * 1024;
const INIT_BUDGET_MS = 25;
const OVERHEAD_BUDGET_MS = 0.3;

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
interface ColdInit {
  hello: InitResult;
  byEntry: Map<string, InitResult>;
  sdkBundled: InitResult;
  sdkDynamo: InitResult;
  sdkDynamoSsm: InitResult;
}
const bundles: Bundles | undefined = await phase('bundles (esbuild as serverless.yml configures it)', () => buildBundles(PROBE_FUNCTION));
/** The same functions built for a proxy-mode stack (ONBOARDING_MODE=realto); only those that differ are reported. */
const proxyBundles: BuiltBundle[] = bundles
  ? (await phase('bundles for proxy mode', async () => {
      const built = await buildBundles(PROBE_FUNCTION, 'realto');
      return [...built.byEntry.values()].filter((bundle) => bundle.bytes !== bundles.byEntry.get(bundle.entry)?.bytes);
    })) ?? []
  : [];
/** What a proxy-mode function starts with (not deployed: a plain secret; nothing is fetched at init). */
const PROXY_ENV = { ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'bench', REALTO_CLIENT_SECRET: 'bench' };
const proxyLabel = (entry: string) => `${entry} (proxy mode)`;
const cold: ColdInit | undefined = bundles && await phase(`cold init (${COLD_RUNS} fresh node processes each)`, async () => {
  const entries = [...bundles.byEntry.values()];
  const subjects = [
    { label: 'hello', file: helloModule() },
    ...entries.map((bundle) => ({ label: bundle.entry, file: bundle.file })),
    ...proxyBundles.map((bundle) => ({ label: proxyLabel(bundle.entry), file: bundle.file, env: PROXY_ENV })),
    { label: 'sdk-bundled', file: bundles.sdkBundled.file },
    { label: 'sdk-dynamodb', file: benchModule('sdk-dynamodb.mjs', "import '@aws-sdk/client-dynamodb';\nimport '@aws-sdk/lib-dynamodb';\n") },
    { label: 'sdk-dynamodb-ssm', file: benchModule('sdk-dynamodb-ssm.mjs', "import '@aws-sdk/client-dynamodb';\nimport '@aws-sdk/lib-dynamodb';\nimport '@aws-sdk/client-ssm';\n") },
  ];
  const results = new Map(measureColdInit(subjects, COLD_RUNS).map((result) => [result.label, result]));
  return {
    hello: results.get('hello')!,
    byEntry: new Map([...entries.map((bundle) => bundle.entry), ...proxyBundles.map((bundle) => proxyLabel(bundle.entry))]
      .map((label) => [label, results.get(label)!])),
    sdkBundled: results.get('sdk-bundled')!,
    sdkDynamo: results.get('sdk-dynamodb')!,
    sdkDynamoSsm: results.get('sdk-dynamodb-ssm')!,
  };
});

// 2. Warm latency, middleware overhead, DynamoDB cost; 3. the cleanup's cost at 10,000 requests; 4. HTTP --
let warm: WarmResult | undefined;
let cleanupCost: CleanupCostResult | undefined;
const dynamoStarted = await phase('DynamoDB Local', async () => {
  dynamo = await startDynamoLocal();
  await createTables(dynamo.endpoint, { OnboardingTable: 'onboarding-bench' });
  return dynamo;
});
if (dynamoStarted) {
  warm = await phase(`warm latency (${ITERATIONS} calls per operation, wrapped and bare)`, () => runWarm({
    endpoint: dynamoStarted.endpoint, tableName: 'onboarding-bench', iterations: ITERATIONS, warmup: WARMUP,
    cleanupPageSize: CLEANUP_PAGE_SIZE, log,
  }));
}
// npm start boots (about 20 s) while the cleanup table is seeded; the cleanup run itself (counted, not
// timed against a budget) and the HTTP load come once it is ready.
log('npm start…');
const serviceStarting = startHttpService(shellEnv, log).then(
  (service): HttpService | Error => service,
  (error: unknown): HttpService | Error => (error instanceof Error ? error : new Error(String(error))),
);
if (dynamoStarted) {
  const measureCleanup = await phase(`cleanup cost: seeding ${CLEANUP_TABLE_REQUESTS} requests, ${CLEANUP_STALE} stale`, () => prepareCleanupCost({
    endpoint: dynamoStarted.endpoint, tableName: 'onboarding-bench-cleanup', total: CLEANUP_TABLE_REQUESTS, stale: CLEANUP_STALE, log,
  }));
  await serviceStarting;
  if (measureCleanup) cleanupCost = await phase('cleanup cost: one run', measureCleanup);
  await dynamo?.stop();
  dynamo = undefined;
}
const http: HttpLoadResult | undefined = await phase(`HTTP load (npm start, ${HTTP_CLIENTS} clients, ${HTTP_REQUESTS} requests)`, async () => {
  const service = await serviceStarting;
  if (service instanceof Error) throw service;
  return runHttpLoad(service, { clients: HTTP_CLIENTS, requests: HTTP_REQUESTS, env: shellEnv });
});

machine.loadAverageAtEnd = os.loadavg().map((value) => round(value, 2));
const totalMs = performance.now() - started;

// Figures ------------------------------------------------------------------------------------------------
const budgets: Budget[] = [];
const notes: string[] = [];
const out: string[] = [];
const section = (title: string) => out.push('', title);

out.push(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.platform}; load average ${machine.loadAverageAtStart.join(' / ')} at start, ${machine.loadAverageAtEnd.join(' / ')} at end`);

const functions: Record<string, unknown> = {};
if (bundles) {
  section(`Bundles and cold init (esbuild as serverless.yml: ${[bundles.config.options.minify ? 'minified' : 'not minified', `${bundles.config.options.format}`, `target ${bundles.config.options.target}`, `external ${(bundles.config.options.external ?? []).join(', ') || 'none'}`].join(', ')}; init = median of ${COLD_RUNS} fresh node processes, process start to module imported)`);
  const helloMs = cold?.hello.initMs;
  const rows: string[][] = [];
  for (const bundle of bundles.byEntry.values()) {
    const names = bundles.config.functions.filter((fn) => fn.entry === bundle.entry).map((fn) => fn.name);
    const init = cold?.byEntry.get(bundle.entry);
    const over = init && helloMs !== undefined ? init.initMs - helloMs : undefined;
    rows.push([bundle.entry.replace(/^functions\//, ''), names.join(', '), kb(bundle.bytes), init ? ms(init.initMs, 0) : 'n/a', over === undefined ? 'n/a' : signedMs(over, 0), bundle.externalImports.join(' ')]);
    for (const name of names) {
      functions[name] = {
        entry: bundle.entry,
        bundleBytes: bundle.bytes,
        initMs: init ? round(init.initMs) : null,
        initOverHelloMs: over === undefined ? null : round(over),
        importMs: init ? round(init.importMs) : null,
        externalImports: bundle.externalImports,
        largestInputs: bundle.largestInputs,
      };
    }
    budgets.push({ name: `bundle ${bundle.entry}`, value: kb(bundle.bytes), limit: '≤ 100.0 KB', held: bundle.bytes <= BUNDLE_BUDGET_BYTES, measured: bundle.bytes });
    budgets.push({
      name: `cold init ${bundle.entry} above hello-world`,
      value: over === undefined ? 'n/a' : signedMs(over, 0),
      limit: `≤ ${INIT_BUDGET_MS} ms`,
      held: over === undefined ? null : over <= INIT_BUDGET_MS,
      measured: over === undefined ? null : round(over),
    });
  }
  for (const bundle of proxyBundles) {
    const label = proxyLabel(bundle.entry);
    const names = bundles.config.functions.filter((fn) => fn.entry === bundle.entry).map((fn) => fn.name);
    const init = cold?.byEntry.get(label);
    const over = init && helloMs !== undefined ? init.initMs - helloMs : undefined;
    rows.push([label.replace(/^functions\//, ''), names.join(', '), kb(bundle.bytes), init ? ms(init.initMs, 0) : 'n/a', over === undefined ? 'n/a' : signedMs(over, 0), bundle.externalImports.join(' ')]);
    for (const name of names) {
      (functions[name] as Record<string, unknown>).proxyMode = {
        bundleBytes: bundle.bytes,
        initMs: init ? round(init.initMs) : null,
        initOverHelloMs: over === undefined ? null : round(over),
        largestInputs: bundle.largestInputs,
      };
    }
    budgets.push({ name: `bundle ${label}`, value: kb(bundle.bytes), limit: '≤ 100.0 KB', held: bundle.bytes <= BUNDLE_BUDGET_BYTES, measured: bundle.bytes });
  }
  if (proxyBundles.length > 0) {
    notes.push('Each stack is built for its one mode (serverless.yml: custom.mode, esbuild define): local-mode bundles carry no proxy code; the rows marked (proxy mode) are the functions that differ when the stack is packaged with ONBOARDING_MODE=realto.');
  }
  if (cold) {
    rows.push(['hello-world module', '', '', ms(cold.hello.initMs, 0), '', '']);
    const sdkOver = cold.sdkBundled.initMs - cold.hello.initMs;
    rows.push([`${bundles.sdkBundled.entry.replace(/^functions\//, '')} with @aws-sdk bundled`, bundles.sdkBundled.functionName, kb(bundles.sdkBundled.bytes), ms(cold.sdkBundled.initMs, 0), signedMs(sdkOver, 0), bundles.sdkBundled.externalImports.join(' ')]);
    rows.push(['(import @aws-sdk/client-dynamodb + lib-dynamodb only)', '', '', ms(cold.sdkDynamo.initMs, 0), signedMs(cold.sdkDynamo.initMs - cold.hello.initMs, 0), '']);
    rows.push(['(the same + @aws-sdk/client-ssm)', '', '', ms(cold.sdkDynamoSsm.initMs, 0), signedMs(cold.sdkDynamoSsm.initMs - cold.hello.initMs, 0), '']);
  } else {
    rows.push([`${bundles.sdkBundled.entry.replace(/^functions\//, '')} with @aws-sdk bundled`, bundles.sdkBundled.functionName, kb(bundles.sdkBundled.bytes), 'n/a', 'n/a', '']);
  }
  out.push(table(['bundle', 'functions', 'size', 'init', 'over hello', 'external imports'], rows, new Set([2, 3, 4])));
  const probe = bundles.byEntry.get(bundles.sdkBundled.entry);
  if (probe) notes.push(`Bundling @aws-sdk into ${bundles.sdkBundled.functionName} would cost ${kb(bundles.sdkBundled.bytes - probe.bytes)} (${kb(probe.bytes)} → ${kb(bundles.sdkBundled.bytes)}).`);
  if (bundles.config.options.sourcemap === 'external') {
    notes.push("serverless.yml builds with sourcemap: external, which writes .map files but no sourceMappingURL comment, so NODE_OPTIONS=--enable-source-maps never finds them: deployed stack traces stay minified while the zip carries the maps.");
  }
}

const operations: Record<string, unknown> = {};
const middleware: Record<string, unknown> = {};
const find = (name: string): OperationResult | undefined => warm?.operations.find((operation) => operation.name === name);
if (warm) {
  section(`Warm latency, in process, DynamoDB Local (${ITERATIONS} calls per operation after ${WARMUP} warm-up; cleanupPage: one page of ${CLEANUP_PAGE_SIZE} within a run; DynamoDB figures per call)`);
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
      operation.name, String(operation.iterations), ms(operation.timing.p50Ms), ms(operation.timing.p99Ms), String(operation.timing.errors),
      describeCommands(d), num(d.wcuPerCall, 1), num(d.rcuPerCall, 1), num(d.itemsReadPerCall, 1),
    ];
  });
  out.push(table(['operation', 'calls', 'p50', 'p99', 'errors', 'DynamoDB requests', 'WCU', 'RCU', 'items read'], rows, new Set([1, 2, 3, 4, 6, 7, 8])));
  if (!warm.capacityReported) {
    notes.push('DynamoDB Local returned no ConsumedCapacity although ReturnConsumedCapacity=TOTAL was set: WCU/RCU are n/a; requests and items read are counted.');
  } else {
    notes.push('WCU/RCU are ConsumedCapacity as DynamoDB Local reports it with ReturnConsumedCapacity=TOTAL (table and indexes; transactions count double); on-demand bills the same units as WRU/RRU.');
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
    mwRows.push([operation.name, ms(operation.timing.p50Ms, 3), ms(operation.bare.timing.p50Ms, 3), signedMs(operation.overheadP50Ms, 3),
      operation.pairedOverheadP50Ms === undefined ? 'n/a' : signedMs(operation.pairedOverheadP50Ms, 3), describeCommands(operation.bare.dynamo)]);
    budgets.push({
      name: `middleware overhead p50, ${operation.name}`,
      value: signedMs(operation.overheadP50Ms, 3),
      limit: `≤ ${OVERHEAD_BUDGET_MS} ms`,
      held: operation.overheadP50Ms <= OVERHEAD_BUDGET_MS,
      measured: round(operation.overheadP50Ms, 3),
    });
  }
  middleware.authP50Ms = round(warm.authP50Ms, 3);
  middleware.noopStackP50Ms = round(warm.noopStackP50Ms, 3);
  middleware.noopStackWithoutAuthP50Ms = round(warm.noopStackWithoutAuthP50Ms, 3);
  mwRows.push(['(get\'s stack around a no-op handler)', ms(warm.noopStackP50Ms, 3), '', '', '', '']);
  mwRows.push(['(the same without the bearer check)', ms(warm.noopStackWithoutAuthP50Ms, 3), '', '', '', '']);
  mwRows.push(['(the bearer check alone: HS256 jwtVerify + claims)', ms(warm.authP50Ms, 3), '', '', '', '']);
  out.push(table(['operation', 'wrapped p50', 'bare p50', 'overhead (p50 − p50)', 'median of paired differences', 'bare DynamoDB requests'], mwRows, new Set([1, 2, 3, 4])));
  notes.push(`Seeding: ${warm.seeded} requests written in ${(warm.seedMs / 1000).toFixed(1)} s with BatchWriteItem of the items store.insert builds (scripts/bench/seeder.ts).`);
}

if (http) {
  section(`HTTP load (npm start: serverless-offline + DynamoDB Local; ${http.clients} concurrent clients, ${http.requests} requests: ${Object.entries(http.mix).map(([kind, n]) => `${n} ${kind}`).join(', ')})`);
  out.push(table(
    ['', 'throughput', 'p50', 'p99', 'errors'],
    [
      ['all', `${http.throughputPerSecond.toFixed(1)} req/s`, ms(http.p50Ms, 1), ms(http.p99Ms, 1), String(http.errors)],
      ...Object.entries(http.byKind).map(([kind, figures]) => [kind, '', ms(figures.p50Ms, 1), ms(figures.p99Ms, 1), String(figures.errors)]),
    ],
    new Set([1, 2, 3, 4]),
  ));
  if (http.firstError) notes.push(`HTTP: first error: ${http.firstError}`);
  notes.push(`npm start was ready in ${(http.startupMs / 1000).toFixed(1)} s; serverless-offline runs each handler in worker threads with its own overhead, so these figures are of the local stack, not of API Gateway + Lambda.`);
}
budgets.push({ name: 'HTTP load errors', value: http ? String(http.errors) : 'not measured', limit: '= 0', held: http ? http.errors === 0 : null, measured: http ? http.errors : null });

if (cleanupCost) {
  section(`Cleanup cost (one runCleanup over a table of ${cleanupCost.requestsInTable} open requests, ${cleanupCost.staleBefore} stale; configured ages; the whole run)`);
  out.push(table(
    ['expired', 'skipped', 'stopped early', 'duration', 'DynamoDB requests', 'items read', 'WCU', 'RCU'],
    [[String(cleanupCost.expired), String(cleanupCost.skipped), String(cleanupCost.stoppedEarly), ms(cleanupCost.durationMs, 0), `${cleanupCost.dynamoRequests} (${describeCommands(cleanupCost.dynamo)})`, String(cleanupCost.itemsRead), num(cleanupCost.dynamo.wcuPerCall, 1), num(cleanupCost.dynamo.rcuPerCall, 1)]],
    new Set([0, 1, 3, 5, 6, 7]),
  ));
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
  limit: `≤ ${3 * CLEANUP_STALE} (order of the stale, not the table)`,
  held: cleanupCost ? cleanupCost.itemsRead <= 3 * CLEANUP_STALE : null,
  measured: cleanupCost ? cleanupCost.itemsRead : null,
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
out.push(table(['budget', 'value', 'limit', 'held'], budgets.map((budget) => [budget.name, budget.value, budget.limit, budget.held === null ? 'n/a' : budget.held ? 'yes' : 'NO'])));
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
  writeFileSync(file, `${JSON.stringify({
    machine,
    totalMs: round(totalMs, 0),
    settings: { iterations: ITERATIONS, warmup: WARMUP, coldRuns: COLD_RUNS, cleanupPageSize: CLEANUP_PAGE_SIZE, httpClients: HTTP_CLIENTS, httpRequests: HTTP_REQUESTS },
    functions,
    coldInitExtras: cold && bundles ? {
      helloInitMs: round(cold.hello.initMs),
      sdkBundled: { functionName: bundles.sdkBundled.functionName, bundleBytes: bundles.sdkBundled.bytes, initMs: round(cold.sdkBundled.initMs), initOverHelloMs: round(cold.sdkBundled.initMs - cold.hello.initMs) },
      importSdkDynamoOverHelloMs: round(cold.sdkDynamo.initMs - cold.hello.initMs),
      importSdkDynamoAndSsmOverHelloMs: round(cold.sdkDynamoSsm.initMs - cold.hello.initMs),
    } : null,
    operations,
    middleware,
    http: http ? { ...http, p50Ms: round(http.p50Ms), p99Ms: round(http.p99Ms), throughputPerSecond: round(http.throughputPerSecond), durationMs: round(http.durationMs, 0) } : null,
    cleanup: cleanupCost ? { ...cleanupCost, durationMs: round(cleanupCost.durationMs, 0), seedMs: round(cleanupCost.seedMs, 0) } : null,
    budgets: budgets.map(({ name, measured, value, limit, held: ok }) => ({ name, value: measured, display: value, limit, held: ok })),
    capacityReported: warm?.capacityReported ?? null,
    notes,
    failures,
  }, null, 2)}\n`);
  log(`figures written to ${file}`);
}

await stopChildren();
process.exit(failures.length ? 1 : 0);
