import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryEngine, DISABLE_AFTER_MS, type Queued } from '../../lib/events/delivery.ts';
import { createEndpointService } from '../../lib/events/endpoints.ts';
import { eventBridgeBus } from '../../lib/events/event-bridge.ts';
import { createHttpSender, resolveHost } from '../../lib/events/http-sender.ts';
import { createPublisher } from '../../lib/events/publish.ts';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { toProblem } from '../../lib/http/problem.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { createDynamoEventStore } from '../../lib/store/dynamo-events.ts';
import { config, kinds, requests } from '../support/app.ts';
import { type Receiver, signedBy, startReceiver } from '../support/events.ts';
import { BODIES, caller as newCaller } from '../support/fixtures.ts';
import { type FakeEventBridge, startFakeEventBridge } from '../upstream/fake-eventbridge.ts';

/*
 * The delivery engine, the sender's destination guard, the endpoint rules of production, and the bus, each
 * on the real table and a real receiver on loopback (the stream's part is test/api/events.test.ts).
 */

const events = createDynamoEventStore(createDocumentClient(createDynamoClient({ region: config.region, endpoint: config.dynamoEndpoint })), config.tableName);
const local = { deployed: false };
const deployed = { deployed: true };
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

/** The engine, its hand-offs run here at once (the Lambda hand-off itself is test/api/events.test.ts's). */
function engineAt(clock: { now: number }, retrySeconds = [1, 1, 2]) {
  const engine = createDeliveryEngine({
    store: events,
    sender: createHttpSender(local),
    retrySeconds,
    now: () => new Date(clock.now),
    sleep: async () => {},
    handOff: async (work) => {
      await Promise.all(work.map((handOff) => engine.deliverTo(handOff)));
    },
  });
  return engine;
}

function serviceWith(engine: ReturnType<typeof engineAt>, policy = local, resolve = resolveHost) {
  return createEndpointService({ store: events, pageTokens: createPageTokens('events-test'), deliveries: engine, policy, resolve });
}

/** A request's committed change, as the stream would tell it. */
async function committedRequest(who = newCaller()) {
  const { request } = await requests.collectives.create(BODIES.collectives, who, { correlationId: 'c' });
  return { who, stored: (await requests.collectives.core.store.get(request.id))! };
}

describe('the delivery engine', () => {
  it('given an endpoint failing for five days, then the next failure disables it, saying why', async () => {
    const clock = { now: Date.parse('2026-11-01T00:00:00Z') };
    const engine = engineAt(clock, [60, 60, 60, 60, 60, 60, 60, 60]);
    const who = newCaller();
    const endpoint = await serviceWith(engine).create({ url: `${receiver.url}/failing` }, who);
    receiver.otherwise = 500;
    const attemptNow = async () => {
      const eventId = `evt_test_${randomUUID()}`;
      const [due] = await engine.enqueue({ id: eventId, type: 'onboarding.status.updated', timestamp: new Date(clock.now).toISOString(), data: {} }, [
        (await events.getEndpoint(endpoint.id))!,
      ]);
      return engine.attemptQueued(due!);
    };

    await attemptNow();
    expect(await events.getEndpoint(endpoint.id)).toMatchObject({ disabled: false, failingSince: new Date(clock.now).toISOString() });
    clock.now += DISABLE_AFTER_MS - 60_000;
    await attemptNow();
    expect((await events.getEndpoint(endpoint.id))!.disabled).toBe(false);
    clock.now += 60_000;
    await attemptNow();

    expect(await events.getEndpoint(endpoint.id)).toMatchObject({ disabled: true, disabledReason: 'No delivery succeeded for 5 days' });
    receiver.otherwise = 200;
  });

  it('given a success within the five days, then the count starts again', async () => {
    const clock = { now: Date.parse('2026-11-01T00:00:00Z') };
    const engine = engineAt(clock, [60, 60, 60, 60, 60, 60, 60, 60]);
    const endpoint = await serviceWith(engine).create({ url: `${receiver.url}/recovering` }, newCaller());
    const attemptNow = async (status: number) => {
      receiver.answers = [status];
      const [due] = await engine.enqueue(
        { id: `evt_test_${randomUUID()}`, type: 'onboarding.status.updated', timestamp: new Date(clock.now).toISOString(), data: {} },
        [(await events.getEndpoint(endpoint.id))!],
      );
      return engine.attemptQueued(due!);
    };

    await attemptNow(500);
    clock.now += DISABLE_AFTER_MS / 2;
    await attemptNow(200);
    expect((await events.getEndpoint(endpoint.id))!.failingSince).toBeNull();
    clock.now += DISABLE_AFTER_MS / 2 + 60_000;
    await attemptNow(500);

    expect(await events.getEndpoint(endpoint.id)).toMatchObject({ disabled: false, failingSince: new Date(clock.now).toISOString() });
  });

  it('given a deleted endpoint, then its pending delivery ends as failed without a call', async () => {
    const clock = { now: Date.now() };
    const engine = engineAt(clock);
    const endpoint = await serviceWith(engine).create({ url: `${receiver.url}/deleted` }, newCaller());
    const stored = (await events.getEndpoint(endpoint.id))!;
    const [due] = await engine.enqueue({ id: `evt_test_${randomUUID()}`, type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: {} }, [
      stored,
    ]);
    await events.deleteEndpoint(stored);
    const before = receiver.received.length;

    const made = await engine.attemptQueued(due!);

    expect(made).toMatchObject({ statusCode: null, error: 'the endpoint was deleted', nextAttemptAt: null });
    expect(await events.getDelivery(due!.eventId, due!.endpointId)).toMatchObject({ status: 'failed' });
    expect(receiver.received.length).toBe(before);
  });

  it('given five claims of one delivery at once, once its first lease has run out, then it is sent once', async () => {
    const clock = { now: Date.now() };
    const engine = engineAt(clock);
    const endpoint = await serviceWith(engine).create({ url: `${receiver.url}/claimed` }, newCaller());
    const eventId = `evt_test_${randomUUID()}`;
    const [due] = await engine.enqueue({ id: eventId, type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data: {} }, [
      (await events.getEndpoint(endpoint.id))!,
    ]);

    // The lease it was made under holds it from everyone else: the reader that made it never came back.
    expect(await engine.attempt(due!.endpointId, due!.eventId)).toBeUndefined();
    clock.now += 31_000;
    const results = await Promise.all(Array.from({ length: 5 }, () => engine.attempt(due!.endpointId, due!.eventId)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(receiver.of(eventId)).toHaveLength(1);
  });
});

describe("an endpoint's circuit", () => {
  it('given three failed attempts in a row, then scheduled attempts wait while it is open, the API can still retry, and a failed probe keeps it open twice as long', async () => {
    const clock = { now: Date.parse('2026-11-03T00:00:00Z') };
    const engine = engineAt(clock, [60, 60, 60, 60, 60, 60]);
    const endpoint = await serviceWith(engine).create({ url: `${receiver.url}/circuit` }, newCaller());
    const enqueue = async () => {
      const eventId = `evt_test_${randomUUID()}`;
      const made = await engine.enqueue({ id: eventId, type: 'onboarding.status.updated', timestamp: new Date(clock.now).toISOString(), data: {} }, [
        (await events.getEndpoint(endpoint.id))!,
      ]);
      return { eventId, made };
    };
    const queued = async () => (await enqueue()).made[0]!;
    const handOff = (made: Queued) => ({
      endpointId: made.endpointId,
      ...(made.lease ? { lease: made.lease } : {}),
      events: [{ id: made.eventId, payload: made.payload }],
    });
    receiver.otherwise = 503;
    try {
      for (let failure = 1; failure <= 3; failure++) {
        const made = await queued();
        expect(await engine.deliverTo(handOff(made))).toMatchObject({ attempted: 1, succeeded: 0 });
        expect(receiver.of(made.eventId)).toHaveLength(1);
      }
      expect(await events.getEndpoint(endpoint.id)).toMatchObject({ consecutiveFailures: 3, circuitOpenUntil: new Date(clock.now + 60_000).toISOString() });

      // Open: a new event's delivery is made due for when the circuit closes, and no worker is started for it.
      const { eventId: heldId, made } = await enqueue();
      expect(made).toEqual([]);
      expect(receiver.of(heldId)).toEqual([]);
      expect(await events.getDelivery(heldId, endpoint.id)).toMatchObject({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: new Date(clock.now + 60_000).toISOString(),
      });
      // A hand-off that reaches a worker while it is open is held too, not sent.
      expect(await engine.deliverTo({ endpointId: endpoint.id, due: true, events: [{ id: heldId }] })).toEqual({ attempted: 0, succeeded: 0, held: 1 });
      expect(receiver.of(heldId)).toEqual([]);
      const dueBy = async (at: number) =>
        (await Promise.all(Array.from({ length: events.dueShards }, (_, shard) => events.listDue(shard, new Date(at).toISOString(), 100))))
          .flatMap((page) => page.items)
          .map((due) => due.eventId);
      expect(await dueBy(clock.now)).not.toContain(heldId);

      // Closed again after its time: the sweep hands it off, and the attempt is the probe; failing, it opens for twice as long.
      clock.now += 60_000;
      expect(await dueBy(clock.now)).toContain(heldId);
      expect(await engine.deliverTo({ endpointId: endpoint.id, due: true, events: [{ id: heldId }] })).toMatchObject({ attempted: 1, held: 0 });
      expect(receiver.of(heldId)).toHaveLength(1);
      expect(await events.getEndpoint(endpoint.id)).toMatchObject({ consecutiveFailures: 4, circuitOpenUntil: new Date(clock.now + 120_000).toISOString() });

      // A retry asked for through the API goes while it is open; its success closes the circuit.
      receiver.otherwise = 200;
      expect(await engine.attempt(endpoint.id, heldId)).toMatchObject({ statusCode: 200, manual: true });
      expect(await events.getEndpoint(endpoint.id)).toMatchObject({ consecutiveFailures: 0, circuitOpenUntil: null, failingSince: null });
      const after = await queued();
      expect(await engine.deliverTo(handOff(after))).toMatchObject({ attempted: 1, succeeded: 1 });
    } finally {
      receiver.otherwise = 200;
    }
  });
});

describe('the sweep', () => {
  it("given an endpoint's due deliveries spread over every shard of the due index, then it hands them to one worker, not one per shard", async () => {
    const clock = { now: Date.parse('2026-11-04T00:00:00Z') };
    const engine = engineAt(clock);
    const endpoint = await serviceWith(engine).create({ url: `${receiver.url}/swept` }, newCaller());
    const stored = (await events.getEndpoint(endpoint.id))!;
    // Its circuit open: each new event's delivery is made due for when it closes.
    const open = {
      ...stored,
      consecutiveFailures: 3,
      failingSince: new Date(clock.now).toISOString(),
      circuitOpenUntil: new Date(clock.now + 60_000).toISOString(),
      version: stored.version + 1,
    };
    expect(await events.replaceEndpoint(stored, open)).toBe('applied');
    const ids = Array.from({ length: 40 }, () => `evt_test_${randomUUID()}`);
    for (const id of ids) {
      expect(await engine.enqueue({ id, type: 'onboarding.status.updated', timestamp: new Date(clock.now).toISOString(), data: {} }, [open])).toEqual([]);
    }

    clock.now += 61_000;
    const handedOff: Array<{ endpointId: string; events: Array<{ id: string }> }> = [];
    const sweeping = createDeliveryEngine({
      store: events,
      sender: createHttpSender(local),
      retrySeconds: [1],
      now: () => new Date(clock.now),
      handOff: async (work) => {
        handedOff.push(...work);
      },
    });
    await sweeping.sweep({ remainingMs: () => 60_000, safetyMarginMs: 1_000 });

    const toIt = handedOff.filter((work) => work.endpointId === endpoint.id);
    expect(toIt).toHaveLength(1);
    expect(toIt[0]!.events.map((event) => event.id).sort()).toEqual([...ids].sort());
  });
});

describe('the destination guard', () => {
  it('given a deployed stage, then an endpoint on a host that resolves to loopback is refused at creation, without naming the address', async () => {
    const service = serviceWith(engineAt({ now: Date.now() }), deployed);
    const who = newCaller();

    const byName = await service.create({ url: 'https://localhost/hooks' }, who).catch((error: unknown) => error);
    expect(byName).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('not an allowed destination') });
    expect(JSON.stringify(byName)).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    await expect(service.create({ url: 'https://[::ffff:127.0.0.1]/hooks' }, who)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('[::ffff:7f00:1] is a loopback address'),
    });
    await expect(service.create({ url: 'http://hooks.example.com/' }, who)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('https'),
    });
    expect((await events.listEndpoints(who.tenantId, 10)).items).toEqual([]);
  });

  it('given a deployed stage, then the 400 for a name that resolves to a private address does not tell the address', async () => {
    const resolved: string[] = [];
    const service = serviceWith(engineAt({ now: Date.now() }), deployed, async (hostname) => {
      resolved.push(hostname);
      return ['93.184.216.34', '10.9.8.7'];
    });
    const who = newCaller();

    const refusal = await service.create({ url: 'https://hooks.internal.example.com/x' }, who).catch((error: unknown) => error);
    const { problem } = toProblem(refusal, 'c');

    expect(resolved).toEqual(['hooks.internal.example.com']);
    expect(problem).toMatchObject({
      status: 400,
      code: 'validation_failed',
      detail: 'url is not an allowed destination: its host resolves to an address events may not be sent to.',
      errors: [{ path: '/url', message: 'is not an allowed destination: its host resolves to an address events may not be sent to' }],
    });
    expect(JSON.stringify(problem)).not.toContain('10.9.8.7');
    expect(JSON.stringify(problem)).not.toContain('private');
    expect((await events.listEndpoints(who.tenantId, 10)).items).toEqual([]);
    // Run locally the same name may be used: the local stack's receivers are on private addresses.
    await expect(
      serviceWith(engineAt({ now: Date.now() }), local, async () => ['10.9.8.7']).create({ url: 'https://hooks.internal.example.com/x' }, who),
    ).resolves.toMatchObject({
      url: 'https://hooks.internal.example.com/x',
    });
  });

  it('given a name that does not resolve, then the refusal tells only the host the caller sent', async () => {
    const service = serviceWith(engineAt({ now: Date.now() }), deployed, async () => {
      throw new Error('getaddrinfo ENOTFOUND nowhere.example.com via 10.0.0.2:53');
    });
    const refusal = await service.create({ url: 'https://nowhere.example.com/x' }, newCaller()).catch((error: unknown) => error);
    expect(toProblem(refusal, 'c').problem).toMatchObject({ status: 400, detail: 'url names a host that does not resolve (nowhere.example.com).' });
    await expect(
      serviceWith(engineAt({ now: Date.now() }), deployed, async () => []).create({ url: 'https://nowhere.example.com/x' }, newCaller()),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: 'url names a host that does not resolve (nowhere.example.com).',
    });
  });

  it('given a deployed stage, then a delivery to a name that resolves to loopback is refused at connection time, after DNS, without naming the address', async () => {
    const sender = createHttpSender(deployed, 2_000);
    const port = new URL(receiver.url).port;
    const before = receiver.received.length;

    const byName = await sender.send(`https://localhost:${port}/hooks`, {}, '{}');
    const byAddress = await sender.send(`https://127.0.0.1:${port}/hooks`, {}, '{}');
    const byMappedAddress = await sender.send(`https://[0:0:0:0:0:ffff:127.0.0.1]:${port}/hooks`, {}, '{}');

    expect(byName).toMatchObject({ error: 'destination refused: its host resolves to an address events may not be sent to' });
    expect(byAddress).toMatchObject({ error: 'destination refused: 127.0.0.1 is a loopback address' });
    expect(byMappedAddress).toMatchObject({ error: expect.stringMatching(/destination refused: .*loopback/) });
    expect(receiver.received.length).toBe(before);
  });

  it('refuses link-local (cloud metadata) everywhere, and answers a dead port, a timeout and a redirect as failures', async () => {
    const sender = createHttpSender(local, 1_000);
    expect(await sender.send('https://169.254.169.254/latest/meta-data', {}, '{}')).toMatchObject({ error: expect.stringContaining('link-local') });
    expect(await sender.send('http://127.0.0.1:9/hooks', {}, '{}')).toMatchObject({ error: 'connection refused' });
    receiver.answers = [302];
    expect(await sender.send(receiver.url, {}, '{}')).toMatchObject({ status: 302 });
  });
});

describe("the stage's event bus", () => {
  let bus: FakeEventBridge;
  const saved = { ...process.env };

  beforeAll(async () => {
    bus = await startFakeEventBridge();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  });
  afterAll(async () => {
    process.env = saved;
    await bus.close();
  });

  it('puts each event with source onboarding.service and its type as detail-type; a refused entry fails the batch, so it is read again', async () => {
    const engine = engineAt({ now: Date.now() });
    const { who, stored } = await committedRequest();
    await serviceWith(engine).create({ url: `${receiver.url}/bus` }, who);
    const publish = createPublisher({ store: events, deliveries: engine, kinds, bus: eventBridgeBus('onboarding-test', { endpoint: bus.endpoint }) });
    const eventId = `evt_${stored.id}_1`;

    bus.refuseWith = 'ThrottlingException';
    await expect(publish([{ request: stored, previousVersion: undefined }])).rejects.toThrow(/EventBridge refused 1 of 1 events \(ThrottlingException\)/);
    expect(receiver.of(eventId)).toEqual([]);
    bus.refuseWith = undefined;
    const report = await publish([{ request: stored, previousVersion: undefined }]);

    expect(report).toEqual({ events: 1, deliveries: 1, endpoints: 1 });
    const [entry] = bus.entries.filter((candidate) => JSON.parse(candidate.Detail).id === eventId);
    expect(entry).toMatchObject({ EventBusName: 'onboarding-test', Source: 'onboarding.service', DetailType: 'onboarding.status.updated' });
    expect(receiver.of(eventId)).toHaveLength(1);
    expect(signedBy(receiver.of(eventId)[0]!, (await events.listEndpoints(who.tenantId, 10)).items[0]!.secret)).toBe(true);
  });

  it('publishes nothing for a change that applied no transition (new details only, or a replay of the same version)', async () => {
    const engine = engineAt({ now: Date.now() });
    const { stored } = await committedRequest();
    const calls = bus.calls;
    const publish = createPublisher({ store: events, deliveries: engine, kinds, bus: eventBridgeBus('onboarding-test', { endpoint: bus.endpoint }) });

    expect(await publish([{ request: stored, previousVersion: 1 }])).toEqual({ events: 0, deliveries: 0, endpoints: 0 });
    expect(bus.calls).toBe(calls);
  });
});
