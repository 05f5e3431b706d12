import { buildEndpointsApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { noContent } from '../../lib/http/replies.ts';

const { endpoints, stack } = buildEndpointsApp();

/** DELETE /v1/webhook-endpoints/{id}: 204; its pending deliveries end as failed. */
export const handler = http(WEBHOOK_ENDPOINT_ROUTES.remove, stack, async ({ params, caller }) => {
  await endpoints.remove(params.endpointId, caller);
  return noContent();
});
