import { randomUUID } from 'node:crypto';
import { createTables } from '../local/tables.ts';
import { createMeter, summarize, type TallySummary, totalRequests } from './meter.ts';
import { createSeeder } from './seeder.ts';
import { mapLimit, range } from './stats.ts';

/**
 * Another issue's acceptance: in a table of 10,000 open requests of which 100 are stale, one cleanup run
 * reads on the order of the 100, not the 10,000 (the sparse, sharded openByAge index). Its own table, so
 * nothing else in it; the configured ages (PENDING_MAX_AGE_HOURS, PROCESSING_MAX_AGE_HOURS).
 */
export interface CleanupCostOptions {
  endpoint: string;
  tableName: string;
  total: number;
  stale: number;
  log: (line: string) => void;
}

export interface CleanupCostResult {
  requestsInTable: number;
  staleBefore: number;
  expired: number;
  skipped: number;
  stoppedEarly: boolean;
  durationMs: number;
  dynamoRequests: number;
  itemsRead: number;
  dynamo: TallySummary;
  seedMs: number;
}

const HOUR = 3_600_000;

/** Seeds the table; the returned function runs and measures the cleanup (so something else may start in between). */
export async function prepareCleanupCost(options: CleanupCostOptions): Promise<() => Promise<CleanupCostResult>> {
  const seedStarted = performance.now();
  await createTables(options.endpoint, { OnboardingTable: options.tableName }, { streams: false });
  const { loadConfig } = await import('../../lib/config/settings.ts');
  const config = loadConfig();
  const { createDocumentClient, createDynamoClient } = await import('../../lib/store/client.ts');
  const { createDynamoStore } = await import('../../lib/store/dynamo-store.ts');
  const { COLLECTIVE_ONBOARDING } = await import('../../lib/kinds/collective-onboarding.ts');
  const { ALL_KINDS } = await import('../../lib/kinds/index.ts');
  const { registryOf } = await import('../../lib/lifecycle/kind.ts');
  const { createLifecycle } = await import('../../lib/lifecycle/lifecycle.ts');
  const { createRequests } = await import('../../lib/lifecycle/requests.ts');
  const { createPageTokens } = await import('../../lib/http/page-tokens.ts');
  const { runCleanup } = await import('../../lib/lifecycle/cleanup.ts');

  const dynamo = createDynamoClient({ region: config.region, endpoint: options.endpoint });
  const meter = createMeter();
  meter.instrument(dynamo);
  const documents = createDocumentClient(dynamo);
  const store = createDynamoStore(documents, options.tableName);
  const pageTokens = createPageTokens(config.pageTokenSecret?.value ?? '');
  const consentLinks = (request: { id: string }) => ({ redirectLink: `${config.publicUrl}/consent/${request.id}`, documentationLink: config.documentationUrl });
  const kinds = registryOf(ALL_KINDS);
  const serviceAt = (storeToUse: typeof store, now?: () => Date) =>
    createRequests(COLLECTIVE_ONBOARDING, createLifecycle({ store: storeToUse, pageTokens, kinds, ...(now ? { now } : {}) }), {
      consentLinks,
      allowLoopbackHttpReturnUrl: true,
    });
  const service = serviceAt(store);
  const seeder = createSeeder(documents);
  const seedStore = createDynamoStore(seeder.client, options.tableName);

  const pendingMaxAge = config.cleanup.pendingMaxAgeHours * HOUR;
  const processingMaxAge = config.cleanup.processingMaxAgeHours * HOUR;
  const started = Date.now();
  const tenants = range(100).map(() => randomUUID());
  const body = { name: 'Cleanup bench', type: 'Household' } as const;
  /** `count` requests created at `createdAt` (ms); `processingAt` moves them to Processing then. */
  async function seed(count: number, createdAt: number, processingAt?: number) {
    const creator = serviceAt(seedStore, () => new Date(createdAt));
    const ids = await mapLimit(range(count), 16, async (index) => {
      const tenantId = tenants[index % tenants.length]!;
      const caller = { principalId: 'bench', tenantId, scopes: new Set(['onboarding:write']) };
      return (await creator.create(body, caller, { correlationId: 'bench-seed' })).request.id;
    });
    await seeder.flush();
    if (processingAt !== undefined) {
      const mover = serviceAt(seedStore, () => new Date(processingAt));
      await mapLimit(ids, 16, (id) =>
        mover.core.transition(id, () => ({ to: 'Processing', reason: 'bench' }), {
          actor: { type: 'system', id: 'bench' },
          source: 'schedule',
          correlationId: 'bench-seed',
        }),
      );
      await seeder.flush();
    }
  }
  const staleProcessing = Math.floor(options.stale / 2);
  const stalePending = options.stale - staleProcessing;
  const freshProcessing = Math.floor((options.total - options.stale) / 10);
  const freshPending = options.total - options.stale - freshProcessing;
  await seed(freshPending, started - 10 * 60_000);
  await seed(freshProcessing, started - 2 * HOUR, started - HOUR);
  await seed(stalePending, started - pendingMaxAge - 24 * HOUR);
  await seed(staleProcessing, started - processingMaxAge - 48 * HOUR, started - processingMaxAge - 24 * HOUR);
  const cutoff = (maxAge: number) => new Date(Date.now() - maxAge).toISOString();
  const staleBefore = (await store.countStale('Pending', cutoff(pendingMaxAge))) + (await store.countStale('Processing', cutoff(processingMaxAge)));
  const seedMs = performance.now() - seedStarted;
  options.log(`cleanup cost: ${options.total} requests (${staleBefore} stale) seeded in ${(seedMs / 1000).toFixed(1)} s`);

  return async () => {
    const invocationStarted = Date.now();
    meter.start();
    const runStarted = performance.now();
    const report = await runCleanup({
      lifecycle: service.core,
      store,
      maxAgeMs: { Pending: pendingMaxAge, Processing: processingMaxAge },
      // As the deployed function: 120 s timeout, stopping CLEANUP_SAFETY_MARGIN_MS before it.
      remainingMs: () => 120_000 - (Date.now() - invocationStarted),
      safetyMarginMs: 15_000,
      correlationId: 'bench-cleanup-cost',
    });
    const durationMs = performance.now() - runStarted;
    const tally = meter.stop();
    dynamo.destroy();
    return {
      requestsInTable: options.total,
      staleBefore,
      expired: report.expired,
      skipped: report.skipped,
      stoppedEarly: report.stoppedEarly,
      durationMs,
      dynamoRequests: totalRequests(tally),
      itemsRead: tally.itemsRead,
      dynamo: summarize([tally]),
      seedMs,
    };
  };
}
