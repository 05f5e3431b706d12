import { randomUUID } from 'node:crypto';
import { createTables } from '../local/tables.ts';
import { summarize } from './meter.ts';
import { callerOf, inProcess } from './service.ts';
import { range } from './stats.ts';

/**
 * In a table of `total` open requests of which `stale` are stale, one cleanup run must read on the order
 * of the stale ones, not of the table (the sparse, sharded openByAge index). Its own table, so nothing
 * else in it; the configured ages (PENDING_MAX_AGE_HOURS, PROCESSING_MAX_AGE_HOURS).
 */
const HOUR = 3_600_000;

export async function runCleanupCost(options: { endpoint: string; tableName: string; total: number; stale: number }) {
  const seedStarted = performance.now();
  await createTables(options.endpoint, { OnboardingTable: options.tableName }, { streams: false });
  const lab = inProcess(options.endpoint, options.tableName);
  const { Pending: pendingMaxAge, Processing: processingMaxAge } = lab.maxAgeMs;
  const callers = range(100).map(() => callerOf(randomUUID()));
  const now = Date.now();
  const seed = (count: number, createdAt: number, processingAt?: number) =>
    lab.seed(count, callers, { name: 'Cleanup bench', createdAt: () => createdAt, ...(processingAt === undefined ? {} : { processingAt }) });
  const staleProcessing = Math.floor(options.stale / 2);
  const freshProcessing = Math.floor((options.total - options.stale) / 10);
  await seed(options.total - options.stale - freshProcessing, now - 10 * 60_000);
  await seed(freshProcessing, now - 2 * HOUR, now - HOUR);
  await seed(options.stale - staleProcessing, now - pendingMaxAge - 24 * HOUR);
  await seed(staleProcessing, now - processingMaxAge - 48 * HOUR, now - processingMaxAge - 24 * HOUR);
  const staleBefore = options.stale;
  const seedMs = performance.now() - seedStarted;

  const invocationStarted = Date.now();
  lab.meter.start();
  const runStarted = performance.now();
  const report = await lab.cleanup({
    correlationId: 'bench-cleanup-cost',
    // As the deployed function: 120 s timeout, stopping CLEANUP_SAFETY_MARGIN_MS before it.
    remainingMs: () => 120_000 - (Date.now() - invocationStarted),
    safetyMarginMs: 15_000,
  });
  const durationMs = performance.now() - runStarted;
  const dynamo = summarize([lab.meter.stop()]);
  lab.dynamo.destroy();
  const { expired, skipped, stoppedEarly } = report;
  return { requestsInTable: options.total, staleBefore, expired, skipped, stoppedEarly, durationMs, dynamo, seedMs };
}
