import type { OffboardingApi, OffboardingService } from '../lifecycle/offboarding.ts';
import { keeps, type PlatformMirror } from './mirror.ts';

/**
 * The offboarding API in proxy mode (contract §12): create and cancel go to the platform first, after our
 * own checks (an entity we do not know is a 404 without a platform call). Reads are ours: the platform's
 * GET for offboarding is not documented (realto-api-facts §7, O3); the reconciliation asks it anyway.
 */
export function createProxyOffboarding(local: OffboardingService, mirror: PlatformMirror): OffboardingApi {
  return {
    get: local.get,
    list: local.list,
    history: local.history,
    async create(input, caller, correlationId, idempotencyKey) {
      const prepared = await local.prepare(input, caller, correlationId, idempotencyKey);
      if ('replay' in prepared) return prepared.replay;
      return mirror.createThroughPlatform(
        'EntityOffboarding', prepared.draft, { entityId: prepared.draft.entityId },
        (draft, answer) => local.commit(draft, { id: answer.id.toLowerCase() }),
        (id) => keeps(() => local.get(id, caller)),
        local.view,
      );
    },
    async cancel(id, caller, correlationId) {
      const current = await local.get(id, caller);
      const canceled = await mirror.cancelThroughPlatform('EntityOffboarding', current, correlationId, () => local.cancel(id, caller, correlationId));
      return canceled ?? current;
    },
  };
}
