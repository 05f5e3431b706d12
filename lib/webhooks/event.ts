import * as z from 'zod/mini';
import { ALL_KINDS, eventTypesOf } from '../kinds/index.ts';
import { boundedJson, once } from '../lifecycle/schemas.ts';

/** The event types a provider may send: one per kind's event (lib/kinds/index.ts). */
export const PROVIDER_EVENT_TYPES = eventTypesOf(ALL_KINDS) as [string, ...string[]];

export const WEBHOOK_STATUSES = ['Processing', 'Succeeded', 'Failed', 'Canceled'] as const;

/**
 * A provider's status event (docs/webhooks.md). Not strict: providers may add fields in newer versions, and
 * a signed event must not bounce for that. What we use is checked.
 */
export const webhookEvent = once(() =>
  z.object({
    type: z.enum(PROVIDER_EVENT_TYPES),
    timestamp: z.iso.datetime({ offset: true }).check(z.maxLength(40)),
    data: z.object({
      id: z.guid(),
      status: z.enum(WEBHOOK_STATUSES),
      errors: z.optional(
        z.array(z.object({ code: z.string().check(z.minLength(1), z.maxLength(100)), message: z.string().check(z.maxLength(1000)) })).check(z.maxLength(50)),
      ),
      entity: z.optional(z.record(z.string().check(z.maxLength(256)), boundedJson())),
    }),
  }),
);
export type WebhookEvent = z.infer<ReturnType<typeof webhookEvent>>;

/** The Standard Webhooks headers, for the document; ./signature.ts checks them, signature first. */
export const webhookHeaders = [
  {
    name: 'webhook-id',
    required: true,
    schema: once(() => z.string().check(z.minLength(1), z.maxLength(256))),
    description: 'The message id; a redelivery repeats it',
  },
  {
    name: 'webhook-timestamp',
    required: true,
    schema: once(() => z.string().check(z.maxLength(12), z.regex(/^\d{1,12}$/))),
    description: 'Unix seconds; refused outside ±300 s of now',
  },
  {
    name: 'webhook-signature',
    required: true,
    schema: once(() => z.string().check(z.minLength(1), z.maxLength(1024))),
    description: 'Space-separated `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{raw body}`',
  },
] as const;
