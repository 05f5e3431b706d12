import pMap from 'p-map';
import type { Cursor } from '../lifecycle/store.ts';
import { parseSecrets, sign } from '../webhooks/signature.ts';
import type { OutboundEvent } from './event.ts';
import type { Sender } from './http-sender.ts';
import type { Delivery, DeliveryAttempt, EventStore, Lease, WebhookEndpoint } from './store.ts';

/**
 * Delivery: each event to each endpoint that subscribed, signed the Standard Webhooks way
 * with `webhook-id` = the event id, any 2xx a success. Anything else is retried on the schedule, with
 * jitter, then the delivery is failed; an endpoint that has not had a success for five days is disabled.
 * The retry state lives in the table, found through a sparse due index (docs/events.md says why not a
 * queue). Every attempt is made under a lease on its delivery, so two readers of one event, or a sweep and
 * a retry, never send it twice at once; receivers still dedupe by `webhook-id`, as retries repeat it. The
 * publisher makes each delivery already leased to itself and hands it off with the payload: a first
 * attempt that succeeds costs the delivery's creation, its outcome and the attempt's line, nothing more.
 */

export const DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
/** The rotated-out secret keeps signing beside the new one this long. */
export const PREVIOUS_SECRET_MS = 24 * 60 * 60 * 1000;
/** How long a claim holds: longer than an attempt can take (a 10 s timeout, and writing its outcome). */
const LEASE_MS = 30_000;
/** How much of its lease a delivery made by the publisher must have left for its worker to send it as it is. */
const SEND_MS = 12_000;
/**
 * An endpoint not proven (never a success, or failing since) gets one attempt at a time: its turn, a mark
 * on the endpoint for as long as an attempt may take (the 10 s timeout and writing the outcome).
 */
const BUSY_MS = 12_000;
/** A failure slower than this (a receiver that did not answer in time) is retried by the sweep, not waited for. */
const SLOW_MS = 2_000;
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
/** Due deliveries the sweep gathers, over all its shards, before it hands them off by endpoint. */
const SWEEP_GATHERS = 2_000;
/** Events per hand-off, and the payload bytes one carries: below Lambda's 256 KB for an asynchronous invocation. */
const EVENTS_PER_HAND_OFF = 100;
const PAYLOAD_BYTES_PER_HAND_OFF = 160 * 1024;

/**
 * One endpoint's deliveries, handed to a worker of their own (./lambda-hand-off.ts deployed and locally).
 * With `lease`, the publisher made them under it and they go out as they are, with the payloads carried
 * here; without, the worker claims each and reads what it lacks.
 */
export interface HandOff {
  endpointId: string;
  lease?: Lease;
  /** The sweep's: retries that fell due (else first attempts). */
  due?: boolean;
  events: Array<{ id: string; payload?: string | undefined }>;
}

/** A delivery to be attempted: made now (`lease`) or found made by an earlier reader of the event. */
export interface Queued {
  endpointId: string;
  eventId: string;
  payload: string;
  lease?: Lease;
}

/** Starts the attempts of each hand-off elsewhere and returns once they are queued there, not done. */
export type HandOffPort = (work: readonly HandOff[]) => Promise<void>;

/** Any 2xx is a success. */
const isSuccess = (statusCode: number | null): boolean => statusCode !== null && statusCode >= 200 && statusCode < 300;

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
  const newLease = (): Lease => ({ owner: crypto.randomUUID(), until: new Date(now().getTime() + LEASE_MS).toISOString() });

  /** When retry number `retry` (1-based) is due after a failure now: the schedule's delay, ±20 %. */
  function retryAt(retry: number): string | null {
    const seconds = retrySeconds[retry - 1];
    if (seconds === undefined) return null;
    return new Date(now().getTime() + seconds * 1000 * (0.8 + 0.4 * random())).toISOString();
  }

  /**
   * One delivery per endpoint that takes the event, made under `lease` (the event's payload stored once,
   * for its retries): what is to be attempted. One a reader made before is attempted again only while no
   * attempt was made (that reader may have died before handing it off); its worker claims it first.
   */
  async function enqueue(event: OutboundEvent, endpoints: readonly WebhookEndpoint[], lease: Lease = newLease()): Promise<Queued[]> {
    const takers = endpoints.filter((endpoint) => !endpoint.disabled && (event.type === 'webhook.test' || endpoint.eventTypes.includes(event.type)));
    if (takers.length === 0) return [];
    const at = now().toISOString();
    const payload = JSON.stringify(event);
    // An endpoint whose circuit is open, or whose turn another attempt has, gets its delivery due when that
    // ends, for the sweep: no worker is started for it now. One never tried also leaves the event with the
    // attempt that has the turn, which sends it once it succeeds.
    const heldUntil = (endpoint: WebhookEndpoint) => {
      const until = [endpoint.circuitOpenUntil, turnHeld(endpoint) ? endpoint.busyUntil : null]
        .filter((at): at is string => !!at && Date.parse(at) > now().getTime())
        .sort()
        .at(-1);
      return until ?? null;
    };
    const held = takers.map(heldUntil);
    const [, ...made] = await Promise.all([
      store.putPayload(event.id, payload, at),
      ...takers.map((endpoint, index) => {
        const until = held[index]!;
        const delivery: Delivery = {
          endpointId: endpoint.id,
          eventId: event.id,
          eventType: event.type,
          created: at,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: until,
        };
        return store.insertDelivery(delivery, until ? undefined : lease);
      }),
    ]);
    const queued = await Promise.all(
      takers.map(async (endpoint, index): Promise<Queued[]> => {
        const result = made[index]!;
        if (held[index]) {
          // A turn that ended meanwhile leaves no one to send it: its worker claims it now.
          const left = !circuitOpen(endpoint, now()) && result.created && !(await leaveWithTurn(endpoint, [event.id]));
          return left ? [{ endpointId: endpoint.id, eventId: event.id, payload }] : [];
        }
        if (result.created) return [{ endpointId: endpoint.id, eventId: event.id, payload, lease }];
        const { status, attempts } = result.existing;
        return status === 'pending' && attempts === 0 ? [{ endpointId: endpoint.id, eventId: event.id, payload }] : [];
      }),
    );
    return queued.flat();
  }

  /**
   * What an endpoint's health becomes after an attempt; undefined when it does not change. Failures in a
   * row are counted: the third opens the circuit, and a failed probe after it opens it again.
   */
  function healthAfter(endpoint: WebhookEndpoint, succeeded: boolean): WebhookEndpoint | undefined {
    const at = now().toISOString();
    if (succeeded) {
      const healthy = endpoint.failingSince === null && !endpoint.consecutiveFailures && !endpoint.circuitOpenUntil && endpoint.proven === true;
      return healthy
        ? undefined
        : { ...endpoint, failingSince: null, consecutiveFailures: 0, circuitOpenUntil: null, proven: true, version: endpoint.version + 1 };
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
      proven: false,
      ...(disable ? { disabled: true, disabledReason: 'No delivery succeeded for 5 days', updated: at } : {}),
      version: endpoint.version + 1,
    };
  }

  /**
   * The endpoint's health after an attempt, from the endpoint as read for it (read again only if it changed
   * meanwhile). With the attempt's `turn`, the write also ends the turn, once the events left with it are
   * taken: they are the turn's answer.
   */
  async function updateHealth(read: WebhookEndpoint, succeeded: boolean, turn?: string): Promise<string[]> {
    let endpoint: WebhookEndpoint | undefined = read;
    let left: string[] = [];
    for (let attempt = 0; attempt < 3 && endpoint; attempt++) {
      const next = healthAfter(endpoint, succeeded);
      if (!next) break;
      if ((await store.replaceEndpoint(endpoint, next, { unlessWaiting: turn !== undefined })) === 'applied') {
        if (next.disabled && !endpoint.disabled) options.onDisabled?.(next);
        return left;
      }
      endpoint = await store.getEndpoint(read.id);
      if (turn && endpoint?.busyOwner === turn && endpoint.busyWaiting?.length) left = await store.releaseBusy(read.id, turn);
    }
    return turn ? [...left, ...(await store.releaseBusy(read.id, turn))] : left;
  }

  /**
   * Leaves events with the attempt that has the turn of an endpoint never tried, to be sent when it
   * succeeds; an endpoint failing leaves them to the sweep. False when the turn has ended: no one has them.
   */
  async function leaveWithTurn(endpoint: WebhookEndpoint, eventIds: string[]): Promise<boolean> {
    if (failing(endpoint) || !endpoint.busyOwner) return failing(endpoint);
    return store.waitOnTurn(endpoint.id, { owner: endpoint.busyOwner, eventIds, now: now().toISOString() });
  }

  const failing = (endpoint: WebhookEndpoint) => (endpoint.consecutiveFailures ?? 0) > 0;
  const needsTurn = (endpoint: WebhookEndpoint | undefined) => endpoint !== undefined && !endpoint.disabled && (!endpoint.proven || failing(endpoint));
  /** True while an attempt has the turn of an endpoint not proven. */
  const turnHeld = (endpoint: WebhookEndpoint) => needsTurn(endpoint) && !!endpoint.busyUntil && Date.parse(endpoint.busyUntil) > now().getTime();

  /**
   * One attempt at a delivery held under `lease`: sent, and recorded with the delivery's new state. A
   * manual attempt (retry, test) does not move the schedule: it can only turn the delivery into a success.
   * Undefined when the lease was lost meanwhile (another took the delivery over): nothing is recorded then.
   */
  async function send(
    endpoint: WebhookEndpoint | undefined,
    delivery: Delivery,
    payload: string | undefined,
    lease: Lease,
    manual: boolean,
    turn?: { owner: string; left: string[] },
  ): Promise<DeliveryAttempt | undefined> {
    const number = delivery.attempts + 1;
    const record = async (statusCode: number | null, error: string | null, durationMs: number) => {
      const succeeded = isSuccess(statusCode);
      const final = !endpoint || (endpoint.disabled && !manual);
      const nextAttemptAt = succeeded || final ? null : manual ? delivery.nextAttemptAt : retryAt(number);
      const status = succeeded ? 'succeeded' : final ? 'failed' : manual ? delivery.status : nextAttemptAt === null ? 'failed' : 'pending';
      const next: Delivery = { ...delivery, attempts: number, status, nextAttemptAt: status === 'pending' ? nextAttemptAt : null };
      const made: DeliveryAttempt = {
        eventId: delivery.eventId,
        eventType: delivery.eventType,
        attempt: number,
        at: now().toISOString(),
        statusCode,
        error,
        durationMs,
        nextAttemptAt: status === 'pending' && !manual ? nextAttemptAt : null,
        manual,
      };
      return (await store.recordAttempt(next, made, lease)) === 'recorded' ? made : undefined;
    };
    if (!endpoint || (endpoint.disabled && !manual)) return record(null, endpoint ? 'the endpoint is disabled' : 'the endpoint was deleted', 0);
    if (payload === undefined) return record(null, 'the event is no longer kept', 0);
    const outcome = await sender.send(endpoint.url, signatureHeaders(endpoint, delivery.eventId, payload, now()), payload);
    const made = 'status' in outcome ? await record(outcome.status, null, outcome.durationMs) : await record(null, outcome.error, outcome.durationMs);
    if (made) {
      const left = await updateHealth(endpoint, isSuccess(made.statusCode), turn?.owner);
      turn?.left.push(...left);
    } else if (turn) turn.left.push(...(await store.releaseBusy(endpoint.id, turn.owner)));
    return made;
  }

  /** Claims the delivery (`only` as the store takes it) and attempts it; undefined when it is not to be had. */
  async function claimAndSend(endpoint: WebhookEndpoint | undefined, endpointId: string, eventId: string, only: 'due' | 'first' | 'any', payload?: string) {
    const lease = newLease();
    const delivery = await store.claimDelivery(eventId, endpointId, { now: now().toISOString(), lease, only });
    if (!delivery) return undefined;
    return send(endpoint, delivery, payload ?? (await store.getPayload(eventId)), lease, only === 'any');
  }

  /** One attempt asked for through the API (a retry, a test), whatever the delivery's state or the circuit's. */
  async function attempt(endpointId: string, eventId: string): Promise<DeliveryAttempt | undefined> {
    return claimAndSend(await store.getEndpoint(endpointId), endpointId, eventId, 'any');
  }

  /**
   * One endpoint's deliveries, in the worker they were handed to: at most ENDPOINT_CONCURRENCY at once;
   * then, while a retry of these falls due within `waitMs`, it waits for it and attempts again (so a
   * compressed schedule plays out in one invocation). The rest is the sweep's. Only this endpoint's
   * receiver is waited on here: another endpoint's work runs in a worker of its own.
   */
  async function deliverTo(handOff: HandOff, waitMs = 0): Promise<WorkerReport> {
    const report: WorkerReport = { attempted: 0, succeeded: 0, held: 0 };
    const deadline = now().getTime() + waitMs;
    const start = now().getTime();
    type Waiting = { eventId: string; at: number; payload?: string | undefined; only: 'first' | 'due' };
    // Made under the hand-off's lease: sent as they are while it holds (Lambda's retry of a failed
    // invocation comes after it ran out: then each is claimed, and one already attempted is left alone).
    const lease = handOff.lease;
    const owned = new Set(lease ? handOff.events.map((event) => event.id) : []);
    const ownedNow = () => lease !== undefined && Date.parse(lease.until) - now().getTime() > SEND_MS;
    const only = handOff.due ? 'due' : 'first';
    let waiting: Waiting[] = handOff.events.map((event) => ({ eventId: event.id, at: start, payload: event.payload, only }));
    // An endpoint not proven gets one attempt at a time: this hand-off's own go one after another, under
    // the turn it takes; while another attempt has it, or once one of these did not answer in time, they wait.
    const turnOwner = crypto.randomUUID();
    let oneAtATime: Promise<unknown> = Promise.resolve();
    let inTurn = 0;
    let slow = false;
    // Once the endpoint is found closed (its circuit open, or failing with another attempt's turn out), the
    // rest of the hand-off is held until then without reading it again.
    let closedUntil: string | undefined;
    const later = (item: Waiting, at: number) => {
      if (at <= deadline) waiting.push({ ...item, at });
      else report.held++;
    };
    const hold = async (item: Waiting, until: string, mine: boolean) => {
      report.held++;
      if (item.only === 'first') await defer(handOff.endpointId, item.eventId, until, mine ? lease : undefined);
    };
    const attempt = async (item: Waiting, endpoint: WebhookEndpoint | undefined, mine: boolean, turn?: { owner: string; left: string[] }) => {
      let made: DeliveryAttempt | undefined;
      if (mine) {
        made = await send(endpoint, madeNow(handOff.endpointId, item.eventId, item.payload), item.payload, lease!, false, turn);
      } else {
        const claimed = await claim(handOff.endpointId, item.eventId, item.only);
        if ('heldUntil' in claimed) {
          if (turn) turn.left.push(...(await store.releaseBusy(handOff.endpointId, turn.owner)));
          // Another reader's lease: it may have died before handing the delivery off. Its turn first.
          if (claimed.heldUntil) later(item, Date.parse(claimed.heldUntil) + 1);
          return;
        }
        made = await send(endpoint, claimed.delivery, item.payload ?? (await store.getPayload(item.eventId)), claimed.lease, false, turn);
      }
      if (!made) return;
      report.attempted++;
      const succeeded = isSuccess(made.statusCode);
      if (succeeded) report.succeeded++;
      // A retry soon is waited for here only after a quick failure: one after a receiver that did not
      // answer in time is the sweep's, so that no worker waits on it twice.
      if (made.durationMs >= SLOW_MS) slow = true;
      else if (made.nextAttemptAt && Date.parse(made.nextAttemptAt) <= deadline) {
        waiting.push({ eventId: item.eventId, at: Date.parse(made.nextAttemptAt), payload: item.payload, only: 'due' });
      }
      // The events left with the turn meanwhile: sent now that the endpoint answered, else the sweep's.
      if (turn?.left.length && succeeded) for (const eventId of turn.left) waiting.push({ eventId, at: now().getTime(), only: 'first' });
    };
    /** An item of an endpoint not proven, after this hand-off's earlier ones (`read`: none came before). */
    const inItsTurn = async (item: Waiting, own: boolean, read?: WebhookEndpoint) => {
      // One before it had the turn: read what it left (proven, failing, its circuit).
      let endpoint = read ?? (await store.getEndpoint(handOff.endpointId));
      let mine = own && ownedNow();
      for (let tries = 0; tries < 3; tries++) {
        if (endpoint && circuitOpen(endpoint, now())) {
          closedUntil = endpoint.circuitOpenUntil!;
          return hold(item, closedUntil, mine);
        }
        if (!needsTurn(endpoint)) return attempt(item, endpoint, mine);
        const at = now().getTime();
        const until = new Date(at + BUSY_MS).toISOString();
        // One of these did not answer in time: the rest are the sweep's.
        if (slow) {
          closedUntil = until;
          return hold(item, until, mine);
        }
        if (!turnHeld(endpoint!) || endpoint!.busyOwner === turnOwner) {
          if (await store.markBusy(handOff.endpointId, { owner: turnOwner, until, now: new Date(at).toISOString() })) {
            return attempt(item, endpoint, mine, { owner: turnOwner, left: [] });
          }
          endpoint = await store.getEndpoint(handOff.endpointId);
          continue;
        }
        // Another attempt has the turn: due when it ends, and, while the endpoint was never tried, left with
        // that attempt to send once it succeeds. A turn that ended meanwhile is tried for again.
        if (failing(endpoint!)) closedUntil = endpoint!.busyUntil!;
        await hold(item, endpoint!.busyUntil!, mine);
        mine = false;
        if (item.only !== 'first' || (await leaveWithTurn(endpoint!, [item.eventId]))) return;
        report.held--;
        endpoint = await store.getEndpoint(handOff.endpointId);
      }
    };
    while (waiting.length > 0) {
      const at = now().getTime();
      const ready = waiting.filter((item) => item.at <= at);
      waiting = waiting.filter((item) => item.at > at);
      await pMap(
        ready,
        async (item) => {
          const own = owned.delete(item.eventId);
          if (closedUntil && Date.parse(closedUntil) > now().getTime()) return hold(item, closedUntil, own && ownedNow());
          const endpoint = await store.getEndpoint(handOff.endpointId, { eventually: true });
          if (endpoint && circuitOpen(endpoint, now())) {
            // Held while the circuit is open: left due for the sweep at that time (a first attempt is put in
            // the due index for it). No worker waits on an endpoint that is not answering.
            closedUntil = endpoint.circuitOpenUntil!;
            return hold(item, closedUntil, own && ownedNow());
          }
          if (!needsTurn(endpoint)) return attempt(item, endpoint, own && ownedNow());
          const first = inTurn++ === 0;
          const next = oneAtATime.then(() => inItsTurn(item, own, first ? endpoint : undefined));
          oneAtATime = next.catch(() => undefined);
          return next;
        },
        { concurrency: ENDPOINT_CONCURRENCY },
      );
      if (waiting.length === 0) break;
      await sleep(Math.max(0, Math.min(...waiting.map((item) => item.at)) - now().getTime()));
    }
    return report;
  }

  /**
   * Claims a delivery for one attempt: `first` while none was made, `due` while its retry is due. When it
   * is not to be had, until when another lease holds a first attempt (null: nothing left to do).
   */
  async function claim(endpointId: string, eventId: string, only: 'first' | 'due') {
    const lease = newLease();
    const delivery = await store.claimDelivery(eventId, endpointId, { now: now().toISOString(), lease, only });
    if (delivery) return { delivery, lease };
    const stored = only === 'first' ? await store.getDelivery(eventId, endpointId) : undefined;
    const waits = stored?.status === 'pending' && stored.attempts === 0 && stored.leaseUntil !== undefined && Date.parse(stored.leaseUntil) >= now().getTime();
    return { heldUntil: waits ? stored.leaseUntil! : null };
  }

  /** A first attempt the open circuit holds: into the due index at `until`, for the sweep (under a lease of ours). */
  async function defer(endpointId: string, eventId: string, until: string, lease?: Lease) {
    let held = lease;
    if (!held) {
      const claimed = newLease();
      if (!(await store.claimDelivery(eventId, endpointId, { now: now().toISOString(), lease: claimed, only: 'first' }))) return;
      held = claimed;
    }
    await store.deferDelivery(eventId, endpointId, until, held);
  }

  /** Deliveries grouped by endpoint, each endpoint's handed to a worker of its own (chunked to fit an invocation). */
  async function handOff(queued: readonly Queued[] | readonly { endpointId: string; eventId: string }[], due = false): Promise<number> {
    if (queued.length === 0) return 0;
    if (!options.handOff) throw new Error('No delivery worker is configured to hand deliveries to');
    const groups = new Map<string, HandOff>();
    const work: HandOff[] = [];
    const bytes = new Map<HandOff, number>();
    for (const item of queued) {
      const lease = 'lease' in item ? item.lease : undefined;
      const payload = 'payload' in item ? item.payload : undefined;
      const key = `${item.endpointId}|${lease?.owner ?? ''}`;
      let group = groups.get(key);
      const size = payload?.length ?? 0;
      if (!group || group.events.length >= EVENTS_PER_HAND_OFF || bytes.get(group)! + size > PAYLOAD_BYTES_PER_HAND_OFF) {
        group = { endpointId: item.endpointId, ...(lease ? { lease } : {}), ...(due ? { due } : {}), events: [] };
        groups.set(key, group);
        work.push(group);
        bytes.set(group, 0);
      }
      if (group.events.some((event) => event.id === item.eventId)) continue;
      // A payload too large to carry is read by the worker (only a claimed delivery can be: no lease then).
      if (size > PAYLOAD_BYTES_PER_HAND_OFF) {
        const alone: HandOff = { endpointId: item.endpointId, ...(due ? { due } : {}), events: [{ id: item.eventId }] };
        work.push(alone);
        continue;
      }
      group.events.push({ id: item.eventId, ...(payload === undefined ? {} : { payload }) });
      bytes.set(group, bytes.get(group)! + size);
    }
    await options.handOff(work);
    return new Set(queued.map((item) => item.endpointId)).size;
  }

  /**
   * The scheduled sweep: every delivery whose retry is due by now, in every shard of the due index, handed
   * to its endpoint's worker. It attempts nothing itself, so no receiver can hold it up; a delivery whose
   * worker is still at it is not to be had by a second one (the lease), and stays due until it is recorded.
   */
  async function sweep(budget: { remainingMs: () => number; safetyMarginMs: number; pageSize?: number }): Promise<SweepReport> {
    const report: SweepReport = { handedOff: 0, endpoints: 0, stoppedEarly: false };
    const upTo = now().toISOString();
    // Gathered over every shard, then handed off: one worker per endpoint, not one per endpoint and shard.
    let found: Array<{ endpointId: string; eventId: string }> = [];
    const handOver = async () => {
      report.endpoints += await handOff(found, true);
      report.handedOff += found.length;
      found = [];
    };
    for (let shard = 0; shard < store.dueShards; shard++) {
      let after: Cursor | undefined;
      do {
        if (budget.remainingMs() < budget.safetyMarginMs) {
          await handOver();
          return { ...report, stoppedEarly: true };
        }
        const page = await store.listDue(shard, upTo, budget.pageSize ?? 100, after);
        found.push(...page.items);
        if (found.length >= SWEEP_GATHERS) await handOver();
        after = page.cursor;
      } while (after);
    }
    await handOver();
    return report;
  }

  /**
   * The first attempt at a delivery just made under its lease (what a worker does with a hand-off's), the
   * circuit aside; `manual` for the API's test event, which is not retried.
   */
  async function attemptQueued(queued: Queued, manual = false): Promise<DeliveryAttempt | undefined> {
    if (!queued.lease) return claimAndSend(await store.getEndpoint(queued.endpointId), queued.endpointId, queued.eventId, 'first', queued.payload);
    const endpoint = await store.getEndpoint(queued.endpointId, { eventually: true });
    return send(endpoint, madeNow(queued.endpointId, queued.eventId, queued.payload), queued.payload, queued.lease, manual);
  }

  /** An event for one endpoint, made and sent now under one lease (the API's test): a manual attempt. */
  async function sendNow(event: OutboundEvent, endpoint: WebhookEndpoint): Promise<DeliveryAttempt | undefined> {
    const [queued] = await enqueue(event, [endpoint]);
    return queued?.lease ? attemptQueued(queued, true) : undefined;
  }

  return { enqueue, attempt, attemptQueued, sendNow, deliverTo, handOff, sweep };
}

/** A delivery as it was just made (the one under the hand-off's lease is not read back): its type from the payload. */
function madeNow(endpointId: string, eventId: string, payload: string | undefined): Delivery {
  const eventType = (payload ? (JSON.parse(payload) as { type: Delivery['eventType'] }).type : 'webhook.test') as Delivery['eventType'];
  return { endpointId, eventId, eventType, created: '', status: 'pending', attempts: 0, nextAttemptAt: null };
}

export type DeliveryEngine = ReturnType<typeof createDeliveryEngine>;
