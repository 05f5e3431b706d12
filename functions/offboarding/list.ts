import { buildOffboardingApp } from '../../lib/app/app.ts';
import { OFFBOARDING_ROUTES } from '../../lib/app/routes/offboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { page } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildOffboardingApp();
const { offboarding, parts } = app;
const route = OFFBOARDING_ROUTES.list;

/** GET /v1/offboarding/entities: the caller's tenant's offboarding requests, newest first, in pages. */
export const handler = http(route, parts, async ({ query, caller }) =>
  page(await offboarding.list(caller, query), route.path, query, pageSizeOf(query.pageSize)));
