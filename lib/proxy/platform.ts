import type { Secret } from '../config/secrets.ts';
import type { RealtoSettings } from '../config/settings.ts';
import type { KindRegistry } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { JobBudget, Platform } from '../lifecycle/platform.ts';
import type { RequestStore } from '../lifecycle/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { createPlatformMirror, type PlatformMirror } from './mirror.ts';
import { createRealtoClient, type RealtoClient } from './realto-client.ts';
import { reconcileOpenRequests } from './reconcile.ts';

export interface RealtoPlatformOptions {
  settings: RealtoSettings;
  /** The platform's client secret, kept fresh by the secrets middleware of the functions that call it. */
  clientSecret: Secret;
  lifecycle: Pick<Lifecycle, 'transition' | 'updateDetails'>;
  /** The kinds this function serves (the cleanup: every kind). */
  kinds: KindRegistry;
  store: Pick<RequestStore, 'listStale' | 'openShards'>;
  logger: Logger;
  metrics: Metrics;
}

/** The platform's client with this stage's credentials; a refused secret is fetched again (lib/config/secrets.ts). */
export function createPlatformClient(settings: RealtoSettings, clientSecret: Secret, paths: readonly string[]): RealtoClient {
  return createRealtoClient({
    paths,
    baseUrl: settings.baseUrl,
    clientId: settings.clientId,
    clientSecret: clientSecret.current,
    onCredentialsRefused: clientSecret.invalidate,
  });
}

/**
 * Proxy mode (ONBOARDING_MODE=realto): the Realto platform runs the lifecycle. The mirror (./mirror.ts) is
 * what every kind's decorator (./requests.ts) is made of; webhooks report what the platform did, stale
 * requests are canceled there first, and the cleanup first asks the platform about every open request
 * (./reconcile.ts).
 */
export function createRealtoPlatform(options: RealtoPlatformOptions): Platform & { mirror: PlatformMirror; client: RealtoClient } {
  const { logger } = options;
  const client = createPlatformClient(
    options.settings,
    options.clientSecret,
    [...options.kinds.values()].map((kind) => kind.path),
  );
  const mirror = createPlatformMirror(options.lifecycle, client, options.kinds, {
    onUntracked: (detail) => logger.error('A request on the Realto platform may be untracked here', detail),
    onUnknownStatus: (detail) => {
      logger.error('The Realto platform answered with a status this service does not know; nothing was recorded', detail);
      options.metrics.count('platform_status_unknown', {}, {}, 1);
    },
  });
  return {
    mirror,
    client,
    beforeExpire: (stale, correlationId) => mirror.cancelBeforeExpiry(stale, correlationId),
    reconcile: (budget: JobBudget) =>
      reconcileOpenRequests({
        store: options.store,
        check: (open) => mirror.observeOpen(open, budget.correlationId),
        remainingMs: budget.remainingMs,
        safetyMarginMs: budget.safetyMarginMs,
      }),
  };
}
