import { ConfigError } from './config.ts';
import { config } from './context.ts';
import { onboarding, store } from './runtime.ts';
import { createWebhookReceiver } from './webhooks/receive.ts';
import { parseSecrets } from './webhooks/signature.ts';

if (!config.webhookSecrets) throw new ConfigError('WEBHOOK_SECRETS (or WEBHOOK_SECRETS_PARAMETER) is required when deployed');

/** The webhook function's cold start: secrets parsed once, and a missing or malformed one stops it here. */
export const receiveWebhook = createWebhookReceiver({
  service: onboarding,
  store,
  keys: parseSecrets(config.webhookSecrets),
  inboxTtlSeconds: config.webhookInboxTtlSeconds,
  actorType: config.mode === 'realto' ? 'upstream' : 'webhook',
});
