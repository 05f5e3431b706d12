import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildEndpointsApp();
const { endpoints, parts } = app;
const route = WEBHOOK_ENDPOINT_ROUTES.create;

/** POST /v1/webhook-endpoints: 201 with Location and the signing secret, which is shown only here. */
export const handler = http(route, parts, async ({ body, caller }) => {
  const endpoint = await endpoints.create(body, caller);
  return { status: 201, body: endpoint, headers: { Location: `${route.path}/${endpoint.id}` } };
});
