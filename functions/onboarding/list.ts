import { bearer } from '../../lib/http/bearer.ts';
import { http } from '../../lib/http/handler.ts';
import { collectionPath, page } from '../../lib/http/replies.ts';
import { listCollectivesQuery, listEntitiesQuery, type ListQuery } from '../../lib/onboarding/schemas.ts';
import { pageSizeOf } from '../../lib/onboarding/service.ts';
import type { RequestType } from '../../lib/onboarding/types.ts';
import { onboarding, platformCredentials } from '../../lib/proxy-runtime.ts';

/**
 * GET /v1/onboarding/{collectives|entities}: the caller's tenant's requests, newest first, in pages; in
 * proxy mode the open ones on the page are first asked about on the platform.
 */
function listFor(requestType: RequestType, query: typeof listCollectivesQuery | typeof listEntitiesQuery) {
  return http(
    async ({ query: filters, caller, correlationId, context }) => {
      const timeLeftMs = () => context.getRemainingTimeInMillis();
      const result = await onboarding.list(requestType, caller, filters as ListQuery, correlationId, timeLeftMs);
      return page(result, collectionPath(requestType), filters as ListQuery, pageSizeOf(filters.pageSize));
    },
    { auth: bearer('onboarding:read'), query, secrets: platformCredentials },
  );
}

export const collectives = listFor('Collective', listCollectivesQuery);
export const entities = listFor('Entity', listEntitiesQuery);
