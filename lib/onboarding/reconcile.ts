import type { UpstreamOnboarding, UpstreamRequest } from './proxy.ts';
import { walkOpenRequests } from './open-requests.ts';
import { collectionOf, STATUSES } from './types.ts';
import type { OnboardingStore, OpenRequestRef } from './store.ts';

export interface ReconcileOptions {
  store: Pick<OnboardingStore, 'listStale' | 'openShards'>;
  upstream: Pick<UpstreamOnboarding, 'getOnboarding'>;
  /** Records what the platform says (proxy.observe); `applied` when a transition was recorded. */
  observe: (id: string, seen: UpstreamRequest, correlationId: string) => Promise<{ outcome: string }>;
  remainingMs: () => number;
  safetyMarginMs: number;
  correlationId: string;
  pageSize?: number;
  now?: () => Date;
}

export interface ReconcileReport {
  checked: number;
  changed: number;
  failed: number;
  stoppedEarly: boolean;
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
  const walk = walkOpenRequests(options.store, { Pending: before, Processing: before }, {
    pageSize: options.pageSize ?? 25,
    stop: () => options.remainingMs() < options.safetyMarginMs,
  });
  for await (const open of walk.items) {
    report.checked++;
    try {
      const seen = await options.upstream.getOnboarding(collectionOf(open.requestType), open.id);
      const outcome = await options.observe(open.id, seen, options.correlationId);
      if (outcome.outcome === 'applied') report.changed++;
    } catch {
      // One request the platform cannot answer for now does not stop the others; the next run retries it.
      report.failed++;
    }
  }
  return { ...report, stoppedEarly: walk.stopped };
}

/**
 * The cleanup's `beforeExpire` in proxy mode: a stale request is canceled on the platform first. If the
 * platform refuses (it finished meanwhile) or cannot be reached, what it says is recorded when it answers,
 * and nothing is expired here this time.
 */
export function cancelOnPlatformFirst(
  platform: Pick<UpstreamOnboarding, 'cancelOnboarding' | 'getOnboarding'>,
  observe: ReconcileOptions['observe'],
  correlationId: string,
) {
  return async (stale: OpenRequestRef): Promise<boolean> => {
    const kind = collectionOf(stale.requestType);
    try {
      const seen = await platform.cancelOnboarding(kind, stale.id);
      if (seen.status === 'Canceled' || !(STATUSES as readonly string[]).includes(seen.status)) return true;
      // Answered, but not canceled (it finished there meanwhile): record that, expire nothing.
      await observe(stale.id, seen, correlationId);
      return false;
    } catch {
      await platform.getOnboarding(kind, stale.id).then((seen) => observe(stale.id, seen, correlationId)).catch(() => undefined);
      return false;
    }
  };
}
