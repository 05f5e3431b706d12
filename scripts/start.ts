import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadConfig } from '../lib/config.ts';
import { DEV_TENANT_ID, devToken } from './local/dev-token.ts';
import { freePort, portIsFree, type RunningDynamo, startDynamoLocal } from './local/dynamodb-local.ts';
import { assertNode24 } from './local/node-version.ts';
import { createTables } from './local/tables.ts';

/**
 * `npm start`: DynamoDB Local, the tables of resources/tables.yml, and every function of serverless.yml
 * behind serverless-offline. One ready line when the API answers; Ctrl-C stops all of it.
 */
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const port = Number(process.env.PORT ?? 3000);
const host = '127.0.0.1';
let dynamo: RunningDynamo | undefined;
let offline: ChildProcess | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (offline?.pid && offline.exitCode === null) {
      // serverless-offline runs its own children: signal the whole group it leads.
      try { process.kill(-offline.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
    await dynamo?.stop();
  }
  process.exit(code);
}

/** Our parent and, where /proc tells, its parent (npm, above the `sh -c` it starts us with). */
function ancestorPids(): number[] {
  const pids = [process.ppid];
  try {
    const grandparent = Number(readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
    if (grandparent > 1) pids.push(grandparent);
  } catch { /* no /proc (macOS): the parent alone */ }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForApi(deadlineMs: number): Promise<void> {
  const url = `http://${host}:${port}/v1/openapi.json`;
  while (Date.now() < deadlineMs) {
    if (offline?.exitCode !== null && offline?.exitCode !== undefined) throw new Error('serverless offline exited before it was ready');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the API did not answer on ${url} in time`);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  assertNode24();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // npm runs us under `sh -c`, which does not pass signals on: when npm or the shell goes away, we stop too.
  const ancestors = ancestorPids();
  setInterval(() => { if (!ancestors.every(isAlive)) void shutdown(0); }, 1_000).unref();

  const config = loadConfig();
  // A known port, so npm run audit:verify finds it; another one when 8000 is taken.
  const dynamoPort = Number(process.env.DYNAMODB_PORT ?? 0) || ((await portIsFree(8000)) ? 8000 : await freePort());
  dynamo = await startDynamoLocal(dynamoPort);
  await createTables(dynamo.endpoint, { OnboardingTable: config.tableName });

  const oslsBin = join(dirname(createRequire(import.meta.url).resolve('osls/package.json')), 'bin', 'serverless.js');
  offline = spawn(process.execPath, [oslsBin, 'offline', 'start', '--stage', config.stage], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      ONBOARDING_OFFLINE: 'yes',
      PORT: String(port),
      CONSENT_URL: process.env.CONSENT_URL ?? `http://${host}:${port}/consent/{id}`,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    if (process.env.VERBOSE) process.stderr.write(text);
  };
  offline.stdout?.on('data', keep);
  offline.stderr?.on('data', keep);
  offline.on('exit', (code) => {
    if (!stopping) {
      console.error(`serverless offline stopped (exit ${code}). Its last output:\n${output}`);
      void shutdown(1);
    }
  });

  try {
    await waitForApi(Date.now() + 120_000);
  } catch (error) {
    console.error(`${(error as Error).message}. serverless offline said:\n${output}`);
    return void shutdown(1);
  }
  offline.stdout?.off('data', keep);
  offline.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  offline.stderr?.off('data', keep);
  offline.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));

  const token = config.auth.jwtSecret ? await devToken({ tenantId: DEV_TENANT_ID }) : undefined;
  const base = `http://${host}:${port}`;
  console.log(`Onboarding service ready at ${base} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (DynamoDB Local at ${dynamo.endpoint}; Ctrl-C stops everything)`);
  if (token) {
    console.log(`\nDev token (tenant ${DEV_TENANT_ID}, 12 h; more with npm run token):\n${token}\n`);
    console.log('First request:');
    console.log(`  curl -s -X POST ${base}/v1/onboarding/collectives -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"name":"Home","type":"Household"}'\n`);
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  void shutdown(1);
});
