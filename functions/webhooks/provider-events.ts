import { buildWebhookApp } from '../../lib/app/app.ts';
import { WEBHOOK_ROUTE } from '../../lib/app/routes/webhooks.ts';
import { http } from '../../lib/http/handler.ts';

const { receive, stack } = buildWebhookApp();

/** POST /v1/webhooks/onboarding: a signed provider event; no bearer token, the signature is the auth. */
export const handler = http(WEBHOOK_ROUTE, stack, async ({ headers, rawBody }) => {
  const result = await receive({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body: rawBody });
  return { status: 200, body: result };
});
