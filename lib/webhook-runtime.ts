import { config } from './context.ts';
import { onboarding, store } from './runtime.ts';
import { createWebhookReceiver } from './webhooks/receive.ts';
import { parseSecrets } from './webhooks/signature.ts';

/** The webhook function's cold start: secrets parsed once, and a malformed one stops it here. */
export const receiveWebhook = createWebhookReceiver({
  service: onboarding,
  store,
  keys: parseSecrets(config.webhookSecrets),
  inboxTtlSeconds: config.webhookInboxTtlSeconds,
  actorType: config.mode === 'realto' ? 'upstream' : 'webhook',
});
