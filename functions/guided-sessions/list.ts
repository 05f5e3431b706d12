import { buildGuidedApp } from '../../lib/app/app.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { http } from '../../lib/http/handler.ts';
import { page } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildGuidedApp();
const { guided, parts } = app;
const route = GUIDED_SESSION_ROUTES.list;

/** GET /v1/guided-onboarding-sessions: the caller's tenant's sessions, newest first, in pages. */
export const handler = http(route, parts, async ({ query, caller }) => page(await guided.list(caller, query), route.path, query, pageSizeOf(query.pageSize)));
