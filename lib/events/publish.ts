import type { KindRegistry } from '../lifecycle/kind.ts';
import type { Cursor } from '../lifecycle/store.ts';
import type { StoredRequest } from '../lifecycle/types.ts';
import type { DeliveryEngine, Queued } from './delivery.ts';
import { MAX_ENDPOINTS_PER_TENANT } from './endpoints.ts';
import { type OutboundEvent, transitionEvent } from './event.ts';
import type { EventStore, WebhookEndpoint } from './store.ts';

/** A committed change of a request, as the table's stream tells it: the request after, and its version before. */
export interface RequestChange {
  request: StoredRequest;
  /** Undefined when the request was created by this change. */
  previousVersion: number | undefined;
}

/** The stage's EventBridge bus (./event-bridge.ts), for AWS-native consumers. */
export interface EventBus {
  put(events: readonly OutboundEvent[]): Promise<void>;
}

export interface PublisherOptions {
  store: EventStore;
  deliveries: DeliveryEngine;
  /** Every kind: an event shows the request as its kind's `GET` does. */
  kinds: KindRegistry;
  bus?: EventBus;
}

export interface PublishReport {
  events: number;
  deliveries: number;
  /** Endpoints whose deliveries were handed to a worker of their own. */
  endpoints: number;
}

/**
 * The outbox's reader: each committed transition in a batch of the table's stream becomes its event, put
 * on the bus, recorded as a delivery for every endpoint of the tenant that takes it, and handed off: each
 * endpoint's deliveries to a worker of their own (./delivery.ts). It never waits on a receiver, so no
 * endpoint, slow or failing, holds up the stream. A batch that fails is read again whole (the stream keeps
 * it); nothing is done twice that shows: the bus and the receivers dedupe by event id, a delivery is
 * created once whoever reads the record, and an attempt claims its delivery first.
 */
export function createPublisher(options: PublisherOptions) {
  const { store, deliveries } = options;

  /** Only changes that applied a transition: a new version. A details-only change is no event. */
  function eventsOf(changes: readonly RequestChange[]): Array<{ event: OutboundEvent; tenantId: string }> {
    const events: Array<{ event: OutboundEvent; tenantId: string }> = [];
    for (const { request, previousVersion } of changes) {
      if (previousVersion === request.version) continue;
      const kind = options.kinds.get(request.kind);
      if (!kind) continue;
      // The request as GET shows it, but for the end user's consent link, which transitionEvent leaves out.
      const event = transitionEvent(request, kind, kind.view(request, {}));
      if (event) events.push({ event, tenantId: request.tenantId });
    }
    return events;
  }

  /** Every endpoint of the tenant, page by page (the limit is kept by the write that creates one). */
  async function allEndpoints(tenantId: string): Promise<WebhookEndpoint[]> {
    const all: WebhookEndpoint[] = [];
    let after: Cursor | undefined;
    do {
      const page = await store.listEndpoints(tenantId, MAX_ENDPOINTS_PER_TENANT, after);
      all.push(...page.items);
      after = page.cursor;
    } while (after);
    return all;
  }

  return async function publish(changes: readonly RequestChange[]): Promise<PublishReport> {
    const events = eventsOf(changes);
    if (events.length === 0) return { events: 0, deliveries: 0, endpoints: 0 };
    await options.bus?.put(events.map(({ event }) => event));
    const endpointsByTenant = new Map<string, Promise<WebhookEndpoint[]>>();
    const endpointsOf = (tenantId: string) => {
      let found = endpointsByTenant.get(tenantId);
      if (!found) {
        found = allEndpoints(tenantId);
        endpointsByTenant.set(tenantId, found);
      }
      return found;
    };
    // The batch's events at once: each is a few independent writes, and a batch should take one write's time.
    const due: Queued[] = (
      await Promise.all(
        events.map(async ({ event, tenantId }) => {
          const endpoints = await endpointsOf(tenantId);
          return endpoints.length > 0 ? deliveries.enqueue(event, endpoints) : [];
        }),
      )
    ).flat();
    const endpoints = await deliveries.handOff(due);
    return { events: events.length, deliveries: due.length, endpoints };
  };
}

export type Publish = ReturnType<typeof createPublisher>;
