import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ASYNC_WORKERS, FALLBACK_ROUTE, JOBS, ROUTES, STREAM_CONSUMERS } from '../../lib/app/function-table.ts';
import { pathTemplate } from '../../lib/app/routes/fallback.ts';
import type { Route } from '../../lib/http/route.ts';
import type { BuiltFunction } from './build.ts';
import { FunctionPool, type InvocationOutcome } from './lambda-runner.ts';
import { type StreamReader, startStreamReader } from './streams.ts';

/**
 * API Gateway (HTTP API, payload 2.0), EventBridge and the table stream's event source, locally: serves
 * the route table on `port`, each route through its function's pool (./lambda-runner.ts), and every
 * request no route takes through the fallback's, as the `$default` route does when deployed; runs the
 * scheduled jobs at their rate, hands the table's stream to its consumers (./streams.ts), and
 * takes Lambda invocations (`POST /2015-03-31/functions/{name}/invocations`) for `npm run cleanup`.
 * A function that fails, crashes or times out is never a 200: the caller gets 502 or 504 problem+json
 * without a stack trace, and the stack goes to this process's stderr.
 */
const API_GATEWAY_TIMEOUT_MS = 30_000;
/** API Gateway's HTTP API payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TEXT_MEDIA = /^(?:text\/|application\/(?:json|xml|javascript|x-www-form-urlencoded)\b|application\/[\w.+-]+\+(?:json|xml)\b)/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface GatewayOptions {
  port: number;
  host: string;
  functions: BuiltFunction[];
  env: NodeJS.ProcessEnv;
  /** Execution environments per function, at most. */
  maxEnvironments: number;
  /** Off in tests and the benchmark, which invoke the jobs themselves. */
  schedules: boolean;
  /** The table whose stream the stream consumers read, as Lambda's event source mapping would. */
  streams?: { endpoint: string; tableName: string };
  log: (line: string) => void;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** A route's path matched as API Gateway matches it (lib/app/routes/fallback.ts, which the fallback reads too). */
function compile(route: Route): CompiledRoute {
  return { route, ...pathTemplate(route.http.path) };
}

/** A function's answer as API Gateway reads it (payload 2.0). */
interface HttpAnswer {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  cookies?: string[];
}

function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  correlationId: string,
  headers: Record<string, string> = {},
): HttpAnswer & { headers: Record<string, string>; body: string } {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', 'X-Correlation-Id': correlationId, ...headers },
    body: JSON.stringify({ type: `urn:onboarding:problem:${code}`, title, status, detail, code, correlationId }),
  };
}

/** What API Gateway answers for a function's outcome (payload 2.0), failures as problem+json. */
function toHttp(outcome: InvocationOutcome, correlationId: string): HttpAnswer {
  switch (outcome.kind) {
    case 'result': {
      const result = outcome.result as { statusCode?: number } | string | null | undefined;
      if (result && typeof result === 'object' && typeof result.statusCode === 'number') return result as HttpAnswer;
      // A result without a statusCode is the body of a 200, as API Gateway reads it.
      return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result ?? null) };
    }
    case 'error':
      return problem(
        502,
        'function_failed',
        'Function failed',
        'The function failed before it answered; what it did not commit did not happen. Quote the correlationId if you report this.',
        correlationId,
      );
    case 'timeout':
      return problem(
        504,
        'function_timeout',
        'Function timed out',
        'The function did not answer within its timeout; what it did not commit did not happen. Retry.',
        correlationId,
      );
    case 'throttled':
      return problem(
        503,
        'service_unavailable',
        'Service temporarily unavailable',
        'Every instance of the function stayed busy for 30 s; retry shortly.',
        correlationId,
        { 'Retry-After': '1' },
      );
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) throw new Error('payload too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headersDistinct)) {
    if (value) headers[name.toLowerCase()] = value.join(',');
  }
  return headers;
}

/** The route a request went to: a route of the table with its path's parameters, or `$default` with none. */
interface Target {
  name: string;
  routeKey: string;
  pathParameters: Record<string, string>;
}

function httpEvent(request: IncomingMessage, url: URL, target: Target, body: Buffer): APIGatewayProxyEventV2 {
  const headers = headersOf(request);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const { routeKey, pathParameters } = target;
  let text: string | undefined;
  if (body.length > 0 && TEXT_MEDIA.test(headers['content-type'] ?? '')) {
    try {
      text = strictUtf8.decode(body);
    } catch {
      /* not UTF-8: sent as base64, as API Gateway does with binary */
    }
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ?? body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && text === undefined,
  };
}

/** `rate(5 minutes)` in milliseconds; other expressions (cron) are not run locally. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]!.startsWith('minute') ? 60_000 : match[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(match[1]) * unit;
}

export interface Gateway {
  server: Server;
  pools: Map<string, FunctionPool>;
  close(): Promise<void>;
}

/** Lambda retries a failed asynchronous invocation after about 1 and 2 minutes; locally after 1 and 2 seconds. */
const ASYNC_RETRY_DELAYS_MS = [1_000, 2_000];

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  // Completed once the port is known (before any environment starts): where Lambda's Invoke API is, and
  // each worker's name, as a deployed stack gives them to the functions that invoke one.
  const env: NodeJS.ProcessEnv = { ...options.env, ...Object.fromEntries(ASYNC_WORKERS.map((worker) => [worker.nameSetting, worker.function])) };
  const pools = new Map(
    options.functions.map((fn) => [
      fn.name,
      new FunctionPool(fn, {
        env,
        maxEnvironments: ASYNC_WORKERS.find((worker) => worker.function === fn.name)?.localConcurrency ?? options.maxEnvironments,
        memorySize: 256,
        onCrash: (name, error) => options.log(`${name}: execution environment crashed: ${error.stack ?? error.message}`),
      }),
    ]),
  );
  const routes = ROUTES.map(compile);
  const fallback = pools.has(FALLBACK_ROUTE.function) ? FALLBACK_ROUTE.function : undefined;
  if (!fallback) options.log(`${FALLBACK_ROUTE.function}: not among the built functions; a request no route takes gets a plain 404`);

  function logFailure(name: string, outcome: InvocationOutcome, correlationId: string) {
    if (outcome.kind === 'error')
      options.log(`${name} failed (correlation ${correlationId}): ${outcome.error.stack ?? `${outcome.error.name}: ${outcome.error.message}`}`);
    if (outcome.kind === 'timeout')
      options.log(`${name} timed out after ${(outcome.durationMs / 1000).toFixed(1)} s (correlation ${correlationId}); its environment was ended`);
    if (outcome.kind === 'throttled') options.log(`${name}: no environment free for 30 s (correlation ${correlationId})`);
  }

  async function invokeFunction(name: string, request: IncomingMessage, response: ServerResponse) {
    const pool = pools.get(name);
    if (!pool) {
      response.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Message: `Function not found: ${name}` }));
      return;
    }
    const body = await readBody(request);
    const event = body.length ? JSON.parse(body.toString('utf8')) : {};
    if (request.headers['x-amz-invocation-type'] === 'Event') {
      // Asynchronous: queued (202), run when an environment is free, retried as Lambda would on failure.
      response.writeHead(202).end();
      void invokeAsynchronously(name, pool, event);
      return;
    }
    const outcome = await pool.invoke(event);
    logFailure(name, outcome, 'invoke');
    // Lambda's Invoke API: 200 with the result, or X-Amz-Function-Error with the error's name and message.
    if (outcome.kind === 'result') {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(outcome.result ?? null));
      return;
    }
    const error =
      outcome.kind === 'error' ? outcome.error : { name: outcome.kind === 'timeout' ? 'Sandbox.Timedout' : 'TooManyRequestsException', message: outcome.kind };
    response
      .writeHead(200, { 'Content-Type': 'application/json', 'X-Amz-Function-Error': 'Unhandled' })
      .end(JSON.stringify({ errorType: error.name, errorMessage: error.message }));
  }

  async function invokeAsynchronously(name: string, pool: FunctionPool, event: unknown) {
    const retries = [...ASYNC_WORKERS, ...JOBS].find((fn) => fn.function === name)?.retries ?? 2;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, ASYNC_RETRY_DELAYS_MS[attempt - 1] ?? 2_000));
      if (closing) return;
      // Lambda's queue holds the event until an environment is free: no deadline for the wait.
      const outcome = await pool.invoke(event, Number.POSITIVE_INFINITY);
      logFailure(name, outcome, 'async');
      if (outcome.kind === 'result') return;
    }
    options.log(`${name}: an asynchronous invocation failed ${retries + 1} times; deployed, it would go to the dead-letter queue`);
  }

  let closing = false;
  const server = createServer(async (request, response) => {
    const started = performance.now();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const invoke = /^\/2015-03-31\/functions\/([\w-]+)\/invocations$/.exec(url.pathname);
    try {
      if (invoke && request.method === 'POST') return await invokeFunction(invoke[1]!, request, response);
      let matched: { compiled: CompiledRoute; match: RegExpExecArray } | undefined;
      let pathKnown = false;
      for (const compiled of routes) {
        const match = compiled.pattern.exec(url.pathname);
        if (!match) continue;
        pathKnown = true;
        if (compiled.route.http.method === request.method) {
          matched = { compiled, match };
          break;
        }
      }
      let target: Target;
      if (matched) {
        const { compiled, match } = matched;
        target = {
          name: compiled.route.function,
          routeKey: `${compiled.route.http.method} ${compiled.route.http.path}`,
          pathParameters: Object.fromEntries(compiled.names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)])),
        };
      } else if (fallback) {
        // The `$default` route: the fallback answers what the API and the pages do not have (404 or 405).
        target = { name: fallback, routeKey: '$default', pathParameters: {} };
      } else {
        // API Gateway's own answer to a route it does not have, without a `$default` route.
        response.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
        options.log(`${request.method} ${url.pathname} → 404 (${pathKnown ? 'no such method' : 'no such route'})`);
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(request);
      } catch {
        response.writeHead(413, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
        return;
      }
      const event = httpEvent(request, url, target, body);
      const { name } = target;
      const outcome = await pools.get(name)!.invoke(event, Date.now() + API_GATEWAY_TIMEOUT_MS);
      const correlationId = event.headers['x-correlation-id'] ?? event.requestContext.requestId;
      logFailure(name, outcome, correlationId);
      const answer = toHttp(outcome, correlationId);
      const headers: Record<string, string | string[]> = { ...answer.headers };
      if (answer.cookies?.length) headers['Set-Cookie'] = answer.cookies;
      const payload = answer.body === undefined ? '' : answer.isBase64Encoded ? Buffer.from(answer.body, 'base64') : answer.body;
      response.writeHead(answer.statusCode, headers).end(payload);
      options.log(`${request.method} ${url.pathname} → ${answer.statusCode} (${name}, ${(performance.now() - started).toFixed(0)} ms)`);
    } catch (error) {
      options.log(`${request.method} ${url.pathname}: the local gateway failed: ${(error as Error).stack}`);
      if (!response.headersSent) {
        const failed = problem(502, 'function_failed', 'Function failed', 'The request could not be handed to the function.', randomUUID());
        response.writeHead(failed.statusCode, failed.headers).end(failed.body);
      }
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  env.LAMBDA_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const timers: Array<ReturnType<typeof setInterval>> = [];
  if (options.schedules) {
    for (const job of JOBS) {
      const interval = rateMs(job.defaultSchedule);
      if (interval === undefined) {
        options.log(`${job.function}: schedule ${job.defaultSchedule} is not run locally (only rate(...) is)`);
        continue;
      }
      timers.push(
        setInterval(() => {
          const event = {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            time: new Date().toISOString(),
            resources: [],
            detail: {},
          };
          void pools
            .get(job.function)!
            .invoke(event)
            .then((outcome) => {
              logFailure(job.function, outcome, 'schedule');
              if (outcome.kind === 'result') options.log(`${job.function} (schedule): ${JSON.stringify(outcome.result)}`);
            });
        }, interval),
      );
    }
  }

  const readers: StreamReader[] = [];
  if (options.streams) {
    for (const consumer of STREAM_CONSUMERS) {
      const pool = pools.get(consumer.function)!;
      readers.push(
        await startStreamReader({
          ...options.streams,
          from: 'TRIM_HORIZON',
          filterPatterns: consumer.filterPatterns,
          batchSize: consumer.batchSize,
          log: (line) => options.log(`${consumer.function}: ${line}`),
          deliver: async (event) => {
            const outcome = await pool.invoke(event, Number.POSITIVE_INFINITY);
            logFailure(consumer.function, outcome, 'stream');
            if (outcome.kind !== 'result')
              throw new Error(`the function ${outcome.kind === 'error' ? 'failed' : outcome.kind === 'timeout' ? 'timed out' : 'was throttled'}`);
          },
        }),
      );
    }
  }

  return {
    server,
    pools,
    async close() {
      closing = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(readers.map((reader) => reader.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}
