import { bearer } from '../../lib/http/bearer.ts';
import { http } from '../../lib/http/handler.ts';
import { resource } from '../../lib/http/replies.ts';
import { requestIdParams } from '../../lib/onboarding/schemas.ts';
import type { RequestType } from '../../lib/onboarding/types.ts';
import { onboarding, platformCredentials } from '../../lib/proxy-runtime.ts';

/** GET /v1/onboarding/{collectives|entities}/{id}: another tenant's or another type's request is a 404. */
function getFor(requestType: RequestType) {
  return http(
    async ({ params, caller, correlationId }) => resource(await onboarding.get(requestType, params.onboardingRequestId, caller, correlationId)),
    { auth: bearer('onboarding:read'), params: requestIdParams, secrets: platformCredentials },
  );
}

export const collectives = getFor('Collective');
export const entities = getFor('Entity');
