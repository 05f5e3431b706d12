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
 * Where the lifecycle runs (`ONBOARDING_MODE`, docs/modes.md), as the cleanup sees it. In local mode this
 * service is the system of record and the port does nothing: every stale request may expire, and there is
 * nothing elsewhere to reconcile with. Proxy mode (lib/proxy/platform.ts) puts the Realto platform in front
 * of each; the API each kind serves is decorated by the composition root (lib/app/app.ts).
 */
export interface Platform {
  /** Asked by the cleanup before it expires a stale request: may it be expired here? */
  beforeExpire(stale: OpenRequestRef, correlationId: string): Promise<boolean>;
  /** Run by the cleanup first: learn what changed elsewhere. Undefined when there is nowhere else. */
  reconcile(budget: JobBudget): Promise<ReconcileReport | undefined>;
}

export const localPlatform: Platform = {
  beforeExpire: async () => true,
  reconcile: async () => undefined,
};
