import { buildApiApp } from '../../lib/app/app.ts';
import { ONBOARDING_ROUTES } from '../../lib/app/routes/onboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { created } from '../../lib/http/replies.ts';
import { optionalHeader } from '../../lib/http/validation.ts';
import { idempotencyKey } from '../../lib/lifecycle/schemas.ts';
import type { RequestType } from '../../lib/lifecycle/types.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildApiApp();
const { onboarding, parts } = app;

/** POST /v1/onboarding/{collectives|entities}: 201 with Location; an Idempotency-Key replays the first answer. */
function createFor(requestType: RequestType) {
  const route = ONBOARDING_ROUTES[requestType].create;
  return http(route, parts, async ({ body, caller, correlationId, headers }) => {
    const key = optionalHeader(headers, 'Idempotency-Key', idempotencyKey);
    const { request, replayed } = await onboarding.create(requestType, body, caller, correlationId, key);
    return created(request, route.path, replayed);
  });
}

export const collectives = createFor('Collective');
export const entities = createFor('Entity');
