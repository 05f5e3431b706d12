import { buildOffboardingApp } from '../../lib/app/app.ts';
import { OFFBOARDING_ROUTES } from '../../lib/app/routes/offboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { created } from '../../lib/http/replies.ts';
import { optionalHeader } from '../../lib/http/validation.ts';
import { idempotencyKey } from '../../lib/lifecycle/schemas.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildOffboardingApp();
const { offboarding, parts } = app;
const route = OFFBOARDING_ROUTES.create;

/** POST /v1/offboarding/entities: 201 with Location; the entity must be the caller's, with no offboarding open. */
export const handler = http(route, parts, async ({ body, caller, correlationId, headers }) => {
  const key = optionalHeader(headers, 'Idempotency-Key', idempotencyKey);
  const { request, replayed } = await offboarding.create(body, caller, correlationId, key);
  return created(request, route.path, replayed);
});
