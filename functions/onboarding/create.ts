import { http, optionalHeader } from '../../lib/http/handler.ts';
import { created } from '../../lib/http/replies.ts';
import { createCollectiveBody, createEntityBody, idempotencyKey } from '../../lib/onboarding/schemas.ts';
import type { CreateInput } from '../../lib/onboarding/service.ts';
import type { Caller, RequestType } from '../../lib/onboarding/types.ts';
import { idempotent, onboarding } from '../../lib/runtime.ts';

interface CreateCall {
  tenantId: string;
  operation: string;
  idempotencyKey: string;
  payload: CreateInput;
  caller: Caller;
  correlationId: string;
}

/** POST /v1/onboarding/{collectives|entities}: 201 with Location; an Idempotency-Key replays the first answer. */
function createFor(requestType: RequestType, body: typeof createCollectiveBody | typeof createEntityBody) {
  const createOnce = idempotent((call: CreateCall) =>
    onboarding.create(requestType, call.payload, call.caller, call.correlationId));

  return http(
    async ({ body: input, caller, correlationId, headers, context }) => {
      const key = optionalHeader(headers, 'Idempotency-Key', idempotencyKey);
      const request = key === undefined
        ? await onboarding.create(requestType, input as CreateInput, caller, correlationId)
        : await createOnce(
            { tenantId: caller.tenantId, operation: `create-${requestType}`, idempotencyKey: key, payload: input as CreateInput, caller, correlationId },
            context,
          );
      return created(request);
    },
    { scope: 'onboarding:write', body },
  );
}

export const collectives = createFor('Collective', createCollectiveBody);
export const entities = createFor('Entity', createEntityBody);
