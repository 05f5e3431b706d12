import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { ok } from '../../lib/http/replies.ts';

const { endpoints, stack } = buildEndpointsApp();

/** GET /v1/webhook-endpoints/{id}: another tenant's endpoint is a 404. */
export const handler = http(WEBHOOK_ENDPOINT_ROUTES.get, stack, async ({ params, caller }) => ok(await endpoints.get(params.endpointId, caller)));
