import { ALL_KINDS, eventTypesOf } from '../kinds/index.ts';
import { type AnyKind, withoutConsentLink } from '../lifecycle/kind.ts';
import type { StoredRequest, TransitionSummary } from '../lifecycle/types.ts';

/**
 * Outbound events: what integrators are told instead of polling. One per applied
 * transition, read off the committed request item (its `lastTransition`), so an event exists for every
 * committed transition and for no other.
 */

/**
 * The event types an endpoint may subscribe to, one per kind's event (lib/kinds/index.ts); `webhook.test`
 * goes only to the endpoint it tests.
 */
export const SUBSCRIBABLE_EVENT_TYPES = eventTypesOf(ALL_KINDS) as [string, ...string[]];
export type SubscribableEventType = string;
export type EventType = SubscribableEventType | 'webhook.test';

export interface OutboundEvent {
  /** Stable per transition (request id and version), so receivers dedupe redeliveries by it (`webhook-id`). */
  id: string;
  type: EventType;
  timestamp: string;
  data: Record<string, unknown>;
}

export function transitionEventId(requestId: string, version: number): string {
  return `evt_${requestId}_${version}`;
}

/**
 * The event of the transition that made `request` what it is: the request as `GET` shows it (`view`),
 * without the end user's consent link, plus the transition. Undefined for a request stored before
 * transitions were kept on it.
 */
export function transitionEvent(request: StoredRequest, kind: Pick<AnyKind, 'event'>, view: object): OutboundEvent | undefined {
  const transition: TransitionSummary | undefined = request.lastTransition;
  if (!transition || transition.version !== request.version) return undefined;
  return {
    id: transitionEventId(request.id, transition.version),
    type: kind.event,
    timestamp: transition.at,
    data: { ...withoutConsentLink(view), transition },
  };
}

/** What `POST …/{id}/test` sends: recognisably a test, with nothing of any request in it. */
export function testEvent(endpointId: string, id: string, at: string): OutboundEvent {
  return { id, type: 'webhook.test', timestamp: at, data: { endpointId, message: 'A test event from the onboarding service.' } };
}
