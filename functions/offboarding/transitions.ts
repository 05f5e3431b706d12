import { buildTrailApp } from '../../lib/app/app.ts';
import { OFFBOARDING_ROUTES } from '../../lib/app/routes/offboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { page, pathOf } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildTrailApp();
const { trail, parts } = app;
const route = OFFBOARDING_ROUTES.transitions;

/** GET /v1/offboarding/entities/{id}/transitions: the audit trail, oldest first. Always from our table. */
export const handler = http(route, parts, async ({ params, query, caller }) => {
  const result = await trail.history('EntityOffboarding', params.offboardingRequestId, caller, query);
  return page(result, pathOf(route.path, params), query, pageSizeOf(query.pageSize));
});
