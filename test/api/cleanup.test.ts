import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as cleanup from '../../functions/scheduled/cleanup.ts';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { type CleanupOptions, type CleanupReport, runCleanup } from '../../lib/lifecycle/cleanup.ts';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Lifecycle } from '../../lib/lifecycle/lifecycle.ts';
import type { RequestStore } from '../../lib/lifecycle/store.ts';
import type { Status, Transition } from '../../lib/lifecycle/types.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { INDEX, requestKey } from '../../lib/store/keys.ts';
import { config, lifecycle, store } from '../support/app.ts';
import { at } from '../support/clock.ts';
import { BODIES, ownerOf } from '../support/fixtures.ts';
import { invoke, lambdaContext, signedWebhookEvent, tenant, token } from '../support/http.ts';
import { type CollectionPath, offboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/*
 * Isolation. The table is shared with every other test file, running in parallel, whose requests are
 * created in real time. Moving the clock forward and sweeping would expire their in-flight requests, so
 * instead each test creates its requests in its own stretch of the past (an "era") and runs the cleanup
 * with an age that reaches back only to just after that era. Each new era is older than every earlier one,
 * so such a cutoff holds the current test's requests and nothing else: earlier tests' leftovers are newer,
 * and other files' requests are newer still.
 */
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STARTED = Date.now();
let eras = 0;

function newEra(): number {
  eras += 1;
  return STARTED - (400 + 30 * eras) * DAY;
}

const documents = createDocumentClient(createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint }));

afterEach(() => {
  vi.useRealTimers();
});

/** An API client of a fresh tenant; its token is valid now, in real time. */
async function givenCaller(path: CollectionPath = 'collectives') {
  const caller = await tenant();
  return { ...caller, path, api: onboardingApi(path, caller.authorization) };
}

type Caller = Awaited<ReturnType<typeof givenCaller>>;

/** Creates a request through the create function as if it were `instant`, with a token issued then. */
function createdAt(caller: Caller, instant: number): Promise<string> {
  return at(instant, async () => {
    const authorization = `Bearer ${await token({ tenantId: caller.tenantId, sub: caller.sub })}`;
    const created = await onboardingApi(caller.path, authorization).create(BODIES[caller.path]);
    expect(created.status).toBe(201);
    return created.body.id as string;
  });
}

async function createdSeveralAt(caller: Caller, instant: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await createdAt(caller, instant));
  return ids;
}

/** A provider moving the request on at `instant` (set-up only; the webhook function is exercised below). */
function movedAt(id: string, instant: number, to: Status): Promise<void> {
  return at(instant, async () => {
    const result = await lifecycle.transition(id, () => ({ to, reason: `Provider reported ${to}` }), {
      actor: { type: 'webhook', id: `msg_${randomUUID()}` },
      source: 'webhook',
      correlationId: 'test-set-up',
    });
    expect(result.outcome).toBe('applied');
  });
}

/** A signed provider event through the webhook function, in real time. */
async function deliverWebhook(id: string, status: Status, extra: Record<string, unknown> = {}) {
  const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: { id, status, ...extra } });
  const response = await invoke(webhooks.handler, signedWebhookEvent(messageId, body));
  expect(response.body).toMatchObject({ outcome: 'applied' });
}

const BUDGET = 60_000;
const SAFETY_MARGIN = 10_000;

/** One cleanup run over everything that has been open since before `cutoff`, with time to spare. */
function cleanupOlderThan(cutoff: number, options: Partial<CleanupOptions> = {}): Promise<CleanupReport> {
  const age = Date.now() - cutoff;
  return runCleanup({
    lifecycle,
    store,
    maxAgeMs: { Pending: age, Processing: age },
    remainingMs: () => BUDGET,
    safetyMarginMs: SAFETY_MARGIN,
    correlationId: `cleanup-${randomUUID()}`,
    ...options,
  });
}

const minutesSince = (instant: number) => Math.floor((Date.now() - instant) / MINUTE);

/** A Lambda context for the cleanup function with `budgetMs` left, like its 120 s timeout. */
function cleanupContext(budgetMs = 120_000): Context {
  const deadline = Date.now() + budgetMs;
  return { ...lambdaContext('onboarding-dev-cleanup'), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

/** What EventBridge hands the function on the hourly schedule. */
function scheduledEvent() {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:123456789012:rule/onboarding-dev-cleanup'],
    detail: {},
  };
}

async function stateOf(caller: Caller, id: string) {
  const got = await caller.api.get(id);
  expect(got.status).toBe(200);
  return got.body;
}

async function historyOf(caller: Caller, id: string): Promise<Transition[]> {
  const page = await caller.api.history(id, { pageSize: '100' });
  expect(page.status).toBe(200);
  return page.body.data;
}

const expiriesIn = (trail: Transition[]) => trail.filter((record) => record.errors?.some((error) => error.code === 'Expired'));

/** Canceled with the Expired error, by exactly one system/cleanup transition from `from`, at `version`. */
async function expectExpired(caller: Caller, id: string, from: Status, version: number) {
  expect(await stateOf(caller, id)).toMatchObject({
    status: 'Canceled',
    version,
    action: null,
    errors: [{ code: 'Expired', message: expect.stringMatching(/\S/) }],
  });
  const trail = await historyOf(caller, id);
  expect(trail).toHaveLength(version);
  expect(expiriesIn(trail)).toHaveLength(1);
  expect(trail.at(-1)).toMatchObject({
    version,
    from,
    to: 'Canceled',
    actor: { type: 'system', id: 'cleanup' },
    source: 'schedule',
    errors: [{ code: 'Expired', message: expect.stringMatching(/\S/) }],
  });
  expect(verifyChain(trail, ownerOf(await stateOf(caller, id)))).toEqual([]);
}

async function expectOpen(caller: Caller, id: string, status: Status, version: number) {
  expect(await stateOf(caller, id)).toMatchObject({ status, version, errors: [] });
  expect(expiriesIn(await historyOf(caller, id))).toEqual([]);
}

/** The open-index attributes on the stored request item. */
async function indexAttributesOf(id: string) {
  const { Item } = await documents.send(new GetCommand({ TableName: config.tableName, Key: requestKey(id), ConsistentRead: true }));
  expect(Item).toBeDefined();
  return { openShard: Item!.openShard as string | undefined, openKey: Item!.openKey as string | undefined };
}

/** Whether the openByAge index holds exactly this entry. */
async function indexHolds(openShard: string, openKey: string): Promise<boolean> {
  const { Count } = await documents.send(
    new QueryCommand({
      TableName: config.tableName,
      IndexName: INDEX.openByAge,
      KeyConditionExpression: 'openShard = :shard AND openKey = :key',
      ExpressionAttributeValues: { ':shard': openShard, ':key': openKey },
      Select: 'COUNT',
    }),
  );
  return (Count ?? 0) > 0;
}

/** The request's entry while it is open: under its shard, keyed by status, last change and id. */
async function expectIndexedAs(id: string, status: Status, since: string) {
  const entry = await indexAttributesOf(id);
  expect(entry.openShard).toMatch(/^OPEN#\d+$/);
  expect(entry.openKey).toBe(`${status}#${since}#${id}`);
  expect(await indexHolds(entry.openShard!, entry.openKey!)).toBe(true);
  return entry as { openShard: string; openKey: string };
}

async function expectNotIndexed(id: string, formerly: { openShard: string; openKey: string }) {
  expect(await indexAttributesOf(id)).toEqual({ openShard: undefined, openKey: undefined });
  expect(await indexHolds(formerly.openShard, formerly.openKey)).toBe(false);
}

describe('scheduled cleanup', () => {
  describe('which requests expire', () => {
    it('given stale Pending and Processing requests, when cleanup runs, then each becomes Canceled with Expired by one system/cleanup transition', async () => {
      const era = newEra();
      const collectives = await givenCaller('collectives');
      const entities = await givenCaller('entities');
      const pending = await createdAt(collectives, era);
      const pendingEntity = await createdAt(entities, era);
      const processing = await createdAt(collectives, era);
      await movedAt(processing, era + MINUTE, 'Processing');

      const report = await cleanupOlderThan(era + HOUR);

      expect(report).toEqual({ expired: 3, skipped: 0, stoppedEarly: false });
      await expectExpired(collectives, pending, 'Pending', 2);
      await expectExpired(entities, pendingEntity, 'Pending', 2);
      await expectExpired(collectives, processing, 'Processing', 3);
    });

    it('given open requests newer than the age, when cleanup runs, then they stay open and untouched', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const stale = await createdAt(caller, era);
      const freshPending = await createdAt(caller, era + 2 * DAY);
      const freshProcessing = await createdAt(caller, era);
      await movedAt(freshProcessing, era + 2 * DAY, 'Processing');

      const report = await cleanupOlderThan(era + HOUR);

      expect(report).toEqual({ expired: 1, skipped: 0, stoppedEarly: false });
      await expectExpired(caller, stale, 'Pending', 2);
      await expectOpen(caller, freshPending, 'Pending', 1);
      await expectOpen(caller, freshProcessing, 'Processing', 2);
    });

    it('given per-status ages, when cleanup runs, then each request is measured against the age of its own status', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const pending = await createdAt(caller, era);
      const processing = await createdAt(caller, era);
      await movedAt(processing, era, 'Processing');

      const pendingOnly = await cleanupOlderThan(era + HOUR, {
        maxAgeMs: { Pending: Date.now() - (era + HOUR), Processing: Date.now() - (era - DAY) },
      });

      expect(pendingOnly).toEqual({ expired: 1, skipped: 0, stoppedEarly: false });
      await expectExpired(caller, pending, 'Pending', 2);
      await expectOpen(caller, processing, 'Processing', 2);

      const processingOnly = await cleanupOlderThan(era + HOUR, { maxAgeMs: { Processing: Date.now() - (era + HOUR) } });

      expect(processingOnly).toEqual({ expired: 1, skipped: 0, stoppedEarly: false });
      await expectExpired(caller, processing, 'Processing', 3);
    });

    it('given more stale requests than a shard page holds, when cleanup pages through the index while expiring, then it finds every one', async () => {
      const era = newEra();
      const caller = await givenCaller();
      // Nine requests over eight shards: at least one shard holds two, so with one per page it pages.
      const ids = await createdSeveralAt(caller, era, 9);

      const report = await cleanupOlderThan(era + HOUR, { pageSize: 1 });

      expect(report).toEqual({ expired: 9, skipped: 0, stoppedEarly: false });
      for (const id of ids) await expectExpired(caller, id, 'Pending', 2);
    });

    it('given old Succeeded, Failed and Canceled requests, when cleanup runs, then none of them is touched', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const succeeded = await createdAt(caller, era);
      await movedAt(succeeded, era, 'Succeeded');
      const failed = await createdAt(caller, era);
      await movedAt(failed, era, 'Processing');
      await movedAt(failed, era, 'Failed');
      const canceled = await createdAt(caller, era);
      await at(era, async () => {
        const authorization = `Bearer ${await token({ tenantId: caller.tenantId, sub: caller.sub })}`;
        expect((await onboardingApi('collectives', authorization).cancel(canceled)).status).toBe(200);
      });
      const stale = await createdAt(caller, era);
      const before = await Promise.all(
        [succeeded, failed, canceled].map(async (id) => ({
          request: await stateOf(caller, id),
          trail: await historyOf(caller, id),
        })),
      );

      const report = await cleanupOlderThan(era + HOUR);

      expect(report).toEqual({ expired: 1, skipped: 0, stoppedEarly: false });
      await expectExpired(caller, stale, 'Pending', 2);
      const after = await Promise.all(
        [succeeded, failed, canceled].map(async (id) => ({
          request: await stateOf(caller, id),
          trail: await historyOf(caller, id),
        })),
      );
      expect(after).toEqual(before);
      expect(after.map(({ request }) => request.status)).toEqual(['Succeeded', 'Failed', 'Canceled']);
    });
    it('given a stale Pending offboarding, when cleanup runs, then it expires like an onboarding and the entity may be offboarded again', async () => {
      const era = newEra();
      const owner = await givenCaller('entities');
      const entityId = randomUUID();
      // The entity was onboarded now (a Succeeded request is not open, so not in any era's sweep).
      const { body: onboarded } = await owner.api.create(BODIES.entities);
      await deliverWebhook(onboarded.id, 'Succeeded', { entity: { id: entityId } });
      const stale = await at(era, async () => {
        const authorization = `Bearer ${await token({ tenantId: owner.tenantId, sub: owner.sub })}`;
        const created = await offboardingApi(authorization).create({ entityId });
        expect(created.status).toBe(201);
        return created.body.id as string;
      });
      const offboardings = offboardingApi(owner.authorization);

      const report = await cleanupOlderThan(era + HOUR);

      expect(report).toEqual({ expired: 1, skipped: 0, stoppedEarly: false });
      const expired = (await offboardings.get(stale)).body;
      expect(expired).toMatchObject({ status: 'Canceled', version: 2, errors: [{ code: 'Expired', message: expect.stringMatching(/\S/) }] });
      const trail = (await offboardings.history(stale)).body.data as Transition[];
      expect(trail.at(-1)).toMatchObject({ from: 'Pending', to: 'Canceled', actor: { type: 'system', id: 'cleanup' }, source: 'schedule' });
      expect(verifyChain(trail, ownerOf(expired))).toEqual([]);
      expect((await offboardings.create({ entityId })).status).toBe(201);
    });
  });

  describe('time budget', () => {
    it('given five stale requests and a budget that runs out after two expiries, then the run stops early reporting three left, and the next run expires exactly those', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const ids = await createdSeveralAt(caller, era, 5);
      let applied = 0;
      const counting: Pick<Lifecycle, 'transition'> = {
        transition: async (...args) => {
          const result = await lifecycle.transition(...args);
          if (result.outcome === 'applied') applied++;
          return result;
        },
      };

      const first = await cleanupOlderThan(era + HOUR, {
        lifecycle: counting,
        remainingMs: () => (applied < 2 ? BUDGET : SAFETY_MARGIN - 1),
      });

      expect(first).toEqual({ expired: 2, skipped: 0, stoppedEarly: true });
      const afterFirst = await Promise.all(ids.map((id) => stateOf(caller, id)));
      const expiredFirst = afterFirst.filter((request) => request.status === 'Canceled').map((request) => request.id);
      const leftOpen = afterFirst.filter((request) => request.status === 'Pending').map((request) => request.id);
      expect({ expired: expiredFirst.length, open: leftOpen.length }).toEqual({ expired: 2, open: 3 });

      const second = await cleanupOlderThan(era + HOUR);

      expect(second).toEqual({ expired: 3, skipped: 0, stoppedEarly: false });
      for (const id of ids) await expectExpired(caller, id, 'Pending', 2);
    });

    it('given stale requests and no budget left at the start, then the run changes nothing and reports all of them as remaining', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const ids = await createdSeveralAt(caller, era, 3);

      const report = await cleanupOlderThan(era + HOUR, { remainingMs: () => SAFETY_MARGIN - 1 });

      expect(report).toEqual({ expired: 0, skipped: 0, stoppedEarly: true });
      for (const id of ids) await expectOpen(caller, id, 'Pending', 1);
    });
  });

  describe('concurrent and repeated runs', () => {
    it('given six stale requests, when two runs start at once, then each request is expired exactly once', async () => {
      const era = newEra();
      const collectives = await givenCaller('collectives');
      const entities = await givenCaller('entities');
      const collectiveIds = await createdSeveralAt(collectives, era, 3);
      const entityIds = await createdSeveralAt(entities, era, 3);

      const [a, b] = await Promise.all([cleanupOlderThan(era + HOUR), cleanupOlderThan(era + HOUR)]);

      expect(a.expired + b.expired).toBe(6);
      expect([a.stoppedEarly, b.stoppedEarly]).toEqual([false, false]);
      for (const id of collectiveIds) await expectExpired(collectives, id, 'Pending', 2);
      for (const id of entityIds) await expectExpired(entities, id, 'Pending', 2);
    });

    it('given stale requests, when the function is invoked twice at once and then retried, then each request is expired exactly once and the retry changes nothing', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const ids = await createdSeveralAt(caller, era, 4);
      await movedAt(ids[3]!, era, 'Processing');
      const event = { olderThanMinutes: minutesSince(era + HOUR) };

      const [a, b] = await Promise.all([
        cleanup.handler(event, cleanupContext()) as Promise<CleanupReport>,
        cleanup.handler(event, cleanupContext()) as Promise<CleanupReport>,
      ]);
      const retry = (await cleanup.handler(event, cleanupContext())) as CleanupReport;

      expect(a.expired + b.expired).toBe(4);
      expect(retry).toMatchObject({ expired: 0, skipped: 0, stoppedEarly: false });
      for (const id of ids.slice(0, 3)) await expectExpired(caller, id, 'Pending', 2);
      await expectExpired(caller, ids[3]!, 'Processing', 3);
    });

    it.each([
      ['canceled through the API', 'Canceled'],
      ['moved to Processing by a webhook', 'Processing'],
    ] as const)('given a stale request %s between the index read and the expiry, then it is skipped and keeps that change', async (_name, status) => {
      const era = newEra();
      const caller = await givenCaller();
      const id = await createdAt(caller, era);
      const racing: Pick<RequestStore, 'listStale' | 'openShards'> = {
        openShards: store.openShards,
        listStale: async (query) => {
          const page = await store.listStale(query);
          if (page.items.some((item) => item.id === id)) {
            if (status === 'Canceled') expect((await caller.api.cancel(id)).status).toBe(200);
            else await deliverWebhook(id, status);
          }
          return page;
        },
      };

      const report = await cleanupOlderThan(era + HOUR, { store: racing });

      expect(report).toEqual({ expired: 0, skipped: 1, stoppedEarly: false });
      expect(await stateOf(caller, id)).toMatchObject({ status, version: 2, errors: [] });
      const trail = await historyOf(caller, id);
      expect(trail.map((record) => record.to)).toEqual(['Pending', status]);
      expect(trail[1]!.actor.type).toBe(status === 'Canceled' ? 'principal' : 'webhook');
    });
  });

  describe('the open index', () => {
    it('given a Pending request, then it is indexed under Pending and its last change; moving to Processing moves the entry', async () => {
      const caller = await givenCaller();
      const created = await caller.api.create(BODIES.collectives);
      const id = created.body.id as string;
      const asPending = await expectIndexedAs(id, 'Pending', created.body.updated);

      await deliverWebhook(id, 'Processing');

      const { updated } = await stateOf(caller, id);
      const asProcessing = await expectIndexedAs(id, 'Processing', updated);
      expect(asProcessing.openShard).toBe(asPending.openShard);
      expect(await indexHolds(asPending.openShard, asPending.openKey)).toBe(false);
    });

    describe.each(['Pending', 'Processing'] as const)('given a %s request', (from) => {
      async function givenOpen() {
        const caller = await givenCaller();
        const created = await caller.api.create(BODIES.collectives);
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        if (from === 'Processing') await deliverWebhook(id, 'Processing');
        const entry = await expectIndexedAs(id, from, (await stateOf(caller, id)).updated);
        return { caller, id, entry };
      }

      it('when it is canceled through the API, then its index entry is gone', async () => {
        const { caller, id, entry } = await givenOpen();

        expect((await caller.api.cancel(id)).status).toBe(200);

        await expectNotIndexed(id, entry);
      });

      it.each(['Succeeded', 'Failed', 'Canceled'] as const)('when a webhook reports %s, then its index entry is gone', async (to) => {
        const { caller, id, entry } = await givenOpen();

        await deliverWebhook(id, to);

        expect((await stateOf(caller, id)).status).toBe(to);
        await expectNotIndexed(id, entry);
      });
    });

    it('given stale Pending and Processing requests, when cleanup expires them, then their index entries are gone', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const pending = await createdAt(caller, era);
      const processing = await createdAt(caller, era);
      await movedAt(processing, era, 'Processing');
      const entries = [
        await expectIndexedAs(pending, 'Pending', new Date(era).toISOString()),
        await expectIndexedAs(processing, 'Processing', new Date(era).toISOString()),
      ];

      expect(await cleanupOlderThan(era + HOUR)).toMatchObject({ expired: 2 });

      await expectNotIndexed(pending, entries[0]!);
      await expectNotIndexed(processing, entries[1]!);
    });
  });

  describe('the scheduled function', () => {
    it('given the EventBridge schedule event, then the configured ages apply: Pending after 168 h, Processing after 72 h', async () => {
      const now = Date.now();
      const caller = await givenCaller();
      const pendingOld = await createdAt(caller, now - 8 * DAY);
      const pendingYoung = await createdAt(caller, now - 6 * DAY);
      const processingOld = await createdAt(caller, now - 5 * DAY);
      await movedAt(processingOld, now - 4 * DAY, 'Processing');
      const processingYoung = await createdAt(caller, now - 5 * DAY);
      await movedAt(processingYoung, now - 2 * DAY, 'Processing');

      const report = (await cleanup.handler(scheduledEvent(), cleanupContext())) as CleanupReport;

      expect(report.stoppedEarly).toBe(false);
      await expectExpired(caller, pendingOld, 'Pending', 2);
      await expectExpired(caller, processingOld, 'Processing', 3);
      await expectOpen(caller, pendingYoung, 'Pending', 1);
      await expectOpen(caller, processingYoung, 'Processing', 2);
    });

    it("given a manual run with olderThanMinutes, then requests older than that expire under the invocation's request id", async () => {
      const era = newEra();
      const caller = await givenCaller();
      const stale = await createdAt(caller, era);
      const fresh = await createdAt(caller, era + 2 * HOUR);
      const context = cleanupContext();

      const report = await cleanup.handler({ olderThanMinutes: minutesSince(era + HOUR) }, context);

      expect(report).toMatchObject({ expired: 1, skipped: 0, stoppedEarly: false });
      await expectExpired(caller, stale, 'Pending', 2);
      expect((await historyOf(caller, stale))[1]!.correlationId).toBe(context.awsRequestId);
      await expectOpen(caller, fresh, 'Pending', 1);
    });

    it('given an invocation with less than the safety margin left, then it expires nothing and reports the stale requests as remaining', async () => {
      const era = newEra();
      const caller = await givenCaller();
      const id = await createdAt(caller, era);
      const event = { olderThanMinutes: minutesSince(era + HOUR) };

      const report = await cleanup.handler(event, cleanupContext(config.cleanup.safetyMarginMs - 1));

      expect(report).toMatchObject({ expired: 0, skipped: 0, stoppedEarly: true });
      await expectOpen(caller, id, 'Pending', 1);
    });

    it.each([
      ['negative', -1],
      ['not a number', 'abc'],
      ['a fraction', 1.5],
    ])('given olderThanMinutes that is %s, then the invocation is rejected and changes nothing', async (_name, olderThanMinutes) => {
      const era = newEra();
      const caller = await givenCaller();
      const id = await createdAt(caller, era);

      await expect(cleanup.handler({ olderThanMinutes }, cleanupContext())).rejects.toMatchObject({
        code: 'validation_failed',
        message: expect.stringContaining('olderThanMinutes'),
      });

      await expectOpen(caller, id, 'Pending', 1);
    });
  });
});
