import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { verifyChain } from '../../lib/lifecycle/hash-chain.ts';
import type { Transition } from '../../lib/lifecycle/types.ts';
import { logger, store } from '../support/app.ts';
import { BODIES, newMessageId, ownerOf } from '../support/fixtures.ts';
import { invoke, type Response, signedWebhookEvent, tenant } from '../support/http.ts';
import { type CollectionPath, expectNoLeak, type OnboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/**
 * Concurrency storms through the wrapped handlers: many callers at once on one request, or on many tenants.
 * Whatever the interleaving, every answer is one the API documents, and the audit trail stays one
 * contiguous, verifiable chain with exactly one record per applied transition.
 *
 * All invocations share one process here, unlike Lambda: past the SDK's 50 sockets, calls queue, and one
 * that waits longer than the 1 s connection timeout makes the service answer 503 service_unavailable with
 * Retry-After. Callers retry those, as these tests do (with an Idempotency-Key for creates).
 * A 500 is never acceptable, and the final answers must be what the storm predicts.
 */

const STORM = 50;
/** 10 tenants × 10 creates at once (twice the SDK's 50 sockets), half of them then canceled. */
const REQUESTS_PER_TENANT = 10;
const TERMINAL = ['Succeeded', 'Failed', 'Canceled'];

type WebhookStatus = 'Processing' | 'Succeeded' | 'Failed' | 'Canceled';

interface Message {
  messageId: string;
  status: WebhookStatus;
  errors?: Array<{ code: string; message: string }>;
}

/** What the service logged as failures during the test: the cause of any 5xx, named in assertion messages. */
let failures: string[] = [];
beforeEach(() => {
  failures = [];
  vi.spyOn(logger, 'error').mockImplementation(((message: string, extra?: { error?: Error & { cause?: Error } }) => {
    failures.push(`${message}: ${extra?.error?.name} ${extra?.error?.message} (cause: ${extra?.error?.cause?.name} ${extra?.error?.cause?.message})`);
  }) as typeof logger.error);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every answer a caller saw on the way to the final one. */
interface Attempts {
  all: Response[];
  final: Response;
}

const isRetryable = (answer: Response) =>
  (answer.status === 503 && answer.body?.code === 'service_unavailable') || (answer.status === 409 && answer.body?.code === 'idempotency_in_progress');

/**
 * Calls until the answer is not a retryable one, as a careful client would. The pause is shorter than
 * Retry-After, to keep the storm short; it still spreads the retries.
 */
async function retrying(call: () => Promise<Response>, maxAttempts = 8): Promise<Attempts> {
  const all: Response[] = [];
  for (;;) {
    const answer = await call();
    all.push(answer);
    if (!isRetryable(answer) || all.length >= maxAttempts) return { all, final: answer };
    if (answer.status === 503) expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
  }
}

/** A signed POST /v1/webhooks/onboarding, built once so that redeliveries are byte-for-byte the same. */
function webhookDelivery(requestId: string, message: Message) {
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: 'onboarding.status.updated',
    timestamp: new Date().toISOString(),
    data: { id: requestId, status: message.status, ...(message.errors ? { errors: message.errors } : {}) },
  });
  return () => invoke(webhooks.handler, signedWebhookEvent(message.messageId, body, timestamp));
}

async function givenPending(path: CollectionPath = 'collectives') {
  const { authorization } = await tenant();
  const api = onboardingApi(path, authorization);
  const created = await api.create(BODIES[path]);
  expect(created.status).toBe(201);
  return { api, id: created.body.id as string };
}

async function trailOf(api: OnboardingApi, id: string): Promise<Transition[]> {
  const page = await api.history(id, { pageSize: '100' });
  expect(page.status).toBe(200);
  expect(page.body.links.next).toBeNull();
  return page.body.data;
}

/** The trail is 1..n without gaps, chains by hash, and ends where the request stands. */
async function expectSoundTrail(api: OnboardingApi, id: string): Promise<Transition[]> {
  const trail = await trailOf(api, id);
  const request = (await api.get(id)).body;
  expect(trail.map((record) => record.version)).toEqual(trail.map((_, index) => index + 1));
  expect(verifyChain(trail, ownerOf(request))).toEqual([]);
  expect(trail.filter((record) => TERMINAL.includes(record.to))).toHaveLength(1);
  expect({ status: request.status, version: request.version }).toEqual({ status: trail.at(-1)!.to, version: trail.at(-1)!.version });
  return trail;
}

/** No 500 and nothing internal in any answer; a 503 is only the retryable service_unavailable. */
function expectNo500s(attempts: Attempts[]) {
  const answers = attempts.flatMap((attempt) => attempt.all);
  const failed = answers.filter((answer) => answer.status >= 500 && !isRetryable(answer));
  expect(
    failed.map((answer) => `${answer.status} ${answer.body?.code}`),
    `logged: ${[...new Set(failures)].join('; ')}`,
  ).toEqual([]);
  for (const answer of answers) expectNoLeak(answer);
}

const finals = (attempts: Attempts[]) => attempts.map((attempt) => attempt.final);

describe('storms on one request', () => {
  it.each(['collectives', 'entities'] as const)(
    'given a Pending %s request, when 50 cancels arrive at once, then all answer 200 Canceled at version 2 and exactly 2 records exist',
    async (path) => {
      const { api, id } = await givenPending(path);

      const attempts = await Promise.all(Array.from({ length: STORM }, () => retrying(() => api.cancel(id))));

      expectNo500s(attempts);
      for (const answer of finals(attempts)) {
        expect({ status: answer.status, requestStatus: answer.body.status, version: answer.body.version, etag: answer.headers.etag }).toEqual({
          status: 200,
          requestStatus: 'Canceled',
          version: 2,
          etag: '"2"',
        });
      }
      const trail = await expectSoundTrail(api, id);
      expect(trail.map((record) => [record.version, record.from, record.to])).toEqual([
        [1, null, 'Pending'],
        [2, 'Pending', 'Canceled'],
      ]);
    },
  );

  it('given a Pending request, when 50 webhooks with different ids and mixed statuses arrive at once, then each is applied, ignored or (after a retry) duplicate and the trail is one sound chain', async () => {
    const { api, id } = await givenPending();
    const statuses: WebhookStatus[] = ['Processing', 'Succeeded', 'Failed', 'Canceled'];
    const messages: Message[] = Array.from({ length: STORM }, (_, index) => {
      const status = statuses[index % statuses.length]!;
      return {
        messageId: newMessageId(),
        status,
        ...(status === 'Failed' ? { errors: [{ code: `Storm${index}`, message: `failure ${index}` }] } : {}),
      };
    });

    const attempts = await Promise.all(messages.map((message) => retrying(webhookDelivery(id, message))));

    expectNo500s(attempts);
    attempts.forEach(({ all, final }) => {
      expect(final.status).toBe(200);
      // A sender that retried after a 503 may learn that its first attempt was applied after all.
      expect(all.length > 1 ? ['applied', 'ignored', 'duplicate'] : ['applied', 'ignored']).toContain(final.body.outcome);
    });
    const trail = await expectSoundTrail(api, id);
    expect(trail.length).toBeLessThanOrEqual(3);
    const outcomeOf = (messageId: string) => finals(attempts)[messages.findIndex((message) => message.messageId === messageId)]!.body;
    const recorded = trail.slice(1).map((record) => record.actor.id);
    const remembered = await Promise.all(messages.map(async (message) => (await store.findWebhookMessage(id, message.messageId)) !== undefined));
    expect(
      messages
        .filter((_, index) => remembered[index])
        .map((message) => message.messageId)
        .sort(),
    ).toEqual([...recorded].sort());
    for (const message of messages) {
      const outcome = outcomeOf(message.messageId).outcome;
      expect(outcome === 'ignored' ? 'not recorded' : 'recorded', `${message.messageId} was ${outcome}`).toBe(
        recorded.includes(message.messageId) ? 'recorded' : 'not recorded',
      );
    }
    for (const record of trail.slice(1)) {
      const message = messages.find((candidate) => candidate.messageId === record.actor.id)!;
      expect(record).toMatchObject({ to: message.status, source: 'webhook', actor: { type: 'webhook' } });
      const outcome = outcomeOf(message.messageId);
      if (outcome.outcome === 'applied') expect(outcome.version).toBe(record.version);
    }
    const request = (await api.get(id)).body;
    const lastMessage = messages.find((message) => message.messageId === trail.at(-1)!.actor.id)!;
    expect(request.errors).toEqual(lastMessage.errors ?? []);
  });

  it('given a Pending request, when the same webhook is delivered 50 times at once, then exactly one delivery is applied and the rest are duplicates', async () => {
    const { api, id } = await givenPending('entities');
    const message: Message = { messageId: newMessageId(), status: 'Succeeded' };
    const deliver = webhookDelivery(id, message);

    const attempts = await Promise.all(Array.from({ length: STORM }, () => retrying(deliver)));

    expectNo500s(attempts);
    const outcomes = finals(attempts).map((answer) => [answer.status, answer.body.outcome]);
    expect(outcomes.filter(([, outcome]) => outcome === 'applied')).toHaveLength(1);
    expect(outcomes.filter(([status, outcome]) => status === 200 && outcome === 'duplicate')).toHaveLength(STORM - 1);
    const trail = await expectSoundTrail(api, id);
    expect(trail.map((record) => [record.version, record.to, record.actor.id])).toEqual([
      [1, 'Pending', expect.any(String)],
      [2, 'Succeeded', message.messageId],
    ]);
    expect(await store.findWebhookMessage(id, message.messageId)).toBeDefined();
  });

  it('given a Pending request, when 25 cancels race 25 Succeeded webhooks, then exactly one side wins and every answer agrees with it', async () => {
    const { api, id } = await givenPending();
    const messages: Message[] = Array.from({ length: STORM / 2 }, () => ({ messageId: newMessageId(), status: 'Succeeded' }));
    const deliveries = messages.map((message) => webhookDelivery(id, message));

    const attempts = await Promise.all(
      Array.from({ length: STORM }, (_, index) => retrying(index % 2 === 0 ? () => api.cancel(id) : deliveries[(index - 1) / 2]!)),
    );
    const cancels = finals(attempts.filter((_, index) => index % 2 === 0));
    const hooks = finals(attempts.filter((_, index) => index % 2 === 1));

    expectNo500s(attempts);
    const trail = await expectSoundTrail(api, id);
    expect(trail).toHaveLength(2);
    const winner = trail[1]!;
    if (winner.to === 'Canceled') {
      expect(winner.actor.type).toBe('principal');
      for (const answer of cancels) expect({ status: answer.status, requestStatus: answer.body.status }).toEqual({ status: 200, requestStatus: 'Canceled' });
      for (const answer of hooks) expect({ status: answer.status, outcome: answer.body.outcome }).toEqual({ status: 200, outcome: 'ignored' });
    } else {
      expect(winner).toMatchObject({ to: 'Succeeded', actor: { type: 'webhook' } });
      for (const answer of cancels) expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 409, code: 'invalid_transition' });
      expect(hooks.filter((answer) => answer.body.outcome !== 'ignored').map((answer) => answer.body.outcome)).toEqual(['applied']);
      expect(hooks.every((answer) => answer.status === 200)).toBe(true);
    }
  });
});

describe('storms across tenants', () => {
  it("given 10 tenants, when each creates 10 requests and cancels half of them all at once, then every list shows exactly that tenant's own requests", async () => {
    const tenants = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { authorization } = await tenant();
        return { collectives: onboardingApi('collectives', authorization), entities: onboardingApi('entities', authorization) };
      }),
    );
    const plan = tenants.flatMap((owner, tenantIndex) =>
      Array.from({ length: REQUESTS_PER_TENANT }, (_, index) => ({
        tenantIndex,
        path: (index % 2 === 0 ? 'collectives' : 'entities') as CollectionPath,
        cancel: index % 4 < 2,
        owner,
      })),
    );

    const outcomes = await Promise.all(
      plan.map(async (step) => {
        const api = step.owner[step.path];
        const headers = { 'Idempotency-Key': `storm-${randomUUID()}` };
        const created = await retrying(() => api.create(BODIES[step.path], { headers }));
        const canceled = step.cancel && created.final.status === 201 ? await retrying(() => api.cancel(created.final.body.id)) : undefined;
        return { ...step, created, canceled };
      }),
    );

    expectNo500s(outcomes.flatMap((outcome) => (outcome.canceled ? [outcome.created, outcome.canceled] : [outcome.created])));
    for (const { created, canceled } of outcomes) {
      expect(created.final.status).toBe(201);
      if (canceled) expect({ status: canceled.final.status, requestStatus: canceled.final.body.status }).toEqual({ status: 200, requestStatus: 'Canceled' });
    }
    const idsOf = (tenantIndex: number, path: CollectionPath, canceled?: boolean) =>
      outcomes
        .filter((outcome) => outcome.tenantIndex === tenantIndex && outcome.path === path && (canceled === undefined || outcome.cancel === canceled))
        .map((outcome) => outcome.created.final.body.id as string)
        .sort();
    const seen = new Set<string>();
    await Promise.all(
      tenants.map(async (owner, tenantIndex) => {
        for (const path of ['collectives', 'entities'] as const) {
          const [all, canceled, pending] = await Promise.all([
            owner[path].list({ pageSize: '100' }),
            owner[path].list({ pageSize: '100', status: 'Canceled' }),
            owner[path].list({ pageSize: '100', status: 'Pending' }),
          ]);
          const ids = (page: Response) => page.body.data.map((request: { id: string }) => request.id).sort();
          expect(ids(all)).toEqual(idsOf(tenantIndex, path));
          expect(ids(canceled)).toEqual(idsOf(tenantIndex, path, true));
          expect(ids(pending)).toEqual(idsOf(tenantIndex, path, false));
          for (const id of ids(all)) seen.add(id);
        }
      }),
    );
    expect(seen.size).toBe(tenants.length * REQUESTS_PER_TENANT);
  });

  it("given 10 tenants with Pending requests, when each tries at once to cancel and read its neighbour's, then all are 404 and nothing changes", async () => {
    const tenants = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { authorization } = await tenant();
        const api = onboardingApi('collectives', authorization);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const created = await api.create(BODIES.collectives);
          expect(created.status).toBe(201);
          ids.push(created.body.id);
        }
        return { api, ids };
      }),
    );

    const attempts = await Promise.all(
      tenants.flatMap((intruder, index) => {
        const victim = tenants[(index + 1) % tenants.length]!;
        return victim.ids.flatMap((id) => [
          retrying(() => intruder.api.cancel(id)),
          retrying(() => intruder.api.get(id)),
          retrying(() => intruder.api.history(id)),
        ]);
      }),
    );

    expectNo500s(attempts);
    for (const answer of finals(attempts)) expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 404, code: 'not_found' });
    await Promise.all(
      tenants.map(async ({ api, ids }) => {
        const listed = (await api.list({ pageSize: '100' })).body.data as Array<{ id: string; status: string; version: number }>;
        expect(listed.map((request) => [request.id, request.status, request.version]).sort()).toEqual(ids.map((id) => [id, 'Pending', 1]).sort());
      }),
    );
  });
});
