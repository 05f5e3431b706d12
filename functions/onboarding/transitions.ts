import { bearer } from '../../lib/http/bearer.ts';
import { http } from '../../lib/http/handler.ts';
import { collectionPath, page } from '../../lib/http/replies.ts';
import { pageQuery, requestIdParams } from '../../lib/onboarding/schemas.ts';
import { pageSizeOf } from '../../lib/onboarding/service.ts';
import type { RequestType } from '../../lib/onboarding/types.ts';
import { onboarding } from '../../lib/runtime.ts';

/** GET /v1/onboarding/{collectives|entities}/{id}/transitions: the audit trail, oldest first. */
function transitionsFor(requestType: RequestType) {
  return http(
    async ({ params, query, caller }) => {
      const id = params.onboardingRequestId;
      const result = await onboarding.history(requestType, id, caller, query);
      return page(result, `${collectionPath(requestType)}/${id}/transitions`, query, pageSizeOf(query.pageSize));
    },
    { auth: bearer('onboarding:read'), params: requestIdParams, query: pageQuery },
  );
}

export const collectives = transitionsFor('Collective');
export const entities = transitionsFor('Entity');
