import type { DeployedFunction } from '../http/route.ts';
import { REQUEST_ITEMS_FILTER } from '../store/stream.ts';

/**
 * A function run by the table's stream (the committed transition is the outbox), declared beside the
 * routes in ./function-table.ts. Deployed through an event source mapping on the table's stream
 * (resources/functions.cjs); locally, scripts/local/streams.ts reads DynamoDB Local's stream and invokes
 * it the same way.
 */
export interface StreamConsumer extends DeployedFunction {
  timeout: number;
  environment: Record<string, string>;
  batchSize: number;
  /** Lambda's filter criteria: records that match none never reach the function. */
  filterPatterns: readonly object[];
  /** Tries of a failing batch (halved each time) before its position goes to this queue. */
  retries: number;
  deadLetterQueue: string;
}

export const EVENTS_PUBLISHER = {
  function: 'publishEvents',
  handler: 'functions/events/publish.handler',
  // Long enough to attempt a batch's deliveries (10 s each, 8 at a time) and a short retry or two.
  timeout: 60,
  // Reading the stream itself is granted with the event source mapping (serverless-iam-roles-per-function).
  access: { permissions: ['readRequest', 'queryTenantIndexes', 'writeEvents', 'putOnEventBus', 'eventsDeadLetters'] },
  environment: { DELIVERY_SAFETY_MARGIN_MS: '15000' },
  batchSize: 50,
  filterPatterns: [REQUEST_ITEMS_FILTER],
  retries: 20,
  deadLetterQueue: 'EventsDeadLetterQueue',
} satisfies StreamConsumer;

export const STREAM_CONSUMERS: readonly StreamConsumer[] = [EVENTS_PUBLISHER];
