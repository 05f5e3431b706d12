import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ROOT } from '../local/build.ts';
import { devToken } from '../local/dev-token.ts';
import { freePort } from '../local/dynamodb-local.ts';
import { mapLimit, percentile, range } from './stats.ts';

/**
 * `npm start` (the local gateway on DynamoDB Local, in its own process group): how long it takes to be
 * ready, and how it holds a fixed load: `clients` concurrent clients send `requests` requests, a mix of
 * reads (get, list, history) and cancels.
 */
export interface HttpLoadOptions {
  clients: number;
  requests: number;
  /** The environment npm start runs with (the shell's, not the benchmark's in-process settings): for the dev token. */
  env: NodeJS.ProcessEnv;
}

export interface HttpLoadResult {
  clients: number;
  requests: number;
  mix: Record<string, number>;
  durationMs: number;
  throughputPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
  byKind: Record<string, { p50Ms: number; p99Ms: number; errors: number }>;
  startupMs: number;
}

/** Set while npm start runs, so an interrupted benchmark can still stop it. */
export let stopRunningService: (() => Promise<void>) | undefined;

interface Running {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

async function startService(env: NodeJS.ProcessEnv, port: number, timeoutMs: number): Promise<Running> {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, PORT: String(port) },
  });
  let output = '';
  let ready = false;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const groupAlive = (pgid: number) => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** SIGTERM to the group (npm, its shell, the runner, its DynamoDB Local); SIGKILL what is left after 10 s. */
  const stop = async () => {
    const pgid = child.pid;
    if (pgid === undefined || !groupAlive(pgid)) return;
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 10_000;
    while (groupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (groupAlive(pgid)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  stopRunningService = stop;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print 'ready at' within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (!ready && output.includes('ready at')) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { child, output: () => output, stop };
}

const answersCreate = (text: string) => text.includes('"id"') && !text.includes('"errorMessage"');

/** A function failure must never pass for an answer: check the shape too, not only the status. */
function answers(kind: string, text: string): boolean {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return false;
  }
  if ('errorMessage' in body || 'errorType' in body) return false;
  switch (kind) {
    case 'get':
      return typeof body.id === 'string';
    case 'list':
    case 'history':
      return Array.isArray(body.data);
    case 'cancel':
      return body.status === 'Canceled';
    default:
      return true;
  }
}

export interface HttpService {
  port: number;
  startupMs: number;
  stop: () => Promise<void>;
}

/** Starts npm start on a free port and resolves once it printed 'ready at'. */
export async function startHttpService(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<HttpService> {
  const port = await freePort();
  const startedAt = performance.now();
  const running = await startService(env, port, 120_000);
  const startupMs = performance.now() - startedAt;
  log(`npm start ready on port ${port} in ${(startupMs / 1000).toFixed(1)} s`);
  return {
    port,
    startupMs,
    stop: async () => {
      await running.stop();
      stopRunningService = undefined;
    },
  };
}

/** `npm start` from nothing to its ready line, `runs` times in a row; each run is stopped before the next. */
export async function measureNpmStart(env: NodeJS.ProcessEnv, runs: number, log: (line: string) => void): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const service = await startHttpService(env, log);
    times.push(service.startupMs);
    await service.stop();
  }
  return times;
}

export async function runHttpLoad(service: HttpService, options: HttpLoadOptions): Promise<HttpLoadResult> {
  const { port, startupMs } = service;
  {
    const base = `http://127.0.0.1:${port}/v1/onboarding/collectives`;
    const authorization = `Bearer ${await devToken({ tenantId: randomUUID(), sub: 'bench-http' }, options.env)}`;
    const headers = { authorization, 'content-type': 'application/json' };
    const call = async (method: string, url: string, body?: unknown) => {
      const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, text };
    };
    /** Setup only: retried, as a client would be. */
    const createOne = async () => {
      let last = '';
      for (let attempt = 0; attempt < 3; attempt++) {
        const { status, text } = await call('POST', base, { name: 'HTTP bench', type: 'Household' });
        if (status === 201 && answersCreate(text)) return (JSON.parse(text) as { id: string }).id;
        last = `${status}: ${text.slice(0, 300)}`;
      }
      throw new Error(`setup create failed three times, last ${last}`);
    };

    const kinds = ['get', 'list', 'history', 'cancel'] as const;
    const perKind = Math.ceil(options.requests / kinds.length);
    // Setup through the API: one create alone (its cold start), then requests to read and to cancel.
    const readIds = [await createOne()];
    readIds.push(...(await mapLimit(range(19), options.clients, createOne)));
    const cancelIds = await mapLimit(range(perKind), options.clients, createOne);
    const warmCancelIds = await mapLimit(range(options.clients * 3), options.clients, createOne);
    const urlOf = (kind: (typeof kinds)[number], n: number) => {
      const id = readIds[n % readIds.length]!;
      switch (kind) {
        case 'get':
          return { method: 'GET', url: `${base}/${id}` };
        case 'list':
          return { method: 'GET', url: base };
        case 'history':
          return { method: 'GET', url: `${base}/${id}/transitions` };
        case 'cancel':
          return { method: 'PATCH', url: `${base}/${cancelIds[n]}/cancel` };
      }
    };
    // Warm-up: each route once alone, then `clients` at a time, three rounds (the gateway starts a function's
    // environments on first use, more of them under concurrency). Warm-up answers are not judged.
    const warmCall = (kind: (typeof kinds)[number], n: number) => {
      const request = kind === 'cancel' ? { method: 'PATCH', url: `${base}/${warmCancelIds[n]}/cancel` } : urlOf(kind, n);
      return call(request.method, request.url).catch(() => undefined);
    };
    for (const kind of kinds) await warmCall(kind, 0);
    for (const kind of kinds) await mapLimit(range(options.clients * 3 - 1), options.clients, (n) => warmCall(kind, n + 1));
    const plan = range(options.requests).map((n) => ({ kind: kinds[n % kinds.length]!, n: Math.floor(n / kinds.length) }));
    const samples: Array<{ kind: string; ms: number; error?: string }> = [];
    const loadStarted = performance.now();
    await mapLimit(plan, options.clients, async ({ kind, n }) => {
      const request = urlOf(kind, n);
      const started = performance.now();
      let error: string | undefined;
      try {
        const { status, text } = await call(request.method, request.url);
        if (status < 200 || status > 299) error = `${kind} ${status}: ${text.slice(0, 200)}`;
        else if (!answers(kind, text)) error = `${kind} ${status} with an unexpected body: ${text.slice(0, 200)}`;
      } catch (thrown) {
        error = `${kind}: ${(thrown as Error).message}`;
      }
      samples.push({ kind, ms: performance.now() - started, ...(error ? { error } : {}) });
    });
    const durationMs = performance.now() - loadStarted;
    const errors = samples.filter((sample) => sample.error);
    const byKind = Object.fromEntries(
      kinds.map((kind) => {
        const ofKind = samples.filter((sample) => sample.kind === kind);
        const times = ofKind.map((sample) => sample.ms);
        return [kind, { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), errors: ofKind.filter((sample) => sample.error).length }];
      }),
    );
    const times = samples.map((sample) => sample.ms);
    return {
      clients: options.clients,
      requests: samples.length,
      mix: Object.fromEntries(kinds.map((kind) => [kind, plan.filter((entry) => entry.kind === kind).length])),
      durationMs,
      throughputPerSecond: samples.length / (durationMs / 1000),
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      errors: errors.length,
      ...(errors[0] ? { firstError: errors[0].error } : {}),
      byKind,
      startupMs,
    };
  }
}
