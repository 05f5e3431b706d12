import { buildGuidedApp } from '../../lib/app/app.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { http } from '../../lib/http/handler.ts';
import { listPage } from '../../lib/http/replies.ts';
import { pageSizeOf } from '../../lib/lifecycle/lifecycle.ts';

const { guided, stack } = buildGuidedApp();
const route = GUIDED_SESSION_ROUTES.list;

/** GET /v1/guided-onboarding-sessions: the caller's tenant's sessions, newest first, in pages. */
export const handler = http(route, stack, async ({ query, caller }) =>
  listPage(await guided.list(caller, query), route.http.path, query, pageSizeOf(query.pageSize)),
);
