import pMap from 'p-map';
import { parseSecrets, sign } from '../webhooks/signature.ts';
import type { OutboundEvent } from './event.ts';
import type { Sender } from './http-sender.ts';
import type { Delivery, DeliveryAttempt, DueDelivery, EventStore, WebhookEndpoint } from './store.ts';

/**
 * Delivery: each event to each endpoint that subscribed, signed the Standard Webhooks way
 * with `webhook-id` = the event id, any 2xx a success. Anything else is retried on the schedule, with
 * jitter, then the delivery is failed; an endpoint that has not had a success for five days is disabled.
 * The retry state lives in the table, found through a sparse due index (docs/events.md says why not a
 * queue). Every attempt first claims its delivery for a while, so two readers of one event, or a sweep
 * and a retry, never send it twice at once; receivers still dedupe by `webhook-id`, as retries repeat it.
 */

export const DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
/** The rotated-out secret keeps signing beside the new one this long. */
export const PREVIOUS_SECRET_MS = 24 * 60 * 60 * 1000;
/** How long a claim holds: longer than an attempt can take (a 10 s timeout, and writing its outcome). */
const LEASE_MS = 30_000;
/** Attempts run at once, per reader. */
const CONCURRENCY = 8;

export interface DeliveryEngineOptions {
  store: EventStore;
  sender: Sender;
  /** Seconds to wait before each retry; its length is how many retries there are. */
  retrySeconds: readonly number[];
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told when the service disables an endpoint, for the log. */
  onDisabled?: (endpoint: WebhookEndpoint) => void;
}

export interface SweepReport {
  attempted: number;
  succeeded: number;
  failed: number;
  stoppedEarly: boolean;
}

export function signatureHeaders(
  endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  id: string,
  body: string,
  now: Date,
) {
  const timestamp = Math.floor(now.getTime() / 1000);
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && Date.parse(endpoint.previousSecretExpiresAt) > now.getTime()) {
    secrets.push(endpoint.previousSecret);
  }
  return {
    'content-type': 'application/json',
    'user-agent': 'onboarding-service-webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => sign(parseSecrets(secret)[0]!, id, timestamp, body)).join(' '),
  };
}

export function createDeliveryEngine(options: DeliveryEngineOptions) {
  const { store, sender, retrySeconds } = options;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** When retry number `retry` (1-based) is due after a failure now: the schedule's delay, ±20 %. */
  function retryAt(retry: number): string | null {
    const seconds = retrySeconds[retry - 1];
    if (seconds === undefined) return null;
    return new Date(now().getTime() + seconds * 1000 * (0.8 + 0.4 * random())).toISOString();
  }

  /** One delivery per endpoint that takes the event (existing ones kept): what is to be attempted now. */
  async function enqueue(event: OutboundEvent, endpoints: readonly WebhookEndpoint[]): Promise<DueDelivery[]> {
    const at = now().toISOString();
    const takers = endpoints.filter((endpoint) => !endpoint.disabled && (event.type === 'webhook.test' || endpoint.eventTypes.includes(event.type)));
    const payload = JSON.stringify(event);
    await Promise.all(
      takers.map((endpoint) =>
        store.insertDelivery({
          endpointId: endpoint.id,
          eventId: event.id,
          eventType: event.type,
          payload,
          created: at,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: at,
        }),
      ),
    );
    return takers.map((endpoint) => ({ endpointId: endpoint.id, eventId: event.id, nextAttemptAt: at }));
  }

  /** What an endpoint's health becomes after an attempt; undefined when it does not change. */
  function healthAfter(endpoint: WebhookEndpoint, succeeded: boolean): WebhookEndpoint | undefined {
    const at = now().toISOString();
    if (succeeded) return endpoint.failingSince === null ? undefined : { ...endpoint, failingSince: null, version: endpoint.version + 1 };
    const failingSince = endpoint.failingSince ?? at;
    const disable = !endpoint.disabled && now().getTime() - Date.parse(failingSince) >= DISABLE_AFTER_MS;
    if (endpoint.failingSince !== null && !disable) return undefined;
    return {
      ...endpoint,
      failingSince,
      ...(disable ? { disabled: true, disabledReason: 'No delivery succeeded for 5 days', updated: at } : {}),
      version: endpoint.version + 1,
    };
  }

  /** The endpoint's health after an attempt, from the endpoint as read for it (read again only if it changed meanwhile). */
  async function updateHealth(read: WebhookEndpoint, succeeded: boolean) {
    let endpoint: WebhookEndpoint | undefined = read;
    for (let attempt = 0; attempt < 3 && endpoint; attempt++) {
      const next = healthAfter(endpoint, succeeded);
      if (!next) return;
      if ((await store.replaceEndpoint(endpoint, next)) === 'applied') {
        if (next.disabled && !endpoint.disabled) options.onDisabled?.(next);
        return;
      }
      endpoint = await store.getEndpoint(read.id);
    }
  }

  /**
   * One attempt at a delivery: claimed first (a scheduled attempt only when it is due), sent, and recorded
   * with the delivery's new state. A manual attempt (retry, test) does not move the schedule: it can only
   * turn the delivery into a success. Undefined when the delivery was not to be had.
   */
  async function attempt(endpointId: string, eventId: string, manual = false): Promise<DeliveryAttempt | undefined> {
    const claimedAt = now();
    const delivery = await store.claimDelivery(endpointId, eventId, {
      now: claimedAt.toISOString(),
      leaseUntil: new Date(claimedAt.getTime() + LEASE_MS).toISOString(),
      dueOnly: !manual,
    });
    if (!delivery) return undefined;
    const endpoint = await store.getEndpoint(endpointId);
    const number = delivery.attempts + 1;
    const record = (statusCode: number | null, error: string | null, durationMs: number): { next: Delivery; attempt: DeliveryAttempt } => {
      const succeeded = statusCode !== null && statusCode >= 200 && statusCode < 300;
      const final = !endpoint || (endpoint.disabled && !manual);
      const nextAttemptAt = succeeded || final ? null : manual ? delivery.nextAttemptAt : retryAt(number);
      const status = succeeded ? 'succeeded' : final ? 'failed' : manual ? delivery.status : nextAttemptAt === null ? 'failed' : 'pending';
      return {
        next: { ...delivery, attempts: number, status, nextAttemptAt: status === 'pending' ? nextAttemptAt : null },
        attempt: {
          eventId,
          eventType: delivery.eventType,
          attempt: number,
          at: now().toISOString(),
          statusCode,
          error,
          durationMs,
          nextAttemptAt: status === 'pending' && !manual ? nextAttemptAt : null,
          manual,
        },
      };
    };
    if (!endpoint || (endpoint.disabled && !manual)) {
      const { next, attempt: made } = record(null, endpoint ? 'the endpoint is disabled' : 'the endpoint was deleted', 0);
      await store.recordAttempt(next, made);
      return made;
    }
    const outcome = await sender.send(endpoint.url, signatureHeaders(endpoint, delivery.eventId, delivery.payload, now()), delivery.payload);
    const { next, attempt: made } = 'status' in outcome ? record(outcome.status, null, outcome.durationMs) : record(null, outcome.error, outcome.durationMs);
    await store.recordAttempt(next, made);
    await updateHealth(endpoint, next.status === 'succeeded');
    return made;
  }

  /**
   * Attempts what is due now; then, while a retry of these falls due within `waitMs`, waits for it and
   * attempts again (so a compressed schedule plays out in one invocation). The rest is the sweep's.
   */
  async function deliver(due: readonly DueDelivery[], waitMs = 0): Promise<DeliveryAttempt[]> {
    const deadline = now().getTime() + waitMs;
    const made: DeliveryAttempt[] = [];
    let waiting = [...due];
    while (waiting.length > 0) {
      const at = now().getTime();
      const ready = waiting.filter((item) => Date.parse(item.nextAttemptAt) <= at);
      waiting = waiting.filter((item) => Date.parse(item.nextAttemptAt) > at);
      await pMap(
        ready,
        async (item) => {
          const result = await attempt(item.endpointId, item.eventId);
          if (!result) return;
          made.push(result);
          if (result.nextAttemptAt && Date.parse(result.nextAttemptAt) <= deadline) {
            waiting.push({ endpointId: item.endpointId, eventId: item.eventId, nextAttemptAt: result.nextAttemptAt });
          }
        },
        { concurrency: CONCURRENCY },
      );
      if (waiting.length === 0) break;
      await sleep(Math.max(0, Math.min(...waiting.map((item) => Date.parse(item.nextAttemptAt))) - now().getTime()));
    }
    return made;
  }

  /**
   * The scheduled sweep: every due delivery of every shard, attempted; then, while the next one falls due
   * before the time is up, it waits for it. Stops with `safetyMarginMs` to spare.
   */
  async function sweep(budget: { remainingMs: () => number; safetyMarginMs: number; pageSize?: number }): Promise<SweepReport> {
    const report: SweepReport = { attempted: 0, succeeded: 0, failed: 0, stoppedEarly: false };
    const outOfTime = () => budget.remainingMs() < budget.safetyMarginMs;
    for (;;) {
      for (let shard = 0; shard < store.dueShards; shard++) {
        for (;;) {
          if (outOfTime()) return { ...report, stoppedEarly: true };
          const due = await store.listDue(shard, now().toISOString(), budget.pageSize ?? 25);
          if (due.length === 0) break;
          let progressed = false;
          await pMap(
            due,
            async (item) => {
              if (outOfTime()) return;
              const made = await attempt(item.endpointId, item.eventId);
              if (!made) return;
              progressed = true;
              report.attempted++;
              if (made.statusCode !== null && made.statusCode >= 200 && made.statusCode < 300) report.succeeded++;
              else report.failed++;
            },
            { concurrency: CONCURRENCY },
          );
          // Every one of them held by another reader: leave the shard to it.
          if (!progressed) break;
        }
      }
      const next = (await Promise.all(Array.from({ length: store.dueShards }, (_, shard) => store.nextDue(shard))))
        .filter((at): at is string => at !== undefined)
        .map((at) => Date.parse(at))
        .sort((a, b) => a - b)[0];
      const wait = next === undefined ? Number.POSITIVE_INFINITY : next - now().getTime();
      if (wait > budget.remainingMs() - budget.safetyMarginMs) return report;
      // At least a second: a delivery held by another reader stays due until that reader records it.
      await sleep(Math.max(wait, 1_000));
    }
  }

  return { enqueue, attempt, deliver, sweep };
}

export type DeliveryEngine = ReturnType<typeof createDeliveryEngine>;
