import * as v from 'valibot';
import type { DeployedFunction, Permission } from '../http/route.ts';
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
  /** Batches of one shard handled at once (Lambda's ParallelizationFactor, 1 to 10). */
  parallelization: number;
  /** Seconds Lambda gathers records before invoking (MaximumBatchingWindowInSeconds). */
  batchWindowSeconds: number;
  /** Lambda's filter criteria: records that match none never reach the function. */
  filterPatterns: readonly object[];
  /** Tries of a failing batch (halved each time) before its position goes to this queue. */
  retries: number;
  deadLetterQueue: string;
}

export const EVENTS_PUBLISHER = {
  function: 'publishEvents',
  handler: 'functions/events/publish.handler',
  // It records and hands off; it never waits on a receiver, so a batch takes as long as its writes.
  timeout: 30,
  // Reading the stream itself is granted with the event source mapping (serverless-iam-roles-per-function).
  access: { permissions: ['readRequest', 'queryTenantIndexes', 'writeEvents', 'putOnEventBus', 'invokeDeliveryWorker', 'eventsDeadLetters'] },
  environment: {},
  batchSize: 50,
  // Up to 10 batches of one shard at once (records of one request stay in order); with no receiver in
  // the way, a batch is a few writes per event (docs/events.md, "Ceilings").
  parallelization: 4,
  batchWindowSeconds: 0,
  filterPatterns: [REQUEST_ITEMS_FILTER],
  retries: 20,
  deadLetterQueue: 'EventsDeadLetterQueue',
} satisfies StreamConsumer;

export const STREAM_CONSUMERS: readonly StreamConsumer[] = [EVENTS_PUBLISHER];

/**
 * A function another function invokes asynchronously (Lambda's own queue, retries and dead letters),
 * declared beside the routes in ./function-table.ts. Locally the gateway answers Lambda's Invoke API the
 * same way (scripts/local/gateway.ts).
 */
export interface AsyncWorker extends DeployedFunction {
  timeout: number;
  environment: Record<string, string>;
  /** The permission that lets a function invoke it; such a function is given its name in `nameSetting`. */
  invokedWith: Permission;
  /** The environment variable its callers find it by (the stack sets it to the function's name). */
  nameSetting: string;
  /** Lambda's retries of a failed invocation, before it goes to the dead-letter queue. */
  retries: number;
  deadLetterQueue: string;
  /** Environments at once, locally (deployed, the account's concurrency). */
  localConcurrency: number;
}

/**
 * One endpoint's deliveries: the publisher and the sweep hand each endpoint's to an invocation of its own,
 * so a receiver that never answers holds only its own endpoint's worker (and its circuit soon holds none).
 */
export const DELIVERY_WORKER = {
  function: 'attemptDeliveries',
  handler: 'functions/events/attempt.handler',
  // A 10 s attempt, a short retry or two of a compressed schedule, and writing the outcome.
  timeout: 60,
  access: { permissions: ['readRequest', 'writeEvents', 'eventsDeadLetters'] },
  environment: { DELIVERY_SAFETY_MARGIN_MS: '15000' },
  invokedWith: 'invokeDeliveryWorker',
  nameSetting: 'DELIVERY_WORKER_FUNCTION',
  retries: 2,
  deadLetterQueue: 'EventsDeadLetterQueue',
  localConcurrency: 64,
} satisfies AsyncWorker;

/**
 * What the publisher and the sweep hand the delivery worker: one endpoint and up to 100 of its events, with
 * the lease the publisher made them under and their payloads, or with neither (the worker claims each).
 */
export const handOffInput = v.object({
  endpointId: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  lease: v.optional(v.object({ owner: v.pipe(v.string(), v.minLength(1), v.maxLength(100)), until: v.string() })),
  due: v.optional(v.boolean()),
  events: v.pipe(
    v.array(v.object({ id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)), payload: v.optional(v.string()) })),
    v.minLength(1),
    v.maxLength(100),
  ),
});

export const ASYNC_WORKERS: readonly AsyncWorker[] = [DELIVERY_WORKER];
