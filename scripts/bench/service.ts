import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { loadConfig } from '../../lib/config/settings.ts';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { type CleanupOptions, runCleanup } from '../../lib/lifecycle/cleanup.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle } from '../../lib/lifecycle/lifecycle.ts';
import { createRequests } from '../../lib/lifecycle/requests.ts';
import type { Caller } from '../../lib/lifecycle/types.ts';
import { generateSigningKey, localSigner } from '../../lib/proofs/local-signer.ts';
import { createNotary } from '../../lib/proofs/receipts.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { createDynamoStore } from '../../lib/store/dynamo-store.ts';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { ROOT } from '../local/build.ts';
import { devToken } from '../local/dev-token.ts';
import { freePort } from '../local/dynamodb-local.ts';
import { createMeter } from './meter.ts';
import { range } from './stats.ts';

/**
 * The service under test, twice: in this process on DynamoDB Local (a metered client, the collective
 * kind's requests, fast seeding), and as `npm start` in its own process group.
 */

/** The environment the benchmark started with: the warm phase changes process.env for the functions it imports. */
export const SHELL_ENV: NodeJS.ProcessEnv = { ...process.env };

/** What SIGINT/SIGTERM must stop: DynamoDB Local and npm start, while they run. */
export const running = new Set<() => Promise<void>>();

export const callerOf = (tenantId: string, principalId = 'bench') => ({ principalId, tenantId, scopes: new Set(['onboarding:read', 'onboarding:write']) });

const HOUR = 3_600_000;

/**
 * The requests of one table, in this process, on `dynamo` (metered): pass the process's shared client
 * (lib/store/client.ts tableClients) to count what the imported functions send too.
 */
export function inProcess(endpoint: string, tableName: string, dynamo: DynamoDBClient = createDynamoClient({ region: 'eu-west-1', endpoint })) {
  const config = loadConfig();
  const meter = createMeter(dynamo);
  const documents = createDocumentClient(dynamo);
  const store = createDynamoStore(documents, tableName);
  const kinds = registryOf(ALL_KINDS);
  const pageTokens = createPageTokens('bench');
  const notary = createNotary(localSigner([generateSigningKey()]));
  const consentLinks = (request: { id: string }) => ({ redirectLink: `${config.publicUrl}/consent/${request.id}`, documentationLink: config.documentationUrl });
  const requestsOn = (on: typeof store, now?: () => Date) =>
    createRequests(COLLECTIVE_ONBOARDING, createLifecycle({ store: on, pageTokens, kinds, notary, ...(now ? { now } : {}) }), {
      consentLinks,
      allowLoopbackHttpReturnUrl: true,
    });
  const requests = requestsOn(store);
  const seeder = createSeeder(documents);
  const seedStore = createDynamoStore(seeder.client, tableName);
  const maxAgeMs = { Pending: config.cleanup.pendingMaxAgeHours * HOUR, Processing: config.cleanup.processingMaxAgeHours * HOUR };

  /** `count` requests of `callers` in turn, created at `createdAt(index)` (else now), moved to Processing at `processingAt` if given. */
  async function seed(
    count: number,
    callers: readonly Caller[],
    options: { name: string; createdAt?: (index: number) => number; processingAt?: number | 'now' },
  ) {
    const at = (ms: number | 'now' | undefined) => (typeof ms === 'number' ? () => new Date(ms) : undefined);
    const ids = await pMap(
      range(count),
      async (index) => {
        const creator = requestsOn(seedStore, at(options.createdAt?.(index)));
        const caller = callers[index % callers.length]!;
        return (await creator.create({ name: options.name, type: 'Household' }, caller, { correlationId: `seed-${randomUUID()}` })).request.id;
      },
      { concurrency: 16 },
    );
    await seeder.flush();
    if (options.processingAt !== undefined) {
      const mover = requestsOn(seedStore, at(options.processingAt)).core;
      const meta = { actor: { type: 'system', id: 'bench' }, source: 'schedule', correlationId: 'bench-seed' } as const;
      await pMap(ids, (id) => mover.transition(id, () => ({ to: 'Processing', reason: 'bench' }), meta), { concurrency: 16 });
      await seeder.flush();
    }
    return ids;
  }

  const cleanup = (options: Pick<CleanupOptions, 'correlationId'> & Partial<CleanupOptions>) =>
    runCleanup({ lifecycle: requests.core, store, maxAgeMs, remainingMs: () => 600_000, safetyMarginMs: 1_000, ...options });

  return { dynamo, meter, store, requests, seed, maxAgeMs, cleanup };
}

/**
 * Fast seeding with the store's own item shapes: a document client for `createDynamoStore` that keeps the
 * Puts of each TransactWriteItems instead of sending them, then writes them with BatchWriteItem (25 a
 * request, several in flight). DynamoDB Local runs transactions one at a time; this is ~30× faster, and
 * the items are byte for byte what `store.insert` / `applyTransition` would write (seeds have fresh ids,
 * so their conditions would hold). Every other command passes through to the real client.
 */
function createSeeder(documents: DynamoDBDocumentClient) {
  type Put = { TableName: string; Item: Record<string, unknown> };
  let puts: Put[] = [];
  const client = {
    send(command: { input: { TransactItems?: Array<{ Put?: Put }> } }) {
      if (!command.input.TransactItems) return documents.send(command as never);
      for (const entry of command.input.TransactItems) {
        if (!entry.Put) throw new Error(`seeder: only Put can be seeded, got ${Object.keys(entry).join(', ')}`);
        puts.push(entry.Put);
      }
      return Promise.resolve({ $metadata: {} });
    },
  } as unknown as DynamoDBDocumentClient;

  async function flush() {
    const all = puts;
    puts = [];
    await pMap(
      range(Math.ceil(all.length / 25)),
      async (batch) => {
        const byTable = Object.groupBy(all.slice(batch * 25, batch * 25 + 25), (put) => put.TableName);
        let items = Object.fromEntries(Object.entries(byTable).map(([table, ofTable]) => [table, ofTable!.map(({ Item }) => ({ PutRequest: { Item } }))]));
        for (let attempt = 0; Object.keys(items).length > 0; attempt++) {
          if (attempt > 20) throw new Error('seeder: BatchWriteItem kept returning unprocessed items');
          if (attempt > 0) await sleep(20 * attempt);
          items = ((await documents.send(new BatchWriteCommand({ RequestItems: items }))).UnprocessedItems ?? {}) as typeof items;
        }
      },
      { concurrency: 6 },
    );
  }
  return { client, flush };
}

export interface NpmStart {
  base: string;
  startupMs: number;
  stop: () => Promise<void>;
}

/** `npm start` (the local gateway on DynamoDB Local) on a free port, with the shell's environment; resolves once it printed 'ready at'. */
export async function startNpm(): Promise<NpmStart> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...SHELL_ENV, PORT: String(port) } });
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(-child.pid!, name);
      return true;
    } catch {
      return false;
    }
  };
  /** SIGTERM to the group (npm, its shell, the runner, its DynamoDB Local); SIGKILL what is left after 10 s. */
  const stop = async () => {
    running.delete(stop);
    if (child.pid === undefined || !signal('SIGTERM')) return;
    const deadline = Date.now() + 10_000;
    while (signal(0) && Date.now() < deadline) await sleep(100);
    signal('SIGKILL');
  };
  running.add(stop);
  let output = '';
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`npm start did not print 'ready at' within 120 s:\n${output}`)), 120_000);
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
        if (output.includes('ready at')) resolve();
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
      child.once('error', reject);
    });
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { base: `http://127.0.0.1:${port}`, startupMs: performance.now() - started, stop };
}

export const bearer = async (tenantId: string, sub: string, env = SHELL_ENV) => `Bearer ${await devToken({ tenantId, sub }, env)}`;

export const webhookKey = (env = SHELL_ENV) => parseSecrets(loadConfig(env).webhookSecrets?.value ?? '')[0]!;

/** A provider's status webhook for `requestId`, signed with `key`: its raw body and headers. */
export function signedWebhook(key: ReturnType<typeof webhookKey>, requestId: string, status: string) {
  const raw = JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: { id: requestId, status } });
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = sign(key, id, timestamp, raw);
  return { raw, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature } };
}
