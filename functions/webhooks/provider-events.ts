import { buildWebhookApp } from '../../lib/app/app.ts';
import { WEBHOOK_ROUTE } from '../../lib/app/routes/webhooks.ts';
import { http } from '../../lib/http/handler.ts';
import { ServiceError } from '../../lib/lifecycle/errors.ts';
import { SignatureRejected } from '../../lib/webhooks/signature.ts';

const { receive, metrics, stack } = buildWebhookApp();

/** POST /v1/webhooks/onboarding: a signed provider event; no bearer token, the signature is the auth. */
export const handler = http(WEBHOOK_ROUTE, stack, async ({ headers, rawBody }) => {
  const result = await receive({
    id: headers['webhook-id'],
    timestamp: headers['webhook-timestamp'],
    signature: headers['webhook-signature'],
    body: rawBody,
  }).catch((error: unknown) => {
    const reason = error instanceof SignatureRejected ? error.reason : error instanceof ServiceError ? error.code : 'error';
    metrics.count('webhook_rejected', { reason });
    throw error;
  });
  metrics.count(`webhook_${result.outcome}`, {}, { messageId: headers['webhook-id'] });
  return { status: 200, body: result };
});
