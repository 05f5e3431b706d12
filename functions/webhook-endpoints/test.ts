import { buildEndpointSendingApp } from '../../lib/app/app.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from '../../lib/app/routes/webhook-endpoints.ts';
import { http } from '../../lib/http/handler.ts';
import { ok } from '../../lib/http/replies.ts';

const { endpoints, stack } = buildEndpointSendingApp();

/** POST /v1/webhook-endpoints/{id}/test: a webhook.test event sent now; the answer is how it went. */
export const handler = http(WEBHOOK_ENDPOINT_ROUTES.test, stack, async ({ params, caller }) => ok(await endpoints.test(params.endpointId, caller)));
