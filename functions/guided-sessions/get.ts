import { buildGuidedApp } from '../../lib/app/app.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { http } from '../../lib/http/handler.ts';
import { ok } from '../../lib/http/replies.ts';

const { guided, stack } = buildGuidedApp();

/** GET /v1/guided-onboarding-sessions/{id}: with the request it produced, or null. */
export const handler = http(GUIDED_SESSION_ROUTES.get, stack, async ({ params, caller }) => ok(await guided.get(params.onboardingSessionId, caller)));
