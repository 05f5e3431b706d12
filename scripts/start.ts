import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../lib/config/settings.ts';
import { generateSigningKey } from '../lib/proofs/local-signer.ts';
import { buildFunctions, type Mode, ROOT } from './local/build.ts';
import { DEV_TENANT_ID, devToken } from './local/dev-token.ts';
import { portIsFree, type RunningDynamo, startDynamoLocal } from './local/dynamodb-local.ts';
import { type Gateway, startGateway } from './local/gateway.ts';
import { assertNode24 } from './local/node-version.ts';
import { isAlive, registerStack } from './local/stacks.ts';
import { createTables } from './local/tables.ts';

/**
 * `npm start`: DynamoDB Local with the tables of resources/tables.yml, every function of the function
 * table built as `serverless package` builds it, behind a local API Gateway with the schedule
 * (scripts/local/gateway.ts). The database and the build start together; one ready line when the API
 * answers; Ctrl-C stops all of it. Each run builds into its own folder and registers itself under its
 * port (.local/), so two runs of one checkout (a local and a proxy one, say) never mix.
 */
const port = Number(process.env.PORT ?? 3000);
const host = '127.0.0.1';
const buildDir = join(ROOT, '.local', 'build', String(port));
let dynamo: RunningDynamo | undefined;
let gateway: Gateway | undefined;
let unregister: (() => void) | undefined;
/** Set once this run owns the port, and with it the build folder. */
let ownsBuild = false;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    unregister?.();
    await gateway?.close().catch(() => undefined);
    await dynamo?.stop();
    if (ownsBuild) rmSync(buildDir, { recursive: true, force: true });
  }
  process.exit(code);
}

/** Our parent and, where /proc tells, its parent (npm, above the `sh -c` it starts us with). */
function ancestorPids(): number[] {
  const pids = [process.ppid];
  try {
    const grandparent = Number(readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
    if (grandparent > 1) pids.push(grandparent);
  } catch {
    /* no /proc (macOS): the parent alone */
  }
  return pids;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  assertNode24();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // npm runs us under `sh -c`, which does not pass signals on: when npm or the shell goes away, we stop too.
  const ancestors = ancestorPids();
  setInterval(() => {
    if (!ancestors.every(isAlive)) void shutdown(0);
  }, 1_000).unref();

  const config = loadConfig();
  const mode: Mode = config.mode;
  if (!(await portIsFree(port, host))) {
    throw new Error(`Port ${port} is taken (another npm start?). Choose another: PORT=3100 npm start`);
  }
  ownsBuild = true;
  const base = `http://${host}:${port}`;
  const [started, built] = await Promise.all([
    (async () => {
      const running = await startDynamoLocal(Number(process.env.DYNAMODB_PORT ?? 0));
      dynamo = running;
      await createTables(running.endpoint, { OnboardingTable: config.tableName });
      return running;
    })(),
    // Deployed bundles carry no source map (serverless.yml); here a stack trace in the terminal names the source.
    buildFunctions(buildDir, mode, { sourceMaps: true }),
  ]);

  const verbose = process.env.VERBOSE === '1' || process.env.VERBOSE === 'true';
  gateway = await startGateway({
    port,
    host,
    functions: built.functions,
    maxEnvironments: Number(process.env.LOCAL_CONCURRENCY ?? 4),
    schedules: true,
    streams: { endpoint: started.endpoint, tableName: config.tableName },
    log: (line) => process.stderr.write(`${line}\n`),
    env: {
      ...process.env,
      ...(verbose ? {} : { LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN' }),
      STAGE: config.stage,
      TABLE_NAME: config.tableName,
      DYNAMODB_ENDPOINT: started.endpoint,
      PUBLIC_URL: process.env.PUBLIC_URL ?? base,
      // This stack's own key for consent receipts and checkpoints, made once per stack (its table lives as
      // long as it does); SIGNING_KEYS given to npm start is used instead, e.g. to try a rotation.
      SIGNING_KEYS: process.env.SIGNING_KEYS ?? JSON.stringify([generateSigningKey()]),
      // Lambda's own variables, and the marker that tells the functions they are not in AWS.
      IS_OFFLINE: 'true',
      AWS_REGION: config.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
  });
  unregister = registerStack({
    pid: process.pid,
    port,
    apiUrl: base,
    dynamoEndpoint: started.endpoint,
    tableName: config.tableName,
    mode,
    startedAt: new Date().toISOString(),
  });

  const token = config.auth.jwtSecret ? await devToken({ tenantId: DEV_TENANT_ID }) : undefined;
  console.log(
    `Onboarding service ready at ${base} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (${mode} mode, ${built.functions.length} functions; DynamoDB Local at ${started.endpoint}; Ctrl-C stops everything)`,
  );
  if (token) {
    console.log(`\nDev token (tenant ${DEV_TENANT_ID}, 12 h; more with npm run token):\n${token}\n`);
    console.log('First request:');
    console.log(
      `  curl -s -X POST ${base}/v1/onboarding/collectives -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"name":"Home","type":"Household"}'\n`,
    );
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  void shutdown(1);
});
