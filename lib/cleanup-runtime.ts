import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { config } from './context.ts';
import { runCleanup } from './onboarding/cleanup.ts';
import { ValidationError } from './onboarding/errors.ts';
import { reconcileOpenRequests } from './onboarding/reconcile.ts';
import { onboarding, proxy } from './proxy-runtime.ts';
import { store } from './runtime.ts';

const HOUR_MS = 60 * 60 * 1000;

/** The manual override of contract §7; the schedule's own event (or `{}`) uses the configured ages. */
const cleanupInput = z.object({ olderThanMinutes: z.optional(z.int().check(z.minimum(0), z.maximum(10 * 365 * 24 * 60))) });

export async function expireStaleRequests(event: unknown, context: Context) {
  const parsed = cleanupInput.safeParse(event ?? {});
  if (!parsed.success) {
    throw new ValidationError('olderThanMinutes must be a whole number of minutes (0 or more).');
  }
  const override = parsed.data.olderThanMinutes;
  const maxAgeMs = override === undefined
    ? { Pending: config.cleanup.pendingMaxAgeHours * HOUR_MS, Processing: config.cleanup.processingMaxAgeHours * HOUR_MS }
    : { Pending: override * 60_000, Processing: override * 60_000 };
  const budget = {
    remainingMs: () => context.getRemainingTimeInMillis(),
    safetyMarginMs: config.cleanup.safetyMarginMs,
    correlationId: context.awsRequestId,
  };
  // Proxy mode: first learn what changed on the platform, then expire what is still stale, there first.
  const platform = proxy;
  const reconciled = platform
    ? await reconcileOpenRequests({ store, check: (open) => platform.observeOnPlatform(open.requestType, open.id, budget.correlationId), ...budget })
    : undefined;
  const expired = await runCleanup({
    service: onboarding,
    store,
    maxAgeMs,
    ...budget,
    ...(platform ? { beforeExpire: (stale) => platform.cancelBeforeExpiry(stale, budget.correlationId) } : {}),
  });
  return reconciled ? { ...expired, reconciled } : expired;
}
