import { http } from '../../lib/http/handler.ts';
import { count } from '../../lib/metrics.ts';
import { ServiceError } from '../../lib/onboarding/errors.ts';
import { receiveWebhook } from '../../lib/webhook-runtime.ts';
import { SignatureRejected } from '../../lib/webhooks/signature.ts';

/** POST /v1/webhooks/onboarding: a signed provider event (contract §6); no bearer token, the signature is the auth. */
export const handler = http(
  async ({ headers, rawBody }) => {
    const result = await receiveWebhook({
      id: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      body: rawBody,
    }).catch((error: unknown) => {
      const reason = error instanceof SignatureRejected ? error.reason : error instanceof ServiceError ? error.code : 'error';
      count('webhook_rejected', { reason });
      throw error;
    });
    count(`webhook_${result.outcome}`, {}, { messageId: headers['webhook-id'] });
    return { status: 200, body: result };
  },
  { auth: null, rawBody: true },
);
