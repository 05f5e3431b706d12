import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDeliveryEngine, type DeliveryEngine } from '../../lib/events/delivery.ts';
import { createEndpointService } from '../../lib/events/endpoints.ts';
import { createHttpSender, resolveHost } from '../../lib/events/http-sender.ts';
import { createPublisher } from '../../lib/events/publish.ts';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createDocumentClient } from '../../lib/store/client.ts';
import { createDynamoEventStore } from '../../lib/store/dynamo-events.ts';
import { summarize, type Tally } from './meter.ts';
import { bearer, callerOf, inProcess, type NpmStart } from './service.ts';
import { range, spread } from './stats.ts';

/**
 * Outbound events: how long from a transition's commit to the integrator's receiver, through npm start
 * (the table's stream, the publisher, the signed POST), and what DynamoDB requests each delivered event
 * costs the publisher.
 */

/** A receiver on 127.0.0.1 that answers 204 and keeps each event's arrival and commit time. */
export async function startReceiver() {
  const arrivals: Array<{ id: string; at: number; committedAt: number }> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = Date.now();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; data: { transition: { at: string } } };
      arrivals.push({ id: event.id, at, committedAt: Date.parse(event.data.transition.at) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    arrivals,
    /** The first arrival of each event. */
    first: () => [...new Map(arrivals.toReversed().map((arrival) => [arrival.id, arrival])).values()],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const WARM_UP_EVENTS = 10;

/** Accepts every connection and never answers: each attempt at it waits for the sender's 10 s timeout. */
async function startSilentReceiver() {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/never`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function subscribe(service: NpmStart, authorization: string, url: string) {
  const headers = { authorization, 'content-type': 'application/json' };
  const subscribed = await fetch(`${service.base}/v1/webhook-endpoints`, { method: 'POST', headers, body: JSON.stringify({ url }) });
  if (subscribed.status !== 201) throw new Error(`subscribing answered ${subscribed.status}: ${await subscribed.text()}`);
}

async function createRequest(service: NpmStart, authorization: string): Promise<string> {
  const headers = { authorization, 'content-type': 'application/json' };
  const body = JSON.stringify({ name: 'Bench', type: 'Household' });
  return ((await (await fetch(`${service.base}/v1/onboarding/collectives`, { method: 'POST', headers, body })).json()) as { id: string }).id;
}

/**
 * One measured create and its cancel every ITERATION_MS: a steady load, the same with and without the noisy
 * tenant, so that what the figures compare is what the noisy tenant's endpoints do to the healthy one, not
 * how many more requests one machine (every function, DynamoDB Local and the receivers on its cores) can
 * take at once.
 */
const ITERATION_MS = 500;

/**
 * `requests` creates and as many cancels, paced, through npm start; each is one event. With
 * `noisyEndpoints`, another tenant has that many endpoints that never answer, and makes a request of its
 * own before each measured one: its deliveries are under way the whole time.
 */
export async function runDeliveryLatency(service: NpmStart, requests: number, options: { noisyEndpoints?: number } = {}) {
  const receiver = await startReceiver();
  const silent = await Promise.all(range(options.noisyEndpoints ?? 0).map(() => startSilentReceiver()));
  try {
    const authorization = await bearer(randomUUID(), 'bench-events');
    await subscribe(service, authorization, receiver.url);
    // Warm-up, not counted: the first events start the publisher's and the worker's environments, as the
    // first events after a deploy do; the figures are those of a running stack.
    const warmUp = new Set(await Promise.all(range(WARM_UP_EVENTS).map(async () => `evt_${await createRequest(service, authorization)}_1`)));
    const warmedBy = Date.now() + 30_000;
    while ([...warmUp].some((id) => !receiver.arrivals.some((arrival) => arrival.id === id)) && Date.now() < warmedBy) await sleep(50);
    receiver.arrivals.length = 0;
    const noisy = silent.length ? await bearer(randomUUID(), 'bench-noisy') : undefined;
    for (const endpoint of silent) await subscribe(service, noisy!, endpoint.url);
    for (const _n of range(requests)) {
      const next = Date.now() + ITERATION_MS;
      if (noisy) await createRequest(service, noisy);
      const id = await createRequest(service, authorization);
      await fetch(`${service.base}/v1/onboarding/collectives/${id}/cancel`, { method: 'PATCH', headers: { authorization } });
      await sleep(Math.max(0, next - Date.now()));
    }
    const events = requests * 2;
    const deadline = Date.now() + 30_000;
    while (receiver.first().length < events && Date.now() < deadline) await sleep(50);
    const first = receiver.first();
    return { events, received: first.length, noisyEndpoints: silent.length, ...spread(first.map((arrival) => arrival.at - arrival.committedAt)) };
  } finally {
    await receiver.close();
    await Promise.all(silent.map((endpoint) => endpoint.close()));
  }
}

/**
 * The publisher's DynamoDB requests per delivered event, in process on DynamoDB Local: one tenant with one
 * endpoint (a receiver that answers 204), its requests' commits handed over in stream-sized batches.
 */
export async function measureDeliveryCost(options: { endpoint: string; tableName: string; events: number; batchSize: number }) {
  const lab = inProcess(options.endpoint, options.tableName);
  const store = createDynamoEventStore(createDocumentClient(lab.dynamo), options.tableName);
  const kinds = registryOf(ALL_KINDS);
  const policy = { deployed: false };
  // The hand-off runs the worker here, so its requests are counted with the publisher's.
  const deliveries: DeliveryEngine = createDeliveryEngine({
    store,
    sender: createHttpSender(policy),
    retrySeconds: [5],
    handOff: async (work) => {
      await Promise.all(work.map((handOff) => deliveries.deliverTo(handOff)));
    },
  });
  const publish = createPublisher({ store, deliveries, kinds });
  const receiver = await startReceiver();
  try {
    const caller = callerOf(randomUUID());
    const endpoints = createEndpointService({ store, pageTokens: createPageTokens('bench'), deliveries, policy, resolve: resolveHost });
    await endpoints.create({ url: receiver.url }, caller);
    const changes = [];
    for (const _n of range(options.events)) {
      const { request } = await lab.requests.create({ name: 'Bench', type: 'Household' }, caller, { correlationId: 'bench' });
      changes.push({ request: (await lab.store.get(request.id))!, previousVersion: undefined });
    }
    const tallies: Tally[] = [];
    for (let start = 0; start < changes.length; start += options.batchSize) {
      const batch = changes.slice(start, start + options.batchSize);
      lab.meter.start();
      await publish(batch);
      const tally = lab.meter.stop();
      // Per event: the batch's requests spread over its events.
      const per = (n: number) => n / batch.length;
      const perEvent: Tally = {
        ...tally,
        requests: Object.fromEntries(Object.entries(tally.requests).map(([command, n]) => [command, per(n)])),
        itemsRead: per(tally.itemsRead),
        wcu: tally.wcu === null ? null : per(tally.wcu),
        rcu: tally.rcu === null ? null : per(tally.rcu),
      };
      tallies.push(...batch.map(() => perEvent));
    }
    return { events: changes.length, delivered: new Set(receiver.arrivals.map((arrival) => arrival.id)).size, perEvent: summarize(tallies) };
  } finally {
    await receiver.close();
    lab.dynamo.destroy();
  }
}
