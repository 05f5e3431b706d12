import { buildGuidedApp } from '../../lib/app/app.ts';
import { GUIDED_SESSION_ROUTES } from '../../lib/app/routes/guided-sessions.ts';
import { http } from '../../lib/http/handler.ts';
import { ok } from '../../lib/http/replies.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildGuidedApp();
const { guided, parts } = app;

/** GET /v1/guided-onboarding-sessions/{id}: with the request it produced, or null. */
export const handler = http(GUIDED_SESSION_ROUTES.get, parts, async ({ params, caller }) => ok(await guided.get(params.onboardingSessionId, caller)));
