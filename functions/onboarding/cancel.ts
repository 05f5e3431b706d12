import { buildApiApp } from '../../lib/app/app.ts';
import { ONBOARDING_ROUTES } from '../../lib/app/routes/onboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { resource } from '../../lib/http/replies.ts';
import type { RequestType } from '../../lib/lifecycle/types.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildApiApp();
const { onboarding, parts } = app;

/** PATCH /v1/onboarding/{collectives|entities}/{id}/cancel: safe to retry; a finished request is a 409. */
function cancelFor(requestType: RequestType) {
  return http(ONBOARDING_ROUTES[requestType].cancel, parts, async ({ params, caller, correlationId }) =>
    resource(await onboarding.cancel(requestType, params.onboardingRequestId, caller, correlationId)));
}

export const collectives = cancelFor('Collective');
export const entities = cancelFor('Entity');
