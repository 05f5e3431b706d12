import { buildGuidedApp } from '../../lib/app/app.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { http } from '../../lib/http/handler.ts';

const { guided, stack } = buildGuidedApp();
const route = GUIDED_SESSION_ROUTES.create;

/** POST /v1/guided-onboarding-sessions: 201 with Location and `url`, the link for the end user. */
export const handler = http(route, stack, async ({ body, caller }) => {
  const session = await guided.create(body, caller);
  return { status: 201, body: session, headers: { Location: `${route.http.path}/${session.id}` } };
});
