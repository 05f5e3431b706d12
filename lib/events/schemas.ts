import * as z from 'zod/mini';
import { lowerCaseId, once, pageQuery, text } from '../lifecycle/schemas.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from './event.ts';

/** The webhook endpoints API's input, each schema built on first use. */

const endpointUrl = () => z.string().check(z.minLength(1), z.maxLength(2048));
const eventTypes = () =>
  z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)).check(
    z.minLength(1),
    z.maxLength(SUBSCRIBABLE_EVENT_TYPES.length),
    z.refine((types) => new Set(types).size === types.length, 'must not repeat an event type'),
  );

export const createEndpointBody = once(() =>
  z.strictObject({
    url: endpointUrl(),
    eventTypes: z.optional(eventTypes()),
    description: z.optional(z.nullable(text(500))),
  }),
);
export type CreateEndpointInput = z.infer<ReturnType<typeof createEndpointBody>>;

export const updateEndpointBody = once(() =>
  z
    .strictObject({
      url: z.optional(endpointUrl()),
      eventTypes: z.optional(eventTypes()),
      disabled: z.optional(z.boolean()),
      description: z.optional(z.nullable(text(500))),
    })
    .check(z.refine((patch) => Object.keys(patch).length > 0, 'must change at least one of url, eventTypes, disabled, description')),
);
export type UpdateEndpointInput = z.infer<ReturnType<typeof updateEndpointBody>>;

export const endpointIdParams = once(() => z.strictObject({ endpointId: lowerCaseId() }));

/** Event ids are ours: `evt_<request id>_<version>`, or `evt_test_<uuid>` for tests. */
export const deliveryParams = once(() =>
  z.strictObject({
    endpointId: lowerCaseId(),
    eventId: z.string().check(z.maxLength(100), z.regex(/^evt_[0-9a-z_-]+$/i, 'must be an event id (evt_…)')),
  }),
);

export { pageQuery };
