import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { functionEntries } from '../../scripts/local/build.ts';
import { type RunningDynamo, startDynamoLocal } from '../../scripts/local/dynamodb-local.ts';
import { createTables } from '../../scripts/local/tables.ts';

type OnboardingApiModule = typeof import('../support/onboarding-api.ts');
type RuntimeModule = typeof import('../support/app.ts');
type AuditModule = typeof import('../../lib/lifecycle/audit.ts');
type WebhookModule = typeof import('../../functions/webhooks/provider-events.ts');
type CleanupModule = typeof import('../../functions/scheduled/cleanup.ts');

/**
 * A DynamoDB Local of this file's own, persisted to a temporary directory so it can be stopped and started
 * again on the same port with its data, and the function handlers imported fresh so that they bind to it
 * (configuration is read at import, as at a cold start). The shared DynamoDB Local of the other test files
 * is never touched.
 */
export interface IsolatedStack {
  readonly endpoint: string;
  readonly tableName: string;
  readonly api: OnboardingApiModule;
  readonly runtime: RuntimeModule;
  readonly audit: AuditModule;
  readonly webhooks: WebhookModule;
  readonly cleanup: CleanupModule;
  /** The DynamoDB client of every function's cold start (and of the runtime), to instrument them all. */
  readonly dynamoClients: DynamoDBClient[];
  /** Stops the database (SIGTERM, as a host failure would end it); the handlers stay loaded. */
  stopDatabase(): Promise<void>;
  /** Starts it again on the same port and directory. */
  startDatabase(): Promise<void>;
  /** Every item of the private table (a Scan: fine on a test's own table, never in the service). */
  items(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startIsolatedStack(): Promise<IsolatedStack> {
  const dbPath = mkdtempSync(join(tmpdir(), 'onboarding-faults-'));
  let dynamo: RunningDynamo | undefined = await startDynamoLocal(0, { dbPath });
  const { endpoint, port } = dynamo;
  const tableName = process.env.TABLE_NAME!;
  await createTables(endpoint, { OnboardingTable: tableName }, { streams: false }).catch(async (error: unknown) => {
    await dynamo?.stop();
    throw error;
  });

  const sharedEndpoint = process.env.DYNAMODB_ENDPOINT;
  process.env.DYNAMODB_ENDPOINT = endpoint;
  let modules: [OnboardingApiModule, RuntimeModule, AuditModule, WebhookModule, CleanupModule];
  let clients: typeof import('../../lib/store/client.ts');
  try {
    vi.resetModules();
    modules = await Promise.all([
      import('../support/onboarding-api.ts'),
      import('../support/app.ts'),
      import('../../lib/lifecycle/audit.ts'),
      import('../../functions/webhooks/provider-events.ts'),
      import('../../functions/scheduled/cleanup.ts'),
    ]);
    // Every function's cold start happens now, bound to this database: the test client finds them loaded.
    await Promise.all(functionEntries().map((fn) => import(/* @vite-ignore */ new URL(`../../${fn.entry}`, import.meta.url).href)));
    clients = await import('../../lib/store/client.ts');
  } finally {
    process.env.DYNAMODB_ENDPOINT = sharedEndpoint;
  }
  const [api, runtime, audit, webhooks, cleanup] = modules;

  return {
    endpoint,
    tableName,
    api,
    runtime,
    audit,
    webhooks,
    cleanup,
    // One process, one client: every function's cold start above took the process's (lib/store/client.ts).
    dynamoClients: [clients.tableClients({ region: runtime.config.region, endpoint }).dynamo],
    async stopDatabase() {
      await dynamo?.stop();
      dynamo = undefined;
    },
    async startDatabase() {
      if (!dynamo) dynamo = await startDynamoLocal(port, { dbPath });
    },
    async items() {
      const client = createDocumentClient(createDynamoClient({ region: 'eu-west-1', endpoint }));
      try {
        const items: Record<string, unknown>[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
          items.push(...(page.Items ?? []));
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return items;
      } finally {
        client.destroy();
      }
    },
    async close() {
      await dynamo?.stop();
      dynamo = undefined;
      rmSync(dbPath, { recursive: true, force: true });
    },
  };
}

/**
 * Everything the table holds, checked as a whole: each request's trail (auditRequest), no transition
 * record without its request, and each webhook message id remembered if and only if its transition was
 * written, at the same version (they are one transaction). Empty when nothing is half-written.
 */
export async function integrityFindings(stack: IsolatedStack): Promise<string[]> {
  const items = await stack.items();
  const requests = items.filter((item) => item.entity === 'OnboardingRequest');
  const transitions = items.filter((item) => item.entity === 'Transition') as Array<{
    requestId: string;
    version: number;
    actor: { type: string; id: string };
  }>;
  const markers = items.filter((item) => item.entity === 'WebhookMessage') as Array<{ pk: string; requestId: string; version: number }>;
  const findings: string[] = [];
  // A request item keeps its id only in its key (REQUEST#<id>).
  const requestIds = new Set(requests.map((request) => String(request.pk).slice('REQUEST#'.length)));
  for (const id of requestIds) {
    for (const finding of await stack.audit.auditRequest(stack.runtime.store, stack.runtime.kinds, id)) {
      findings.push(`${id} v${finding.version}: ${finding.problem}`);
    }
  }
  for (const record of transitions) {
    if (!requestIds.has(record.requestId)) findings.push(`${record.requestId} v${record.version}: a record without its request`);
  }
  // A marker's key is WEBHOOK#<request id>#<message id> (lib/store/keys.ts).
  const markerOf = new Map(markers.map((marker) => [marker.pk.slice(`WEBHOOK#${marker.requestId}#`.length), marker]));
  const webhookRecords = transitions.filter((record) => record.actor.type === 'webhook');
  for (const record of webhookRecords) {
    const marker = markerOf.get(record.actor.id);
    if (!marker || marker.requestId !== record.requestId || marker.version !== record.version) {
      findings.push(`${record.requestId} v${record.version}: webhook ${record.actor.id} applied but its message id not remembered with it`);
    }
  }
  for (const [messageId, marker] of markerOf) {
    if (!webhookRecords.some((record) => record.actor.id === messageId && record.requestId === marker.requestId)) {
      findings.push(`${marker.requestId}: webhook ${messageId} remembered without its transition`);
    }
  }
  return findings;
}
