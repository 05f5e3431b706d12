import * as v from 'valibot';
import { lowerCaseId, type Output, once, oneOf, pageQuery, strictObject, text } from '../lifecycle/schemas.ts';
import { SUBSCRIBABLE_EVENT_TYPES } from './event.ts';

/** The webhook endpoints API's input, each schema built on first use. */

const endpointUrl = () => v.pipe(v.string(), v.minLength(1), v.maxLength(2048));
const eventTypes = () =>
  v.pipe(
    v.array(oneOf(SUBSCRIBABLE_EVENT_TYPES)),
    v.minLength(1),
    v.maxLength(SUBSCRIBABLE_EVENT_TYPES.length),
    v.check((types) => new Set(types).size === types.length, 'must not repeat an event type'),
  );

export const createEndpointBody = once(() =>
  strictObject({
    url: endpointUrl(),
    eventTypes: v.optional(eventTypes()),
    description: v.nullish(text(500)),
  }),
);
export type CreateEndpointInput = Output<ReturnType<typeof createEndpointBody>>;

export const updateEndpointBody = once(() =>
  v.pipe(
    strictObject({
      url: v.optional(endpointUrl()),
      eventTypes: v.optional(eventTypes()),
      disabled: v.optional(v.boolean()),
      description: v.nullish(text(500)),
    }),
    v.check((patch) => Object.keys(patch).length > 0, 'must change at least one of url, eventTypes, disabled, description'),
  ),
);
export type UpdateEndpointInput = Output<ReturnType<typeof updateEndpointBody>>;

export const endpointIdParams = once(() => strictObject({ endpointId: lowerCaseId() }));

/** Event ids are ours: `evt_<request id>_<version>`, or `evt_test_<uuid>` for tests. */
export const deliveryParams = once(() =>
  strictObject({
    endpointId: lowerCaseId(),
    eventId: v.pipe(v.string(), v.maxLength(100), v.regex(/^evt_[0-9a-z_-]+$/i, 'must be an event id (evt_…)')),
  }),
);

export { pageQuery };
