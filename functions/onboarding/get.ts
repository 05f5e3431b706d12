import { buildApiApp } from '../../lib/app/app.ts';
import { ONBOARDING_ROUTES } from '../../lib/app/routes/onboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { resource } from '../../lib/http/replies.ts';
import type { RequestType } from '../../lib/lifecycle/types.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildApiApp();
const { onboarding, parts } = app;

/** GET /v1/onboarding/{collectives|entities}/{id}: another tenant's or another type's request is a 404. */
function getFor(requestType: RequestType) {
  return http(ONBOARDING_ROUTES[requestType].get, parts, async ({ params, caller, correlationId }) =>
    resource(await onboarding.get(requestType, params.onboardingRequestId, caller, correlationId)));
}

export const collectives = getFor('Collective');
export const entities = getFor('Entity');
