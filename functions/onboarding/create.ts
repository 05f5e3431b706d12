import { bearer } from '../../lib/http/bearer.ts';
import { http, optionalHeader } from '../../lib/http/handler.ts';
import { created } from '../../lib/http/replies.ts';
import { createCollectiveBody, createEntityBody, idempotencyKey } from '../../lib/onboarding/schemas.ts';
import type { CreateInput } from '../../lib/onboarding/service.ts';
import type { RequestType } from '../../lib/onboarding/types.ts';
import { onboarding, platformCredentials } from '../../lib/proxy-runtime.ts';

/** POST /v1/onboarding/{collectives|entities}: 201 with Location; an Idempotency-Key replays the first answer. */
function createFor(requestType: RequestType, body: typeof createCollectiveBody | typeof createEntityBody) {
  return http(
    async ({ body: input, caller, correlationId, headers }) => {
      const key = optionalHeader(headers, 'Idempotency-Key', idempotencyKey);
      const { request, replayed } = await onboarding.create(requestType, input as CreateInput, caller, correlationId, key);
      return created(request, replayed);
    },
    { auth: bearer('onboarding:write'), body, secrets: platformCredentials },
  );
}

export const collectives = createFor('Collective', createCollectiveBody);
export const entities = createFor('Entity', createEntityBody);
