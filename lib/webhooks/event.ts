import * as z from 'zod/mini';
import { boundedJson } from '../lifecycle/schemas.ts';

/**
 * A provider's status event (contract §6; offboarding's in §12). Not strict: providers may add fields in newer versions, and a
 * signed event must not bounce for that. What we use is checked.
 */
export const WEBHOOK_STATUSES = ['Processing', 'Succeeded', 'Failed', 'Canceled'] as const;

export const webhookEvent = z.lazy(() => z.object({
  type: z.enum(['onboarding.status.updated', 'offboarding.status.updated']),
  timestamp: z.iso.datetime({ offset: true }).check(z.maxLength(40)),
  data: z.object({
    id: z.guid(),
    status: z.enum(WEBHOOK_STATUSES),
    errors: z.optional(z.array(z.object({
      code: z.string().check(z.minLength(1), z.maxLength(100)),
      message: z.string().check(z.maxLength(1000)),
    })).check(z.maxLength(50))),
    entity: z.optional(z.record(z.string().check(z.maxLength(256)), boundedJson())),
  }),
}));
export type WebhookEvent = z.infer<typeof webhookEvent>;

/** The Standard Webhooks headers, for the document; ./signature.ts checks them, signature first. */
export const webhookHeaders = [
  { name: 'webhook-id', required: true, schema: z.string().check(z.minLength(1), z.maxLength(256)), description: 'The message id; a redelivery repeats it' },
  { name: 'webhook-timestamp', required: true, schema: z.string().check(z.maxLength(12), z.regex(/^\d{1,12}$/)), description: 'Unix seconds; refused outside ±300 s of now' },
  { name: 'webhook-signature', required: true, schema: z.string().check(z.minLength(1), z.maxLength(1024)), description: 'Space-separated `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{raw body}`' },
] as const;
