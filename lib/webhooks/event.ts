import * as v from 'valibot';
import { ALL_KINDS, eventTypesOf } from '../kinds/index.ts';
import { boundedJson, dateTime, type Output, once, oneOf, uuid } from '../lifecycle/schemas.ts';

/** The event types a provider may send: one per kind's event (lib/kinds/index.ts). */
export const PROVIDER_EVENT_TYPES = eventTypesOf(ALL_KINDS) as [string, ...string[]];

export const WEBHOOK_STATUSES = ['Processing', 'Succeeded', 'Failed', 'Canceled'] as const;

const bounded = (min: number, max: number) => v.pipe(v.string(), v.minLength(min), v.maxLength(max));

/**
 * The entity the platform made, as a JSON object (Valibot's `record` would take an array and turn it into
 * one): names of at most 256 characters, values nested as deep as a device property may be.
 */
const entityFields = () =>
  v.pipe(
    v.custom<Record<string, unknown>>(
      (input) => isJsonObject(input) && Object.entries(input).every(([name, value]) => name.length <= 256 && v.is(boundedJson(), value)),
      'must be a JSON object of names up to 256 characters',
    ),
    v.metadata({ type: 'object', propertyNames: { type: 'string', maxLength: 256 }, additionalProperties: {} }),
  );

const isJsonObject = (input: unknown): input is Record<string, unknown> => typeof input === 'object' && input !== null && !Array.isArray(input);

/**
 * A provider's status event (docs/webhooks.md). Not strict: providers may add fields in newer versions, and
 * a signed event must not bounce for that. What we use is checked.
 */
export const webhookEvent = once(() =>
  v.object({
    type: oneOf(PROVIDER_EVENT_TYPES),
    timestamp: dateTime(40),
    data: v.object({
      id: uuid(),
      status: oneOf(WEBHOOK_STATUSES),
      errors: v.optional(v.pipe(v.array(v.object({ code: bounded(1, 100), message: v.pipe(v.string(), v.maxLength(1000)) })), v.maxLength(50))),
      entity: v.optional(entityFields()),
    }),
  }),
);
export type WebhookEvent = Output<ReturnType<typeof webhookEvent>>;

/** The Standard Webhooks headers, for the document; ./signature.ts checks them, signature first. */
export const webhookHeaders = [
  {
    name: 'webhook-id',
    required: true,
    schema: once(() => bounded(1, 256)),
    description: 'The message id; a redelivery repeats it',
  },
  {
    name: 'webhook-timestamp',
    required: true,
    schema: once(() => v.pipe(v.string(), v.maxLength(12), v.regex(/^\d{1,12}$/))),
    description: 'Unix seconds; refused outside ±300 s of now',
  },
  {
    name: 'webhook-signature',
    required: true,
    schema: once(() => bounded(1, 1024)),
    description: 'Space-separated `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{raw body}`',
  },
] as const;
