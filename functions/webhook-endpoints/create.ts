import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';

const { endpoints, stack } = buildEndpointsApp();
const route = WEBHOOK_ENDPOINT_ROUTES.create;

/** POST /v1/webhook-endpoints: 201 with Location and the signing secret, which is shown only here. */
export const handler = http(route, stack, async ({ body, caller }) => {
  const endpoint = await endpoints.create(body, caller);
  return { status: 201, body: endpoint, headers: { Location: `${route.http.path}/${endpoint.id}` } };
});
