import pMap from 'p-map';
import type { Cursor } from '../lifecycle/store.ts';
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
/** Attempts in flight at once for one endpoint, in one hand-off. */
export const ENDPOINT_CONCURRENCY = 4;
/** Failed attempts in a row that open an endpoint's circuit: while open, scheduled attempts wait. */
export const CIRCUIT_FAILURES = 3;
/**
 * The longest an open circuit holds. It first holds for the schedule's first delay (about 5 s), twice as
 * long after each failed probe (the first attempt after it), so a dead receiver costs a worker a probe now
 * and then, and a live one is back within a retry's time.
 */
export const CIRCUIT_MAX_OPEN_MS = 5 * 60_000;
/** Event ids per hand-off: far below Lambda's 256 KB for an asynchronous invocation. */
const EVENTS_PER_HAND_OFF = 100;

/** One endpoint's deliveries, handed to a worker of their own (./lambda-hand-off.ts deployed and locally). */
export interface HandOff {
  endpointId: string;
  eventIds: string[];
}

/** Starts the attempts of each hand-off elsewhere and returns once they are queued there, not done. */
export type HandOffPort = (work: readonly HandOff[]) => Promise<void>;

/** True while the endpoint's circuit is open at `now`: no scheduled attempt is made. */
export const circuitOpen = (endpoint: Pick<WebhookEndpoint, 'circuitOpenUntil'>, now: Date): boolean =>
  Boolean(endpoint.circuitOpenUntil) && Date.parse(endpoint.circuitOpenUntil!) > now.getTime();

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
  /** Where the publisher and the sweep send each endpoint's deliveries; the endpoints API attempts itself. */
  handOff?: HandOffPort;
}

export interface SweepReport {
  /** Due deliveries handed off, and to how many endpoints' workers. */
  handedOff: number;
  endpoints: number;
  stoppedEarly: boolean;
}

export interface WorkerReport {
  attempted: number;
  succeeded: number;
  /** Not attempted: the endpoint's circuit is open (they stay due). */
  held: number;
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

  /**
   * What an endpoint's health becomes after an attempt; undefined when it does not change. Failures in a
   * row are counted: the third opens the circuit, and a failed probe after it opens it again.
   */
  function healthAfter(endpoint: WebhookEndpoint, succeeded: boolean): WebhookEndpoint | undefined {
    const at = now().toISOString();
    if (succeeded) {
      const healthy = endpoint.failingSince === null && !endpoint.consecutiveFailures && !endpoint.circuitOpenUntil;
      return healthy ? undefined : { ...endpoint, failingSince: null, consecutiveFailures: 0, circuitOpenUntil: null, version: endpoint.version + 1 };
    }
    const failingSince = endpoint.failingSince ?? at;
    const consecutiveFailures = (endpoint.consecutiveFailures ?? 0) + 1;
    const disable = !endpoint.disabled && now().getTime() - Date.parse(failingSince) >= DISABLE_AFTER_MS;
    const openMs = Math.min(CIRCUIT_MAX_OPEN_MS, (retrySeconds[0] ?? 5) * 1000 * 2 ** (consecutiveFailures - CIRCUIT_FAILURES));
    const circuitOpenUntil = consecutiveFailures >= CIRCUIT_FAILURES ? new Date(now().getTime() + openMs).toISOString() : (endpoint.circuitOpenUntil ?? null);
    return {
      ...endpoint,
      failingSince,
      consecutiveFailures,
      circuitOpenUntil,
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
    const endpoint = await store.getEndpoint(endpointId);
    // An open circuit holds the schedule's attempts (they stay due); one asked for through the API goes.
    if (endpoint && !manual && circuitOpen(endpoint, now())) return undefined;
    return attemptAt(endpoint, endpointId, eventId, manual);
  }

  /** The attempt, the endpoint as just read (undefined: deleted). */
  async function attemptAt(endpoint: WebhookEndpoint | undefined, endpointId: string, eventId: string, manual: boolean): Promise<DeliveryAttempt | undefined> {
    const claimedAt = now();
    const delivery = await store.claimDelivery(endpointId, eventId, {
      now: claimedAt.toISOString(),
      leaseUntil: new Date(claimedAt.getTime() + LEASE_MS).toISOString(),
      dueOnly: !manual,
    });
    if (!delivery) return undefined;
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
   * One endpoint's deliveries, in the worker they were handed to: at most ENDPOINT_CONCURRENCY at once;
   * then, while a retry of these falls due within `waitMs`, it waits for it and attempts again (so a
   * compressed schedule plays out in one invocation). The rest is the sweep's. Only this endpoint's
   * receiver is waited on here: another endpoint's work runs in a worker of its own.
   */
  async function deliverTo(endpointId: string, eventIds: readonly string[], waitMs = 0): Promise<WorkerReport> {
    const report: WorkerReport = { attempted: 0, succeeded: 0, held: 0 };
    const deadline = now().getTime() + waitMs;
    const start = now().toISOString();
    let waiting: DueDelivery[] = eventIds.map((eventId) => ({ endpointId, eventId, nextAttemptAt: start }));
    while (waiting.length > 0) {
      const at = now().getTime();
      const ready = waiting.filter((item) => Date.parse(item.nextAttemptAt) <= at);
      waiting = waiting.filter((item) => Date.parse(item.nextAttemptAt) > at);
      await pMap(
        ready,
        async (item) => {
          const endpoint = await store.getEndpoint(item.endpointId);
          if (endpoint && circuitOpen(endpoint, now())) {
            // Held while the circuit is open: tried again when it closes, if that is before the deadline.
            if (Date.parse(endpoint.circuitOpenUntil!) <= deadline) waiting.push({ ...item, nextAttemptAt: endpoint.circuitOpenUntil! });
            else report.held++;
            return;
          }
          const made = await attemptAt(endpoint, item.endpointId, item.eventId, false);
          if (!made) return;
          report.attempted++;
          if (made.statusCode !== null && made.statusCode >= 200 && made.statusCode < 300) report.succeeded++;
          if (made.nextAttemptAt && Date.parse(made.nextAttemptAt) <= deadline) {
            waiting.push({ endpointId: item.endpointId, eventId: item.eventId, nextAttemptAt: made.nextAttemptAt });
          }
        },
        { concurrency: ENDPOINT_CONCURRENCY },
      );
      if (waiting.length === 0) break;
      await sleep(Math.max(0, Math.min(...waiting.map((item) => Date.parse(item.nextAttemptAt))) - now().getTime()));
    }
    return report;
  }

  /** Due deliveries grouped by endpoint, each endpoint's handed to a worker of its own. */
  async function handOff(due: readonly Pick<DueDelivery, 'endpointId' | 'eventId'>[]): Promise<number> {
    if (due.length === 0) return 0;
    if (!options.handOff) throw new Error('No delivery worker is configured to hand deliveries to');
    const byEndpoint = new Map<string, string[]>();
    for (const { endpointId, eventId } of due) {
      const eventIds = byEndpoint.get(endpointId) ?? [];
      if (!eventIds.includes(eventId)) eventIds.push(eventId);
      byEndpoint.set(endpointId, eventIds);
    }
    const work: HandOff[] = [];
    for (const [endpointId, eventIds] of byEndpoint) {
      for (let from = 0; from < eventIds.length; from += EVENTS_PER_HAND_OFF)
        work.push({ endpointId, eventIds: eventIds.slice(from, from + EVENTS_PER_HAND_OFF) });
    }
    await options.handOff(work);
    return byEndpoint.size;
  }

  /**
   * The scheduled sweep: every delivery due by now, in every shard of the due index, handed to its
   * endpoint's worker. It attempts nothing itself, so no receiver can hold it up; a delivery whose worker
   * is still at it is not to be had by a second one (the claim), and stays due until it is recorded.
   */
  async function sweep(budget: { remainingMs: () => number; safetyMarginMs: number; pageSize?: number }): Promise<SweepReport> {
    const report: SweepReport = { handedOff: 0, endpoints: 0, stoppedEarly: false };
    const upTo = now().toISOString();
    for (let shard = 0; shard < store.dueShards; shard++) {
      let after: Cursor | undefined;
      do {
        if (budget.remainingMs() < budget.safetyMarginMs) return { ...report, stoppedEarly: true };
        const page = await store.listDue(shard, upTo, budget.pageSize ?? 100, after);
        report.endpoints += await handOff(page.items);
        report.handedOff += page.items.length;
        after = page.cursor;
      } while (after);
    }
    return report;
  }

  return { enqueue, attempt, deliverTo, handOff, sweep };
}

export type DeliveryEngine = ReturnType<typeof createDeliveryEngine>;
