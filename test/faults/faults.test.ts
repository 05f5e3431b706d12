import { AsyncLocalStorage } from 'node:async_hooks';
import { randomInt, randomUUID } from 'node:crypto';
import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { problemResponse } from '../../lib/http/problem.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { ENTITY_ONBOARDING } from '../../lib/kinds/entity-onboarding.ts';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { UnavailableError } from '../../lib/lifecycle/errors.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle } from '../../lib/lifecycle/lifecycle.ts';
import { createRequests } from '../../lib/lifecycle/requests.ts';
import type { Caller } from '../../lib/lifecycle/types.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { createDynamoStore } from '../../lib/store/dynamo-store.ts';
import { BODIES, consentLinks, statusEvent, testNotary } from '../support/fixtures.ts';
import { invoke, lambdaContext, type Response, signedWebhookEvent, tenant } from '../support/http.ts';
import { type IsolatedStack, integrityFindings, startIsolatedStack } from './isolated-stack.ts';

/*
 * Faults with nothing lost. Everything here runs against a DynamoDB Local of this file's own (it is stopped
 * and started again), with the handlers imported fresh to bind to it; see ./isolated-stack.ts.
 */

type Path = keyof typeof BODIES;
type WebhookStatus = 'Processing' | 'Succeeded' | 'Failed' | 'Canceled';
const WEBHOOK_STATUSES: readonly WebhookStatus[] = ['Processing', 'Succeeded', 'Failed', 'Canceled'];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const pickOne = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;

let stack: IsolatedStack;
const faults = {
  databaseStops: 0,
  outageAnswers503: 0,
  throttlesInjected: 0,
  invocationsKilled: 0,
  killedByTimeout: 0,
  killedAtCall: 0,
  killedWithWriteDoneButUnanswered: 0,
};

beforeAll(async () => {
  stack = await startIsolatedStack();
}, 60_000);

afterAll(async () => {
  await stack?.close();
  console.info(`faults injected: ${JSON.stringify(faults)}`);
});

function expectUnavailable(response: Response) {
  stack.api.expectProblem(response, 503, 'service_unavailable');
  expect(response.headers['retry-after'], 'Retry-After').toMatch(/^[1-9]\d*$/);
}

describe('DynamoDB Local stops in the middle of a run (own instance, persisted, restarted on the same port)', () => {
  it('in-flight and later requests answer 503 problem+json with Retry-After (never a 500), and after a restart the same handlers answer 2xx and every trail verifies', async () => {
    // Prepare
    const caller = await tenant();
    const apis = {
      collectives: stack.api.onboardingApi('collectives', caller.authorization),
      entities: stack.api.onboardingApi('entities', caller.authorization),
    };
    const known: Array<{ id: string; path: Path }> = [];
    for (const path of ['collectives', 'entities', 'collectives', 'entities', 'collectives', 'entities'] as const) {
      const created = await apis[path].create(BODIES[path]);
      expect(created.status).toBe(201);
      known.push({ id: created.body.id, path });
    }
    type Call = { op: 'create' | 'cancel' | 'get'; startedAt: number; endedAt: number; response: Response };
    const calls: Call[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const op = pickOne(['create', 'cancel', 'get'] as const);
        const target = pickOne(known);
        const startedAt = performance.now();
        const response = op === 'create' ? await apis[target.path].create(BODIES[target.path]) : await apis[target.path][op](target.id);
        calls.push({ op, startedAt, endedAt: performance.now(), response });
        if (op === 'create' && response.status === 201) known.push({ id: response.body.id, path: target.path });
      }
    };

    // Act: 12 callers at once; the database goes away under them, and stays away for a while.
    const workers = Array.from({ length: 12 }, worker);
    let stoppedAt = Number.POSITIVE_INFINITY;
    let killedAt = Number.POSITIVE_INFINITY;
    try {
      await sleep(400);
      killedAt = performance.now();
      await stack.stopDatabase();
      stoppedAt = performance.now();
      faults.databaseStops++;
      await sleep(1_500);
    } finally {
      running = false;
      const settled = await Promise.allSettled(workers);
      await stack.startDatabase();
      expect(
        settled.filter((worker) => worker.status === 'rejected'),
        'a caller saw an exception instead of an answer',
      ).toEqual([]);
    }

    // Assess the outage
    const before = calls.filter((call) => call.endedAt < killedAt);
    const inFlight = calls.filter((call) => call.startedAt < killedAt && call.endedAt >= killedAt);
    const after = calls.filter((call) => call.startedAt >= stoppedAt);
    for (const call of calls) {
      expect(call.response.status, `${call.op} answered ${call.response.status}: ${JSON.stringify(call.response.body)}`).toBeOneOf([200, 201, 503]);
      if (call.response.status === 503) expectUnavailable(call.response);
    }
    expect(
      before.every((call) => call.response.status < 300),
      'before the stop everything succeeds',
    ).toBe(true);
    expect(inFlight.length, 'some requests were in flight when the database stopped').toBeGreaterThan(0);
    expect(after.length, 'requests kept coming while the database was down').toBeGreaterThan(0);
    expect(after.map((call) => call.response.status)).toEqual(after.map(() => 503));
    faults.outageAnswers503 += calls.filter((call) => call.response.status === 503).length;

    // Assess the recovery: the very same handlers, no new cold start.
    for (const { id, path } of known) {
      const got = await apis[path].get(id);
      expect(got.status, `get ${id} after the restart`).toBe(200);
      const canceled = await apis[path].cancel(id);
      expect({ status: canceled.status, state: canceled.body.status }).toEqual({ status: 200, state: 'Canceled' });
    }
    const fresh = await apis.entities.create(BODIES.entities);
    expect(fresh.status).toBe(201);
    expect(await integrityFindings(stack)).toEqual([]);
    const { requests, findings } = await stack.audit.auditAll(stack.runtime.store, stack.runtime.kinds, () => undefined);
    expect(findings).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(known.length + 1);
  }, 60_000);
});

describe('throttling, with a mocked client (an injected ThrottlingException inside the SDK retry loop)', () => {
  const newCaller = (): Caller => ({ principalId: 'throttled-principal', tenantId: randomUUID(), scopes: new Set(['onboarding:read', 'onboarding:write']) });

  /** A ThrottlingException as DynamoDB sends it, fresh each time (the retry loop annotates it). */
  const throttle = () =>
    Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      $retryable: { throttling: true },
    });

  /**
   * The service over a client built as production builds it (maxAttempts 3), with a middleware inside the
   * retry loop that throws `fault()` for the first `failing` attempts of each `commandName` call.
   */
  function serviceWithInjectedFault(options: { failing: number; commandName?: string; fault?: () => Error }) {
    const client: DynamoDBClient = createDynamoClient({ region: 'eu-west-1', endpoint: stack.endpoint });
    const attempts: Array<{ command: string; at: number }> = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        if (options.commandName === undefined || command === options.commandName) {
          attempts.push({ command, at: performance.now() });
          if (attempts.length <= options.failing) {
            faults.throttlesInjected++;
            throw (options.fault ?? throttle)();
          }
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectThrottling' },
    );
    const store = createDynamoStore(createDocumentClient(client), stack.tableName);
    const core = createLifecycle({ notary: testNotary(), store, pageTokens: createPageTokens('faults-page-token-secret'), kinds: registryOf(ALL_KINDS) });
    const served = { consentLinks: consentLinks(), allowLoopbackHttpReturnUrl: true };
    const service = { collectives: createRequests(COLLECTIVE_ONBOARDING, core, served), entities: createRequests(ENTITY_ONBOARDING, core, served) };
    return { service, attempts, client };
  }

  async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error('expected the call to fail');
  }

  function expectThrottled503(error: unknown, attempts: Array<{ at: number }>) {
    expect(attempts, 'the SDK tried maxAttempts (3) times').toHaveLength(3);
    expect(attempts.at(-1)!.at - attempts[0]!.at, 'with a backoff between attempts').toBeGreaterThan(0);
    expect(error).toBeInstanceOf(UnavailableError);
    const cause = (error as UnavailableError).cause as { $metadata?: { attempts?: number; totalRetryDelay?: number } };
    expect(cause.$metadata).toMatchObject({ attempts: 3 });
    expect(cause.$metadata?.totalRetryDelay).toBeGreaterThan(0);

    const response = problemResponse(error, 'corr-1');
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': expect.stringMatching(/^[1-9]\d*$/) });
    const body = JSON.parse(response.body as string);
    expect(body).toMatchObject({ status: 503, code: 'service_unavailable', correlationId: 'corr-1' });
    expect(response.body).not.toMatch(/Throttl|Exception|throughput|DynamoDB/i);
  }

  it('a create that DynamoDB keeps throttling is retried 3 times with backoff, then is a 503 problem with Retry-After, and nothing is written', async () => {
    const caller = newCaller();
    const { service, attempts, client } = serviceWithInjectedFault({ failing: Number.POSITIVE_INFINITY });

    const error = await rejectionOf(service.collectives.create(BODIES.collectives, caller, { correlationId: 'corr-create' }));

    expectThrottled503(error, attempts);
    expect(attempts.every((attempt) => attempt.command === 'TransactWriteItemsCommand')).toBe(true);
    const listed = await stack.runtime.requests.collectives.list(caller, {}, { correlationId: 'corr-list' });
    expect(listed.items).toEqual([]);
    client.destroy();
  });

  it.each(['get', 'cancel'] as const)(
    'a %s that DynamoDB keeps throttling is retried 3 times, then is a 503 problem, and the request is unchanged',
    async (operation) => {
      const caller = newCaller();
      const { request } = await stack.runtime.requests.entities.create(BODIES.entities, caller, { correlationId: 'corr-setup' });
      const { service, attempts, client } = serviceWithInjectedFault({ failing: Number.POSITIVE_INFINITY });

      const error = await rejectionOf(
        operation === 'get'
          ? service.entities.get(request.id, caller, { correlationId: 'corr-get' })
          : service.entities.cancel(request.id, caller, { correlationId: 'corr-cancel' }),
      );

      expectThrottled503(error, attempts);
      expect(await stack.runtime.store.get(request.id)).toMatchObject({ status: 'Pending', version: 1 });
      expect(await stack.audit.auditRequest(stack.runtime.store, stack.runtime.kinds, request.id)).toEqual([]);
      client.destroy();
    },
  );

  it('a throttle that clears on the 2nd attempt is absorbed by the SDK retry: the create and a cancel succeed, each recorded once', async () => {
    const caller = newCaller();
    const { service, attempts, client } = serviceWithInjectedFault({ failing: 1, commandName: 'TransactWriteItemsCommand' });

    const { request } = await service.collectives.create(BODIES.collectives, caller, { correlationId: 'corr-clears' });
    expect(attempts).toHaveLength(2);
    attempts.length = 0;
    const canceled = await service.collectives.cancel(request.id, caller, { correlationId: 'corr-clears-cancel' });

    expect(attempts).toHaveLength(2);
    expect(canceled).toMatchObject({ id: request.id, status: 'Canceled', version: 2 });
    const trail = (await stack.runtime.store.history(request.id, 10)).items;
    expect(trail.map((record) => record.to)).toEqual(['Pending', 'Canceled']);
    expect(await stack.audit.auditRequest(stack.runtime.store, stack.runtime.kinds, request.id)).toEqual([]);
    client.destroy();
  });

  it.each(['ThrottlingError', 'ProvisionedThroughputExceeded'])(
    'a transaction DynamoDB cancels for capacity (reason %s) is a 503 problem with Retry-After, not a 500',
    async (reason) => {
      const caller = newCaller();
      const { request } = await stack.runtime.requests.entities.create(BODIES.entities, caller, { correlationId: 'corr-setup' });
      const canceledForCapacity = () =>
        new TransactionCanceledException({
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reason}, None]`,
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: [{ Code: reason, Message: 'Throughput exceeds the current capacity of your table or index.' }, { Code: 'None' }],
        });
      const { service, client } = serviceWithInjectedFault({
        failing: Number.POSITIVE_INFINITY,
        commandName: 'TransactWriteItemsCommand',
        fault: canceledForCapacity,
      });

      const creating = await rejectionOf(service.collectives.create(BODIES.collectives, caller, { correlationId: 'corr-capacity' }));
      const canceling = await rejectionOf(service.entities.cancel(request.id, caller, { correlationId: 'corr-capacity' }));

      for (const error of [creating, canceling]) {
        const response = problemResponse(error, 'corr-capacity');
        expect({ status: response.statusCode, code: JSON.parse(response.body as string).code, retryAfter: response.headers?.['Retry-After'] }).toEqual({
          status: 503,
          code: 'service_unavailable',
          retryAfter: expect.stringMatching(/^[1-9]\d*$/),
        });
      }
      expect(await stack.runtime.store.get(request.id)).toMatchObject({ status: 'Pending', version: 1 });
      client.destroy();
    },
  );
});

describe('a Lambda killed at a random point of a transition (timeout) leaves no partial state', () => {
  /**
   * Where Lambda kills an invocation: after `ms` of wall time (a timeout racing the work), or exactly at its
   * `call`-th DynamoDB call, `before` it is sent or `after` DynamoDB did it but before the answer arrives.
   */
  type Kill = { ms: number } | { call: number; phase: 'before' | 'after' };

  /**
   * One invocation's view of the world. Once `frozen` the sandbox is gone: the instrumented client of the
   * imported runtime sends nothing more and delivers no further answer (a call already on the wire still
   * reaches DynamoDB, as when Lambda kills a sandbox mid-request).
   */
  interface Invocation {
    kill: Kill;
    frozen: boolean;
    calls: number;
    writesSent: number;
    /** Writes DynamoDB carried out whose answer the killed invocation never saw. */
    writesLost: number;
    onFrozen: () => void;
  }
  const invocation = new AsyncLocalStorage<Invocation>();
  const onTheWire = new Set<Promise<unknown>>();
  const never = new Promise<never>(() => undefined);
  const freeze = (state: Invocation) => {
    state.frozen = true;
    state.onFrozen();
    return never;
  };

  beforeAll(() => {
    for (const client of stack.dynamoClients)
      client.middlewareStack.add(
        (next: any, context: any) => async (args: any) => {
          const current = invocation.getStore();
          if (!current) return next(args);
          if (current.frozen) return never;
          const index = current.calls++;
          const point = 'call' in current.kill && current.kill.call === index ? current.kill.phase : undefined;
          if (point === 'before') return freeze(current);
          const write = context.commandName === 'TransactWriteItemsCommand';
          if (write) current.writesSent++;
          const sent = next(args);
          onTheWire.add(sent);
          try {
            const result = await sent;
            if (current.frozen || point === 'after') {
              if (write) current.writesLost++;
              return freeze(current);
            }
            return result;
          } catch (error) {
            if (current.frozen || point === 'after') return freeze(current);
            throw error;
          } finally {
            onTheWire.delete(sent);
          }
        },
        { step: 'initialize', priority: 'high', name: 'lambdaFreeze' },
      );
  });

  const randomKill = (maxMs: number, maxCall: number): Kill =>
    randomInt(2) === 0 ? { ms: randomInt(0, maxMs + 1) } : { call: randomInt(0, maxCall + 1), phase: pickOne(['before', 'after'] as const) };

  /** Runs one handler call as an invocation that Lambda may kill; `killed` when it did before an answer. */
  async function runKillable<T>(call: () => Promise<T>, kill: Kill): Promise<{ response?: T; killed?: Invocation }> {
    let onFrozen: () => void = () => {};
    const frozen = new Promise<void>((resolve) => {
      onFrozen = resolve;
    });
    const state: Invocation = { kill, frozen: false, calls: 0, writesSent: 0, writesLost: 0, onFrozen };
    const answered = invocation.run(state, call).then((response) => ({ response }));
    const timeout =
      'ms' in kill
        ? sleep(kill.ms).then(() => {
            state.frozen = true;
          })
        : never;
    return Promise.race([answered, Promise.race([frozen, timeout]).then(() => ({ killed: state }))]);
  }

  function countKills(results: ReadonlyArray<{ killed?: Invocation }>) {
    const killed = results.flatMap((result) => (result.killed ? [result.killed] : []));
    faults.invocationsKilled += killed.length;
    faults.killedByTimeout += killed.filter((state) => 'ms' in state.kill).length;
    faults.killedAtCall += killed.filter((state) => 'call' in state.kill).length;
    faults.killedWithWriteDoneButUnanswered += killed.filter((state) => state.writesLost > 0).length;
    return killed;
  }

  /** A cleanup invocation with a minute left, well over the configured safety margin. */
  const cleanupContext = () => ({ ...lambdaContext('cleanup'), getRemainingTimeInMillis: () => 60_000 });

  async function settleTheWire() {
    while (onTheWire.size > 0) await Promise.allSettled([...onTheWire]);
  }

  it('given cancels and webhooks killed at random points, then every request equals its trail, message ids match transitions, and redelivery applies each event at most once', async () => {
    // Prepare: requests in Pending and Processing
    const caller = await tenant();
    const apis = {
      collectives: stack.api.onboardingApi('collectives', caller.authorization),
      entities: stack.api.onboardingApi('entities', caller.authorization),
    };
    const requests: Array<{ id: string; path: Path }> = [];
    const setupMessages: string[] = [];
    for (let i = 0; i < 16; i++) {
      const path: Path = i % 2 === 0 ? 'collectives' : 'entities';
      const created = await apis[path].create(BODIES[path]);
      expect(created.status).toBe(201);
      requests.push({ id: created.body.id, path });
      if (i % 3 === 0) {
        const messageId = `msg_${randomUUID()}`;
        setupMessages.push(messageId);
        const moved = await invoke(stack.webhooks.handler, signedWebhookEvent(messageId, statusEvent(created.body.id, 'Processing')));
        expect(moved.body).toMatchObject({ outcome: 'applied' });
      }
    }

    // Act: on every request a cancel and three webhooks at once, each maybe killed (timer or exact call).
    type Attempt = { kind: 'cancel'; id: string; path: Path } | { kind: 'webhook'; id: string; messageId: string; body: string };
    const attempts: Attempt[] = requests.flatMap(({ id, path }) => [
      { kind: 'cancel' as const, id, path },
      ...Array.from({ length: 3 }, () => ({
        kind: 'webhook' as const,
        id,
        messageId: `msg_${randomUUID()}`,
        body: statusEvent(id, pickOne(WEBHOOK_STATUSES)),
      })),
    ]);
    const call = (attempt: Attempt) => () =>
      attempt.kind === 'cancel' ? apis[attempt.path].cancel(attempt.id) : invoke(stack.webhooks.handler, signedWebhookEvent(attempt.messageId, attempt.body));
    const results = await Promise.all(attempts.map((attempt) => runKillable(call(attempt), randomKill(40, 2))));
    await settleTheWire();

    // Assess: answers that came back are proper answers; the killed ones left nothing half-written.
    const killed = countKills(results);
    expect(killed.length, 'some invocations were killed').toBeGreaterThan(0);
    for (const [i, result] of results.entries()) {
      if (!result.response) continue;
      const expected = attempts[i]!.kind === 'cancel' ? [200, 409] : [200];
      expect(result.response.status, JSON.stringify(result.response.body)).toBeOneOf(expected);
    }
    expect(await integrityFindings(stack)).toEqual([]);
    // No record from nowhere: each one was caused by a call of this test.
    const senders = new Set([
      `principal:${caller.sub}`,
      ...setupMessages.map((messageId) => `webhook:${messageId}`),
      ...attempts.flatMap((attempt) => (attempt.kind === 'webhook' ? [`webhook:${attempt.messageId}`] : [])),
    ]);
    for (const { id } of requests) {
      for (const record of (await stack.runtime.store.history(id, 100)).items) {
        expect(senders, `record ${record.version} of ${id}`).toContain(`${record.actor.type}:${record.actor.id}`);
      }
    }
    const recordsOf = async (attempt: Attempt & { kind: 'webhook' }) =>
      (await stack.runtime.store.history(attempt.id, 100)).items.filter((record) => record.actor.id === attempt.messageId);
    for (const [i, result] of results.entries()) {
      const attempt = attempts[i]!;
      if (attempt.kind !== 'webhook' || result.response?.body?.outcome !== 'applied') continue;
      expect((await recordsOf(attempt)).map((record) => record.version)).toEqual([result.response.body.version]);
    }

    // Act again: the senders retry what was killed, with nothing failing now.
    const retried = await Promise.all(
      results.flatMap((result, i) => {
        if (!result.killed) return [];
        const attempt = attempts[i]!;
        return [call(attempt)().then((response) => ({ attempt, response, lostWrite: result.killed!.writesLost > 0 }))];
      }),
    );

    // Assess: each event applied at most once, and a duplicate answer exactly when it had been applied.
    for (const { attempt, response, lostWrite } of retried) {
      if (attempt.kind === 'cancel') {
        expect(response.status).toBeOneOf([200, 409]);
        continue;
      }
      expect(response.status).toBe(200);
      const records = await recordsOf(attempt);
      const outcome = response.body.outcome as string;
      expect(records, `webhook ${attempt.messageId} answered ${outcome} on retry`).toHaveLength(outcome === 'ignored' ? 0 : 1);
      if (outcome === 'applied') expect(records[0]!.version).toBe(response.body.version);
      // Its transaction went through before the kill: the retry must be recognised, not applied again.
      if (lostWrite) expect(outcome).toBe('duplicate');
    }
    expect(await integrityFindings(stack)).toEqual([]);
  }, 60_000);

  it('given cleanup runs killed at random points, then no request is expired twice or half-way, and a clean run finishes the job', async () => {
    // Prepare: open requests, old enough for an age-0 cleanup; the table is this file's own.
    const caller = await tenant();
    const api = stack.api.onboardingApi('collectives', caller.authorization);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await api.create(BODIES.collectives);
      ids.push(created.body.id);
    }
    await sleep(5);

    // Act: four overlapping runs, each killed on a timer or at one of its DynamoDB calls, then one clean run.
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runKillable(() => stack.cleanup.handler({ olderThanMinutes: 0 }, cleanupContext()), randomKill(80, 30))),
    );
    await settleTheWire();
    countKills(runs);
    expect(await integrityFindings(stack)).toEqual([]);
    await stack.cleanup.handler({ olderThanMinutes: 0 }, cleanupContext());

    // Assess
    for (const id of ids) {
      const trail = (await stack.runtime.store.history(id, 100)).items;
      expect(trail.map((record) => `${record.from}>${record.to}@${record.actor.type}:${record.actor.id}`)).toEqual([
        `null>Pending@principal:${caller.sub}`,
        'Pending>Canceled@system:cleanup',
      ]);
    }
    expect(await integrityFindings(stack)).toEqual([]);
  }, 30_000);
});
