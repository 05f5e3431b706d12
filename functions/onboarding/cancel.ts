import { bearer } from '../../lib/http/bearer.ts';
import { http } from '../../lib/http/handler.ts';
import { resource } from '../../lib/http/replies.ts';
import { requestIdParams } from '../../lib/onboarding/schemas.ts';
import type { RequestType } from '../../lib/onboarding/types.ts';
import { onboarding, platformCredentials } from '../../lib/proxy-runtime.ts';

/** PATCH /v1/onboarding/{collectives|entities}/{id}/cancel: safe to retry; a finished request is a 409. */
function cancelFor(requestType: RequestType) {
  return http(
    async ({ params, caller, correlationId }) =>
      resource(await onboarding.cancel(requestType, params.onboardingRequestId, caller, correlationId)),
    { auth: bearer('onboarding:write'), params: requestIdParams, secrets: platformCredentials },
  );
}

export const collectives = cancelFor('Collective');
export const entities = cancelFor('Entity');
