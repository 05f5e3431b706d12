import { buildTrailApp } from '../../lib/app/app.ts';
import { ONBOARDING_ROUTES } from '../../lib/app/routes/onboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { page, pathOf } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';
import type { RequestType } from '../../lib/lifecycle/types.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildTrailApp();
const { trail, parts } = app;

/** GET /v1/onboarding/{collectives|entities}/{id}/transitions: the audit trail, oldest first. Always from our table. */
function transitionsFor(requestType: RequestType) {
  const route = ONBOARDING_ROUTES[requestType].transitions;
  return http(route, parts, async ({ params, query, caller }) => {
    const result = await trail.history(requestType, params.onboardingRequestId, caller, query);
    return page(result, pathOf(route.path, params), query, pageSizeOf(query.pageSize));
  });
}

export const collectives = transitionsFor('Collective');
export const entities = transitionsFor('Entity');
