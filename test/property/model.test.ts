import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { auditRequest } from '../../lib/lifecycle/audit.ts';
import { runCleanup } from '../../lib/lifecycle/cleanup.ts';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import { trailOwner } from '../../lib/lifecycle/kind.ts';
import type { Lifecycle } from '../../lib/lifecycle/lifecycle.ts';
import type { RequestStore } from '../../lib/lifecycle/store.ts';
import type { Transition } from '../../lib/lifecycle/types.ts';
import { openShardOf } from '../../lib/store/keys.ts';
import { kinds, lifecycle, store } from '../support/app.ts';
import { BODIES } from '../support/fixtures.ts';
import { invoke, type Response, signedWebhookEvent, tenant } from '../support/http.ts';
import { type CollectionPath, type OnboardingApi, offboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/*
 * A model-based test of the lifecycle: the status machines, provider webhooks, the cleanup, and offboarding. Random programs of creates, API cancels,
 * webhooks (fresh, redelivered, out of order, late), cleanup runs and groups of racing commands are run
 * against the real handlers on the shared DynamoDB Local, and every answer and every trail is compared
 * with a pure model of the status machine written from docs/api.md, not from lib/.
 *
 * Racers have no order, so after each group the model looks, request by request, for one linearization
 * of the commands that touched it which explains every answer and the stored trail exactly.
 */

type Status = 'Pending' | 'Processing' | 'Succeeded' | 'Failed' | 'Canceled';
type WebhookStatus = Exclude<Status, 'Pending'>;

/** The onboarding machine as docs/api.md draws it, written down independently of lib/kinds/onboarding.ts. */
const MODEL_NEXT: Record<Status, readonly Status[]> = {
  Pending: ['Processing', 'Succeeded', 'Failed', 'Canceled'],
  Processing: ['Succeeded', 'Failed', 'Canceled'],
  Succeeded: [],
  Failed: [],
  Canceled: [],
};
/** An offboarding has no Processing, and only a Pending one may be canceled. */
const MODEL_OFFBOARDING_NEXT: Record<Status, readonly Status[]> = {
  Pending: ['Succeeded', 'Failed', 'Canceled'],
  Processing: [],
  Succeeded: [],
  Failed: [],
  Canceled: [],
};
type Machine = 'onboarding' | 'offboarding';
const NEXT: Record<Machine, Record<Status, readonly Status[]>> = { onboarding: MODEL_NEXT, offboarding: MODEL_OFFBOARDING_NEXT };
const EVENT_TYPE: Record<Machine, string> = { onboarding: 'onboarding.status.updated', offboarding: 'offboarding.status.updated' };
const TERMINAL: readonly Status[] = ['Succeeded', 'Failed', 'Canceled'];
const WEBHOOK_STATUSES: readonly WebhookStatus[] = ['Processing', 'Succeeded', 'Failed', 'Canceled'];

const NUM_RUNS = 30;
const BURST_RUNS = 30;

// ---------------------------------------------------------------- the model

/** One record as the model sees it: `from>to@actorType:actorId`. */
type ModelRecord = string;

interface ModelRequest {
  machine: Machine;
  status: Status;
  trail: ModelRecord[];
  /** Webhook message ids applied to this request (each message names one request). */
  inbox: Set<string>;
}

type Op =
  | { kind: 'get'; id: string }
  | { kind: 'cancel'; id: string; principal: string }
  /** `crossed`: the event is of the other kind (an onboarding event about an offboarding, or the reverse). */
  | { kind: 'webhook'; id: string; messageId: string; status: WebhookStatus; crossed: boolean }
  /** An expiry the cleanup reported as applied; skips prove nothing in a race and are not modelled as ops. */
  | { kind: 'expire'; id: string };

const cloneRequest = (request: ModelRequest): ModelRequest => ({
  machine: request.machine,
  status: request.status,
  trail: [...request.trail],
  inbox: new Set(request.inbox),
});

/** Applies `op` to the model and returns the answer the service must give, normalised as `answerOf` does. */
function step(request: ModelRequest, op: Op): string {
  const next = NEXT[request.machine];
  const move = (to: Status, actor: string) => {
    request.trail.push(`${request.status}>${to}@${actor}`);
    request.status = to;
  };
  switch (op.kind) {
    case 'get':
      return `200 ${request.status} v${request.trail.length}`;
    case 'cancel':
      if (request.status === 'Canceled') return `200 Canceled v${request.trail.length}`;
      if (!next[request.status].includes('Canceled')) return '409 invalid_transition';
      move('Canceled', `principal:${op.principal}`);
      return `200 Canceled v${request.trail.length}`;
    case 'webhook':
      if (request.inbox.has(op.messageId)) return 'duplicate';
      if (op.crossed || !next[request.status].includes(op.status)) return 'ignored';
      move(op.status, `webhook:${op.messageId}`);
      request.inbox.add(op.messageId);
      return `applied v${request.trail.length}`;
    case 'expire':
      if (!next[request.status].includes('Canceled')) return 'not open';
      move('Canceled', 'system:cleanup');
      return 'applied';
  }
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (const [index, item] of items.entries()) {
    for (const rest of permutations([...items.slice(0, index), ...items.slice(index + 1)])) yield [item, ...rest];
  }
}

/**
 * The model state after the ops (with their observed answers) ran in some order that explains every
 * answer and ends with exactly `actualTrail`; undefined when no order does.
 */
function linearize(before: ModelRequest, observed: ReadonlyArray<{ op: Op; answer: string }>, actualTrail: readonly ModelRecord[]): ModelRequest | undefined {
  for (const order of permutations(observed)) {
    const candidate = cloneRequest(before);
    if (!order.every(({ op, answer }) => step(candidate, op) === answer)) continue;
    if (candidate.trail.length === actualTrail.length && candidate.trail.every((record, i) => record === actualTrail[i])) {
      return candidate;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- the commands

type Target = number;
type Racer =
  | { t: 'cancel'; pick: Target }
  | { t: 'webhook'; pick: Target; status: WebhookStatus; late: boolean; crossed: boolean }
  | { t: 'redeliver'; pick: Target }
  | { t: 'get'; pick: Target }
  | { t: 'cleanup' };
type Command =
  | Racer
  | { t: 'create'; path: Creatable }
  /** A new offboarding of an entity an earlier offboarding of the run was for (one open offboarding per entity). */
  | { t: 'offboard-again'; pick: Target }
  | { t: 'unknown'; status: WebhookStatus }
  | { t: 'race'; racers: Racer[] };

/** What a program creates: onboarding requests of either type, or the offboarding of a newly onboarded entity. */
type Creatable = CollectionPath | 'offboarding';
const creatableArb = fc.constantFrom<Creatable>('collectives', 'entities', 'offboarding');
const pickArb = fc.nat({ max: 50 });
/** One event in ten is of the wrong kind for its request. */
const crossedArb = fc.nat({ max: 9 }).map((n) => n === 0);
const statusArb = fc.constantFrom(...WEBHOOK_STATUSES);
const racerArb: fc.Arbitrary<Racer> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('cancel' as const), pick: pickArb }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('webhook' as const), pick: pickArb, status: statusArb, late: fc.boolean(), crossed: crossedArb }), weight: 5 },
  { arbitrary: fc.record({ t: fc.constant('redeliver' as const), pick: pickArb }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('get' as const), pick: pickArb }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('cleanup' as const) }), weight: 1 },
);
/** Racers mostly share one target, so that they really contend for the same request. */
const raceArb: fc.Arbitrary<Command> = fc
  .tuple(pickArb, fc.array(fc.tuple(racerArb, fc.boolean()), { minLength: 2, maxLength: 4 }))
  .map(([shared, racers]) => ({
    t: 'race' as const,
    racers: racers.map(([racer, same]) => ('pick' in racer && same ? { ...racer, pick: shared } : racer)),
  }));
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('create' as const), path: creatableArb }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('offboard-again' as const), pick: pickArb }), weight: 1 },
  { arbitrary: racerArb, weight: 6 },
  { arbitrary: fc.record({ t: fc.constant('unknown' as const), status: statusArb }), weight: 1 },
  { arbitrary: raceArb, weight: 4 },
);
/** Bursts of three to five racers that all hit the same request. */
const burstsArb = fc.record({
  initial: creatableArb.map((path) => [path]),
  commands: fc.array(
    fc.array(racerArb, { minLength: 3, maxLength: 5 }).map(
      (racers): Command => ({
        t: 'race',
        racers: racers.map((racer) => ('pick' in racer && racer.t !== 'redeliver' ? { ...racer, pick: 0 } : racer)),
      }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
});
const programArb = fc.record({
  initial: fc.array(creatableArb, { minLength: 1, maxLength: 3 }),
  commands: fc.array(commandArb, { minLength: 3, maxLength: 12 }),
});

// ---------------------------------------------------------------- talking to the service

interface Sent {
  id: string;
  messageId: string;
  status: WebhookStatus;
  crossed: boolean;
  body: string;
}

function deliver(messageId: string, body: string): Promise<Response> {
  return invoke(webhooks.handler, signedWebhookEvent(messageId, body));
}

/** A provider's event; a late one says it happened minutes ago (the body's timestamp is informational). */
function eventBody(id: string, status: WebhookStatus, late = false, type = EVENT_TYPE.onboarding): string {
  const happened = new Date(Date.now() - (late ? 15 * 60_000 : 0)).toISOString();
  return JSON.stringify({
    type,
    timestamp: happened,
    data: {
      id,
      status,
      ...(status === 'Failed' ? { errors: [{ code: 'ConsentDenied', message: 'The end user declined.' }] } : {}),
      ...(status === 'Succeeded' ? { entity: { id: randomUUID() } } : {}),
    },
  });
}

function answerOf(op: Op, response: Response): string {
  if (response.status !== 200) return `${response.status} ${response.body?.code}`;
  switch (op.kind) {
    case 'get':
    case 'cancel':
      return `200 ${response.body.status} v${response.body.version}`;
    case 'webhook':
      return response.body.outcome === 'applied' ? `applied v${response.body.version}` : response.body.outcome;
    case 'expire':
      throw new Error('expiries are observed through the cleanup, not a response');
  }
}

async function trailOf(id: string): Promise<Transition[]> {
  const trail: Transition[] = [];
  let after: Record<string, unknown> | undefined;
  do {
    const page = await store.history(id, 100, after);
    trail.push(...page.items);
    after = page.cursor;
  } while (after);
  return trail;
}

const asModelRecord = (record: Transition): ModelRecord => `${record.from ?? 'null'}>${record.to}@${record.actor.type}:${record.actor.id}`;

/**
 * The cleanup with age 0, confined to this run's requests: the real index query, with
 * other files' requests (the table is shared) filtered out before anything is expired, and shards that
 * hold none of ours not read at all. The service is wrapped only to observe which request each expiry
 * applied to.
 */
async function cleanupOnly(ids: ReadonlySet<string>): Promise<Map<string, string>> {
  const shards = new Set([...ids].map(openShardOf));
  const outcomes = new Map<string, string>();
  const observing: Pick<Lifecycle, 'transition'> = {
    transition: async (id, decide, meta) => {
      const result = await lifecycle.transition(id, decide, meta);
      outcomes.set(id, result.outcome);
      return result;
    },
  };
  const scoped: Pick<RequestStore, 'listStale' | 'openShards'> = {
    openShards: store.openShards,
    listStale: async (query) => {
      if (!shards.has(query.shard)) return { items: [], cursor: undefined };
      const page = await store.listStale(query);
      return { items: page.items.filter((item) => ids.has(item.id)), cursor: page.cursor };
    },
  };
  await runCleanup({
    lifecycle: observing,
    store: scoped,
    maxAgeMs: { Pending: 0, Processing: 0 },
    remainingMs: () => 60_000,
    safetyMarginMs: 1_000,
    correlationId: `model-${randomUUID()}`,
    pageSize: 100,
  });
  return outcomes;
}

// ---------------------------------------------------------------- one run

interface Stats {
  runs: number;
  commands: number;
  races: number;
  requests: number;
  webhooks: number;
  redeliveries: number;
  cancels: number;
  cleanups: number;
  expiries: number;
  applied: number;
  ignored: number;
  duplicates: number;
}

class ModelRun {
  readonly model = new Map<string, ModelRequest>();
  /** The API each request is reached through (its type's collection). */
  readonly apis = new Map<string, Pick<OnboardingApi, 'get' | 'cancel'>>();
  /** The offboardings of each entity the run offboarded, oldest first. */
  readonly entities = new Map<string, string[]>();
  readonly sent: Sent[] = [];
  /** Every applied transition the service told us about: `id` → records it must have. */
  readonly appliedAnswers: Array<{ id: string; version: number | undefined; actor: string }> = [];

  private readonly caller: { sub: string; authorization: string };
  private readonly stats: Stats;

  private constructor(caller: { sub: string; authorization: string }, stats: Stats) {
    this.caller = caller;
    this.stats = stats;
  }

  static async start(stats: Stats) {
    return new ModelRun(await tenant(), stats);
  }

  private get ids(): string[] {
    return [...this.model.keys()];
  }

  async create(path: Creatable) {
    if (path === 'offboarding') return this.offboard(await this.onboardedEntity());
    const api = onboardingApi(path, this.caller.authorization);
    const created = await api.create(BODIES[path]);
    expect({ status: created.status, state: created.body?.status, version: created.body?.version }).toEqual({ status: 201, state: 'Pending', version: 1 });
    const id = created.body.id as string;
    this.apis.set(id, api);
    this.model.set(id, { machine: 'onboarding', status: 'Pending', trail: [`null>Pending@principal:${this.caller.sub}`], inbox: new Set() });
    this.stats.requests++;
  }

  /** An entity onboarded for the run's tenant (its onboarding request is set-up, not part of the model). */
  private async onboardedEntity(): Promise<string> {
    const entityId = randomUUID();
    const created = await onboardingApi('entities', this.caller.authorization).create(BODIES.entities);
    const body = JSON.stringify({
      type: EVENT_TYPE.onboarding,
      timestamp: new Date().toISOString(),
      data: { id: created.body.id, status: 'Succeeded', entity: { id: entityId } },
    });
    expect((await deliver(`msg_${randomUUID()}`, body)).body).toMatchObject({ outcome: 'applied' });
    return entityId;
  }

  /** Offboards the entity; what must happen follows from its earlier offboardings in the model. */
  private async offboard(entityId: string) {
    const api = offboardingApi(this.caller.authorization);
    const earlier = (this.entities.get(entityId) ?? []).map((id) => this.model.get(id)!.status);
    const expected = earlier.includes('Succeeded') ? '404 not_found' : earlier.includes('Pending') ? '409 offboarding_open' : '201 Pending v1';
    const created = await api.create({ entityId });
    const answer = created.status === 201 ? `201 ${created.body.status} v${created.body.version}` : `${created.status} ${created.body?.code}`;
    expect(answer, `offboarding an entity whose offboardings were ${earlier.join(', ') || 'none'}`).toBe(expected);
    if (created.status !== 201) return;
    const id = created.body.id as string;
    this.apis.set(id, api);
    this.entities.set(entityId, [...(this.entities.get(entityId) ?? []), id]);
    this.model.set(id, { machine: 'offboarding', status: 'Pending', trail: [`null>Pending@principal:${this.caller.sub}`], inbox: new Set() });
    this.stats.requests++;
  }

  async offboardAgain(pick: Target) {
    const entityIds = [...this.entities.keys()];
    if (entityIds.length === 0) return this.create('offboarding');
    return this.offboard(entityIds[pick % entityIds.length]!);
  }

  async unknownWebhook(status: WebhookStatus) {
    const response = await deliver(`msg_${randomUUID()}`, eventBody(randomUUID(), status));
    expect({ status: response.status, code: response.body?.code }).toEqual({ status: 404, code: 'not_found' });
  }

  /** Runs racers at once (a group of one is a sequential command), then explains the result with the model. */
  async group(racers: Racer[]) {
    const ids = this.ids;
    const target = (pick: Target) => ids[pick % ids.length]!;
    const sentSoFar = [...this.sent];
    type Launched = { op: Op; response: Promise<Response> } | { cleanup: Promise<Map<string, string>> };
    const openBefore = new Set(ids.filter((id) => !TERMINAL.includes(this.model.get(id)!.status)));
    const strictCleanup = racers.length === 1;
    if (strictCleanup && racers[0]!.t === 'cleanup') {
      // maxAgeMs 0 still needs the clock to have moved past a request's last update.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }

    const launched: Launched[] = racers.map((racer): Launched => {
      switch (racer.t) {
        case 'get': {
          const id = target(racer.pick);
          return { op: { kind: 'get', id }, response: this.apis.get(id)!.get(id) };
        }
        case 'cancel': {
          const id = target(racer.pick);
          this.stats.cancels++;
          return { op: { kind: 'cancel', id, principal: this.caller.sub }, response: this.apis.get(id)!.cancel(id) };
        }
        case 'webhook': {
          const id = target(racer.pick);
          const messageId = `msg_${randomUUID()}`;
          const machine = this.model.get(id)!.machine;
          const type = EVENT_TYPE[racer.crossed ? (machine === 'onboarding' ? 'offboarding' : 'onboarding') : machine];
          const body = eventBody(id, racer.status, racer.late, type);
          this.sent.push({ id, messageId, status: racer.status, crossed: racer.crossed, body });
          this.stats.webhooks++;
          return { op: { kind: 'webhook', id, messageId, status: racer.status, crossed: racer.crossed }, response: deliver(messageId, body) };
        }
        case 'redeliver': {
          // Nothing sent yet: a redelivery has nothing to repeat, so read the request instead.
          const earlier = sentSoFar[racer.pick % Math.max(1, sentSoFar.length)];
          if (!earlier) {
            const id = target(racer.pick);
            return { op: { kind: 'get', id }, response: this.apis.get(id)!.get(id) };
          }
          this.stats.redeliveries++;
          return {
            op: { kind: 'webhook', id: earlier.id, messageId: earlier.messageId, status: earlier.status, crossed: earlier.crossed },
            response: deliver(earlier.messageId, earlier.body),
          };
        }
        case 'cleanup':
          this.stats.cleanups++;
          return { cleanup: cleanupOnly(new Set(ids)) };
        default:
          throw new Error(`no such racer: ${JSON.stringify(racer)}`);
      }
    });

    const observed: Array<{ op: Op; answer: string }> = [];
    for (const item of launched) {
      if ('op' in item) {
        const response = await item.response;
        observed.push({ op: item.op, answer: answerOf(item.op, response) });
        continue;
      }
      const outcomes = await item.cleanup;
      for (const [id, outcome] of outcomes) {
        expect(ids, 'the cleanup touched a request of another run').toContain(id);
        if (outcome === 'applied') observed.push({ op: { kind: 'expire', id }, answer: 'applied' });
      }
      if (strictCleanup) {
        // Alone, an age-0 cleanup must expire every open request of the run and touch nothing else.
        const expired = [...outcomes].filter(([, outcome]) => outcome === 'applied').map(([id]) => id);
        expect(new Set(expired)).toEqual(openBefore);
      }
    }

    for (const { op, answer } of observed) {
      if (op.kind === 'webhook') {
        if (answer.startsWith('applied')) this.stats.applied++;
        if (answer === 'ignored') this.stats.ignored++;
        if (answer === 'duplicate') this.stats.duplicates++;
      }
      if (op.kind === 'expire') this.stats.expiries++;
    }

    const touched = new Set(observed.map(({ op }) => op.id));
    for (const id of touched) {
      const mine = observed.filter(({ op }) => op.id === id);
      const actual = (await trailOf(id)).map(asModelRecord);
      const next = linearize(this.model.get(id)!, mine, actual);
      expect(
        next,
        [
          `no order of the racing commands explains request ${id}`,
          `  model before: ${this.model.get(id)!.trail.join(' | ')}`,
          `  commands:     ${mine.map(({ op, answer }) => `${JSON.stringify(op)} => ${answer}`).join('\n                ')}`,
          `  stored trail: ${actual.join(' | ')}`,
        ].join('\n'),
      ).toBeDefined();
      this.model.set(id, next!);
    }
    for (const { op, answer } of observed) {
      const version = /^(?:applied|200 Canceled) v(\d+)$/.exec(answer)?.[1];
      if (op.kind === 'webhook' && answer.startsWith('applied')) {
        this.appliedAnswers.push({ id: op.id, version: Number(version), actor: `webhook:${op.messageId}` });
      }
      if (op.kind === 'expire') this.appliedAnswers.push({ id: op.id, version: undefined, actor: 'system:cleanup' });
    }
  }

  async run(command: Command) {
    this.stats.commands++;
    if (command.t === 'create') return this.create(command.path);
    if (command.t === 'unknown') return this.unknownWebhook(command.status);
    if (command.t === 'offboard-again') return this.offboardAgain(command.pick);
    if (command.t === 'race') {
      this.stats.races++;
      return this.group(command.racers);
    }
    return this.group([command]);
  }

  /** The invariants of a request and its trail, per request, on what is stored. */
  async checkInvariants() {
    for (const [id, modelled] of this.model) {
      const request = await store.get(id);
      const trail = await trailOf(id);
      expect(request, `request ${id} exists`).toBeDefined();
      expect(
        trail.map((record) => record.version),
        'versions contiguous from 1',
      ).toEqual(trail.map((_, i) => i + 1));
      for (const [i, record] of trail.entries()) {
        expect(record.from, `record ${record.version} starts where the previous ended`).toBe(i === 0 ? null : trail[i - 1]!.to);
        if (record.from !== null) expect(TERMINAL, `record ${record.version} leaves a terminal status`).not.toContain(record.from);
      }
      expect({ status: request!.status, version: request!.version }).toEqual({ status: trail.at(-1)!.to, version: trail.length });
      expect(verifyChain(trail, trailOwner(request!, kinds.get(request!.kind)!))).toEqual([]);
      expect(await auditRequest(store, kinds, id)).toEqual([]);
      expect(trail.map(asModelRecord), "the trail is the model's").toEqual(modelled.trail);

      // Each applied answer has exactly one record, and every record but the creation has an applied answer
      // (an applying cancel is known from the model, since racing cancels all answer the same 200).
      const answers = this.appliedAnswers.filter((answer) => answer.id === id);
      for (const answer of answers) {
        const records = trail.filter((record) => `${record.actor.type}:${record.actor.id}` === answer.actor);
        expect(records, `exactly one record for ${answer.actor}`).toHaveLength(1);
        if (answer.version !== undefined) expect(records[0]!.version).toBe(answer.version);
      }
      const cancels = modelled.trail.filter((record) => record.includes('>Canceled@principal:')).length;
      expect(trail.length, 'no record without an applied transition').toBe(1 + answers.length + cancels);
    }
    // The entity registry moved with the offboardings' transitions, in their transactions.
    for (const [entityId, offboardings] of this.entities) {
      const statuses = offboardings.map((id) => this.model.get(id)!.status);
      const open = offboardings.find((id) => this.model.get(id)!.status === 'Pending');
      const entity = await store.findEntity(entityId);
      expect({ state: entity?.state, openOffboarding: entity?.openOffboarding }, `entity after offboardings ${statuses.join(', ')}`).toEqual({
        state: statuses.includes('Succeeded') ? 'Offboarded' : 'Onboarded',
        openOffboarding: open,
      });
    }
  }
}

const newStats = (): Stats => ({
  runs: 0,
  commands: 0,
  races: 0,
  requests: 0,
  webhooks: 0,
  redeliveries: 0,
  cancels: 0,
  cleanups: 0,
  expiries: 0,
  applied: 0,
  ignored: 0,
  duplicates: 0,
});

/** Runs the program, then checks every request's stored state against the model and the documented invariants. */
async function runProgram(stats: Stats, { initial, commands }: { initial: Creatable[]; commands: Command[] }) {
  stats.runs++;
  const run = await ModelRun.start(stats);
  for (const path of initial) await run.create(path);
  for (const command of commands) await run.run(command);
  await run.checkInvariants();
}

describe('the lifecycle against a model of the status machine', () => {
  it(`random interleavings of create, cancel, webhooks, cleanup and racers keep every trail equal to the model's (${NUM_RUNS} runs)`, async () => {
    const stats = newStats();
    await fc.assert(
      fc.asyncProperty(programArb, (program) => runProgram(stats, program)),
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: 80_000, markInterruptAsFailure: true },
    );
    console.info(`model, interleavings: ${JSON.stringify(stats)}`);
  }, 100_000);

  it(`bursts of 3 to 5 racers on one request resolve in some order the model accepts (${BURST_RUNS} runs)`, async () => {
    const stats = newStats();
    await fc.assert(
      fc.asyncProperty(burstsArb, (program) => runProgram(stats, program)),
      { numRuns: BURST_RUNS, interruptAfterTimeLimit: 80_000, markInterruptAsFailure: true },
    );
    console.info(`model, bursts: ${JSON.stringify(stats)}`);
  }, 100_000);
});
