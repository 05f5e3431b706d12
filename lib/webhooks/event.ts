import * as z from 'zod/mini';
import { boundedJson } from '../onboarding/schemas.ts';

/**
 * A provider's status event (contract §6). Not strict: providers may add fields in newer versions, and a
 * signed event must not bounce for that. What we use is checked.
 */
export const WEBHOOK_STATUSES = ['Processing', 'Succeeded', 'Failed', 'Canceled'] as const;

export const webhookEvent = z.object({
  type: z.literal('onboarding.status.updated'),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.object({
    id: z.guid(),
    status: z.enum(WEBHOOK_STATUSES),
    errors: z.optional(z.array(z.object({
      code: z.string().check(z.minLength(1), z.maxLength(100)),
      message: z.string().check(z.maxLength(1000)),
    })).check(z.maxLength(50))),
    entity: z.optional(z.record(z.string(), boundedJson())),
  }),
});
export type WebhookEvent = z.infer<typeof webhookEvent>;
