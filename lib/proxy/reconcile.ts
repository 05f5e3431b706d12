import { walkOpenRequests } from '../lifecycle/open-requests.ts';
import type { ReconcileReport } from '../lifecycle/platform.ts';
import type { OpenRequestRef, RequestStore } from '../lifecycle/store.ts';

export interface ReconcileOptions {
  store: Pick<RequestStore, 'listStale' | 'openShards'>;
  /** Asks the platform about one request and records what it says (proxy.observeOnPlatform); `applied` when a transition was recorded. */
  check: (open: OpenRequestRef) => Promise<{ outcome: string }>;
  remainingMs: () => number;
  safetyMarginMs: number;
  pageSize?: number;
  now?: () => Date;
}

/**
 * Proxy mode's polling (the platform has no webhooks of its own): asks the platform about every open
 * request, found through the open-request index in pages, and records what changed through the same
 * transition() as everything else. Within the time budget; the next run continues.
 */
export async function reconcileOpenRequests(options: ReconcileOptions): Promise<ReconcileReport> {
  const now = options.now ?? (() => new Date());
  const report: ReconcileReport = { checked: 0, changed: 0, failed: 0, stoppedEarly: false };
  // Every open request: both statuses, entered before now.
  const before = new Date(now().getTime() + 1).toISOString();
  const walk = walkOpenRequests(
    options.store,
    { Pending: before, Processing: before },
    {
      pageSize: options.pageSize ?? 25,
      stop: () => options.remainingMs() < options.safetyMarginMs,
    },
  );
  for await (const open of walk.items) {
    report.checked++;
    try {
      if ((await options.check(open)).outcome === 'applied') report.changed++;
    } catch {
      // One request the platform cannot answer for now does not stop the others; the next run retries it.
      report.failed++;
    }
  }
  return { ...report, stoppedEarly: walk.stopped };
}
