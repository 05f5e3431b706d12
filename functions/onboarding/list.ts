import { buildApiApp } from '../../lib/app/app.ts';
import { ONBOARDING_ROUTES } from '../../lib/app/routes/onboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { page } from '../../lib/http/replies.ts';
import type { ListQuery } from '../../lib/lifecycle/schemas.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';
import type { RequestType } from '../../lib/lifecycle/types.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildApiApp();
const { onboarding, parts } = app;

/**
 * GET /v1/onboarding/{collectives|entities}: the caller's tenant's requests, newest first, in pages; in
 * proxy mode the open ones on the page are first asked about on the platform.
 */
function listFor(requestType: RequestType) {
  const route = ONBOARDING_ROUTES[requestType].list;
  return http(route, parts, async ({ query, caller, correlationId, context }) => {
    const filters = query as ListQuery;
    const result = await onboarding.list(requestType, caller, filters, correlationId, () => context.getRemainingTimeInMillis());
    return page(result, route.path, filters, pageSizeOf(filters.pageSize));
  });
}

export const collectives = listFor('Collective');
export const entities = listFor('Entity');
