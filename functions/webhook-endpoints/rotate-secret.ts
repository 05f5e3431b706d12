import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { ok } from '../../lib/http/replies.ts';

const { endpoints, stack } = buildEndpointsApp();

/** POST /v1/webhook-endpoints/{id}/rotate-secret: the new secret, shown only here; both sign for 24 h. */
export const handler = http(WEBHOOK_ENDPOINT_ROUTES.rotateSecret, stack, async ({ params, caller }) =>
  ok(await endpoints.rotateSecret(params.endpointId, caller)),
);
