import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { ok } from '../../lib/http/replies.ts';

const { endpoints, stack } = buildEndpointsApp();

/** PATCH /v1/webhook-endpoints/{id}: url, eventTypes, description, disabled. */
export const handler = http(WEBHOOK_ENDPOINT_ROUTES.update, stack, async ({ params, body, caller }) =>
  ok(await endpoints.update(params.endpointId, caller, body)),
);
