import { createRequire } from 'node:module';
import type * as EventBridge from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { OutboundEvent } from './event.ts';
import type { EventBus } from './publish.ts';

/** The SDK's client is required on first use, not imported (see lib/store/sdk.ts). */
const load = createRequire(import.meta.url);

/** PutEvents takes at most this many entries per call. */
const ENTRIES_PER_CALL = 10;
export const EVENT_SOURCE = 'onboarding.service';

/**
 * The stage's EventBridge bus: every event, source `onboarding.service`, `detail-type` its
 * type, the event itself as the detail. The client is loaded on first use, so functions without a bus
 * (every local run) never load it. An entry the bus refuses fails the call: the stream batch is read again.
 */
export function eventBridgeBus(busName: string, options: { endpoint?: string } = {}): EventBus {
  let client: EventBridgeClient | undefined;
  return {
    async put(events) {
      const { EventBridgeClient, PutEventsCommand } = load('@aws-sdk/client-eventbridge') as typeof EventBridge;
      client ??= new EventBridgeClient({ maxAttempts: 3, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
      for (let start = 0; start < events.length; start += ENTRIES_PER_CALL) {
        const chunk: readonly OutboundEvent[] = events.slice(start, start + ENTRIES_PER_CALL);
        const result = await client.send(
          new PutEventsCommand({
            Entries: chunk.map((event) => ({
              EventBusName: busName,
              Source: EVENT_SOURCE,
              DetailType: event.type,
              Detail: JSON.stringify(event),
              Time: new Date(event.timestamp),
            })),
          }),
        );
        if (result.FailedEntryCount) {
          const reasons = [...new Set((result.Entries ?? []).map((entry) => entry.ErrorCode).filter(Boolean))].join(', ');
          throw new Error(`EventBridge refused ${result.FailedEntryCount} of ${chunk.length} events (${reasons})`);
        }
      }
    },
  };
}
