import type { OffboardingApi, OnboardingApi, OnboardingService } from './service.ts';
import type { OpenRequestRef } from './store.ts';

export interface ReconcileReport {
  checked: number;
  changed: number;
  failed: number;
  stoppedEarly: boolean;
}

export interface JobBudget {
  remainingMs: () => number;
  safetyMarginMs: number;
  correlationId: string;
}

/**
 * Where the lifecycle runs (contract §1, `ONBOARDING_MODE`). In local mode this service is the system of
 * record and the port does nothing: the API is the lifecycle itself, every stale request may expire, and
 * there is nothing elsewhere to reconcile with. Proxy mode (lib/proxy/platform.ts) puts the Realto
 * platform in front of each of these.
 */
export interface Platform {
  /** The API the functions serve: onboarding, and offboarding (contract §12). */
  readonly api: OnboardingApi;
  readonly offboarding: OffboardingApi;
  /** Asked by the cleanup before it expires a stale request: may it be expired here? */
  beforeExpire(stale: OpenRequestRef, correlationId: string): Promise<boolean>;
  /** Run by the cleanup first: learn what changed elsewhere. Undefined when there is nowhere else. */
  reconcile(budget: JobBudget): Promise<ReconcileReport | undefined>;
}

export function localPlatform(lifecycle: OnboardingService): Platform {
  return {
    api: lifecycle,
    offboarding: lifecycle.offboarding,
    beforeExpire: async () => true,
    reconcile: async () => undefined,
  };
}
