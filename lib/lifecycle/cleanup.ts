import type { Lifecycle } from './lifecycle.ts';
import { walkOpenRequests } from './open-requests.ts';
import type { JobBudget, Platform, ReconcileReport } from './platform.ts';
import { OPEN_STATUSES } from './status-machine.ts';
import type { OpenRequestRef, RequestStore, SessionStore } from './store.ts';
import type { Status, StoredRequest } from './types.ts';

export interface CleanupOptions {
  lifecycle: Pick<Lifecycle, 'transition'>;
  store: Pick<RequestStore, 'listStale' | 'openShards'>;
  maxAgeMs: Partial<Record<Status, number>>;
  /** Time left in this invocation; the run stops when it falls under `safetyMarginMs`. */
  remainingMs: () => number;
  safetyMarginMs: number;
  correlationId: string;
  pageSize?: number;
  now?: () => Date;
  /**
   * Asked before each expiry; false leaves the request alone this time (proxy mode: the platform refused
   * to cancel it, so its status is the truth and the reconciliation records it).
   */
  beforeExpire?: (stale: OpenRequestRef) => Promise<boolean>;
}

export interface CleanupReport {
  expired: number;
  /** Stale requests seen but left alone: finished or moved on by someone else meanwhile. */
  skipped: number;
  /**
   * True when the time budget ran out before the walk did: stale requests may be left, and the next run
   * continues. They are not counted: a count would read the whole backlog the run could not get through.
   */
  stoppedEarly: boolean;
}

/** "7 days", "72 hours", "30 minutes": the largest unit that says the age exactly. */
function describeAge(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes >= 2 * 24 * 60 && minutes % (24 * 60) === 0) return `${minutes / (24 * 60)} days`;
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} hours`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/**
 * Expire open requests older than their status allows, found through the sparse open index
 * (cost follows what is stale, not the table). Each expiry is the ordinary transition, conditional on
 * the state read, so a concurrent or repeated run, a cancel or a webhook in between, are all safe.
 * Expired requests leave the index, so the next run resumes by simply asking again.
 */
export async function runCleanup(options: CleanupOptions): Promise<CleanupReport> {
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 25;
  const report: CleanupReport = { expired: 0, skipped: 0, stoppedEarly: false };
  const outOfTime = () => options.remainingMs() < options.safetyMarginMs;
  const cutoffs: Partial<Record<Status, string>> = {};
  for (const status of OPEN_STATUSES) {
    const maxAge = options.maxAgeMs[status];
    if (maxAge !== undefined) cutoffs[status] = new Date(now().getTime() - maxAge).toISOString();
  }
  const isStale = (request: StoredRequest) => {
    const maxAge = options.maxAgeMs[request.status];
    return maxAge !== undefined && OPEN_STATUSES.includes(request.status) && now().getTime() - Date.parse(request.updated) > maxAge;
  };

  const walk = walkOpenRequests(options.store, cutoffs, { pageSize, stop: outOfTime });
  for await (const stale of walk.items) {
    if (options.beforeExpire && !(await options.beforeExpire(stale))) {
      report.skipped++;
      continue;
    }
    const result = await options.lifecycle.transition(
      stale.id,
      (current) =>
        isStale(current)
          ? {
              to: 'Canceled',
              reason: 'Expired',
              errors: [
                {
                  code: 'Expired',
                  message: `The request stayed ${current.status} longer than ${describeAge(options.maxAgeMs[current.status]!)}.`,
                },
              ],
            }
          : 'unchanged',
      { actor: { type: 'system', id: 'cleanup' }, source: 'schedule', correlationId: options.correlationId },
    );
    if (result.outcome === 'applied') report.expired++;
    else report.skipped++;
  }
  return walk.stopped ? { ...report, stoppedEarly: true } : report;
}

const HOUR_MS = 60 * 60 * 1000;

export interface CleanupJobOptions {
  lifecycle: Pick<Lifecycle, 'transition'>;
  store: CleanupOptions['store'];
  sessions: Pick<SessionStore, 'listSessionsToExpire' | 'markSessionExpired' | 'openShards'>;
  platform: Pick<Platform, 'beforeExpire' | 'reconcile'>;
  pendingMaxAgeHours: number;
  processingMaxAgeHours: number;
  safetyMarginMs: number;
}

export type CleanupJobReport = CleanupReport & { reconciled?: ReconcileReport; sessionsExpired: number };

/**
 * Marks the guided sessions past their expiry, found through the open index (no Scan), so
 * they leave it; within the time budget, the rest next run. A session is expired to readers from
 * `expiresAt` on, marked or not: the mark is housekeeping, not the rule.
 */
export async function expireSessions(
  store: Pick<SessionStore, 'listSessionsToExpire' | 'markSessionExpired' | 'openShards'>,
  budget: { remainingMs: () => number; safetyMarginMs: number },
  now: () => Date = () => new Date(),
): Promise<number> {
  let marked = 0;
  for (let shard = 0; shard < store.openShards; shard++) {
    for (;;) {
      if (budget.remainingMs() < budget.safetyMarginMs) return marked;
      const due = await store.listSessionsToExpire(shard, now().toISOString(), 25);
      if (due.length === 0) break;
      for (const session of due) await store.markSessionExpired(session);
      marked += due.length;
    }
  }
  return marked;
}

/**
 * The scheduled job: first learn what changed elsewhere (proxy mode's reconciliation), then expire what is
 * still stale, asking the platform first. `olderThanMinutes` overrides the configured ages (a manual run).
 */
export function createCleanupJob(options: CleanupJobOptions) {
  return async function expireStaleRequests(
    input: { olderThanMinutes?: number | undefined },
    budget: Omit<JobBudget, 'safetyMarginMs'>,
  ): Promise<CleanupJobReport> {
    const override = input.olderThanMinutes;
    const maxAgeMs =
      override === undefined
        ? { Pending: options.pendingMaxAgeHours * HOUR_MS, Processing: options.processingMaxAgeHours * HOUR_MS }
        : { Pending: override * 60_000, Processing: override * 60_000 };
    const withMargin = { ...budget, safetyMarginMs: options.safetyMarginMs };
    const reconciled = await options.platform.reconcile(withMargin);
    const expired = await runCleanup({
      lifecycle: options.lifecycle,
      store: options.store,
      maxAgeMs,
      ...withMargin,
      beforeExpire: (stale) => options.platform.beforeExpire(stale, budget.correlationId),
    });
    const sessionsExpired = await expireSessions(options.sessions, withMargin);
    return { ...expired, ...(reconciled ? { reconciled } : {}), sessionsExpired };
  };
}
