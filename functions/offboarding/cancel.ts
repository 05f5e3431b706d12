import { buildOffboardingApp } from '../../lib/app/app.ts';
import { OFFBOARDING_ROUTES } from '../../lib/app/routes/offboarding.ts';
import { http } from '../../lib/http/handler.ts';
import { resource } from '../../lib/http/replies.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildOffboardingApp();
const { offboarding, parts } = app;

/** PATCH /v1/offboarding/entities/{id}/cancel: only from Pending; again on a Canceled one is 200 unchanged. */
export const handler = http(OFFBOARDING_ROUTES.cancel, parts, async ({ params, caller, correlationId }) =>
  resource(await offboarding.cancel(params.offboardingRequestId, caller, correlationId)));
