import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { noContent } from '../../lib/http/replies.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildEndpointsApp();
const { endpoints, parts } = app;

/** DELETE /v1/webhook-endpoints/{id}: 204; its pending deliveries end as failed. */
export const handler = http(WEBHOOK_ENDPOINT_ROUTES.remove, parts, async ({ params, caller }) => {
  await endpoints.remove(params.endpointId, caller);
  return noContent();
});
