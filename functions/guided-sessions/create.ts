import { buildGuidedApp } from '../../lib/app/app.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { http } from '../../lib/http/handler.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildGuidedApp();
const { guided, parts } = app;
const route = GUIDED_SESSION_ROUTES.create;

/** POST /v1/guided-onboarding-sessions: 201 with Location and `url`, the link for the end user. */
export const handler = http(route, parts, async ({ body, caller }) => {
  const session = await guided.create(body, caller);
  return { status: 201, body: session, headers: { Location: `${route.path}/${session.id}` } };
});
