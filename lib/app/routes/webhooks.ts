import { route } from '../../http/route.ts';
import { webhookEvent, webhookHeaders } from '../../webhooks/event.ts';

/** The providers' signed webhook, part of the route table of ../function-table.ts. */
export const WEBHOOK_ROUTE = route({
  function: 'onboardingWebhook',
  handler: 'functions/webhooks/provider-events.handler',
  access: {
    permissions: ['readRequest', 'writeRequest', 'writeWebhookMessage', 'writeEntityRegistry', 'signProofs'],
    secrets: ['webhookSecrets'],
  },
  http: {
    method: 'POST',
    path: '/v1/webhooks/onboarding',
    auth: 'signature',
    input: { rawBody: webhookEvent, headers: webhookHeaders },
    ok: { status: 200, description: 'Applied, a duplicate of a delivered message, or ignored (not allowed now); never retry a 200', body: 'WebhookOutcome' },
    errors: [400, 401, 404, 409, 413],
    operationId: 'receiveOnboardingWebhook',
    summary: 'A provider reports progress (Standard Webhooks signature, no bearer token)',
    tag: 'Webhooks',
  },
});
