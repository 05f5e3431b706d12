import { buildOffboardingApp } from '../../lib/app/app.ts';
import { OFFBOARDING_ROUTES } from '../../lib/app/routes/offboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { resource } from '../../lib/http/replies.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildOffboardingApp();
const { offboarding, parts } = app;

/** GET /v1/offboarding/entities/{id}: another tenant's request, or an onboarding's id, is a 404. */
export const handler = http(OFFBOARDING_ROUTES.get, parts, async ({ params, caller }) =>
  resource(await offboarding.get(params.offboardingRequestId, caller)));
