import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeliveryEngine } from '../../lib/events/delivery.ts';
import { createEndpointService } from '../../lib/events/endpoints.ts';
import { createHttpSender, resolveHost } from '../../lib/events/http-sender.ts';
import { createPublisher } from '../../lib/events/publish.ts';
import { createPageTokens } from '../../lib/http/page-tokens.ts';
import { COLLECTIVE_ONBOARDING } from '../../lib/kinds/collective-onboarding.ts';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { registryOf } from '../../lib/lifecycle/kind.ts';
import { createLifecycle } from '../../lib/lifecycle/lifecycle.ts';
import { createRequests } from '../../lib/lifecycle/requests.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { createDynamoEventStore } from '../../lib/store/dynamo-events.ts';
import { createDynamoStore } from '../../lib/store/dynamo-store.ts';
import { DEV_SCOPES, devToken } from '../local/dev-token.ts';
import type { HttpService } from './http-load.ts';
import { createMeter, summarize, type TallySummary } from './meter.ts';
import { percentile, range } from './stats.ts';

/**
 * Outbound events: how long from a transition's commit to the integrator's receiver, through
 * npm start (the table's stream, the publisher, the signed POST), and what DynamoDB requests each delivered
 * event costs the publisher.
 */

interface Arrival {
  id: string;
  at: number;
  committedAt: number;
}

async function startReceiver() {
  const arrivals: Arrival[] = [];
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface DeliveryLatencyResult {
  events: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** `requests` creates and as many cancels, one after another, through npm start; each is one event. */
export async function runDeliveryLatency(service: HttpService, options: { requests: number; env: NodeJS.ProcessEnv }): Promise<DeliveryLatencyResult> {
  const base = `http://127.0.0.1:${service.port}`;
  const receiver = await startReceiver();
  try {
    const tenantId = randomUUID();
    const authorization = `Bearer ${await devToken({ tenantId, sub: 'bench-events', scope: DEV_SCOPES }, options.env)}`;
    const headers = { authorization, 'content-type': 'application/json' };
    const subscribed = await fetch(`${base}/v1/webhook-endpoints`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url }) });
    if (subscribed.status !== 201) throw new Error(`subscribing answered ${subscribed.status}: ${await subscribed.text()}`);
    for (const _n of range(options.requests)) {
      const created = await fetch(`${base}/v1/onboarding/collectives`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench', type: 'Household' }) });
      const { id } = (await created.json()) as { id: string };
      await fetch(`${base}/v1/onboarding/collectives/${id}/cancel`, { method: 'PATCH', headers: { authorization } });
    }
    const expected = options.requests * 2;
    const deadline = Date.now() + 30_000;
    while (new Set(receiver.arrivals.map((arrival) => arrival.id)).size < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const first = new Map<string, Arrival>();
    for (const arrival of receiver.arrivals) if (!first.has(arrival.id)) first.set(arrival.id, arrival);
    const latencies = [...first.values()].map((arrival) => arrival.at - arrival.committedAt);
    return { events: expected, received: first.size, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) };
  } finally {
    await receiver.close();
  }
}

export interface DeliveryCostResult {
  events: number;
  delivered: number;
  perEvent: TallySummary;
}

/**
 * The publisher's DynamoDB requests per delivered event, in process on DynamoDB Local: one tenant with one
 * endpoint (a receiver that answers 204), its requests' commits handed over in stream-sized batches.
 */
export async function measureDeliveryCost(options: { endpoint: string; tableName: string; events: number; batchSize: number }): Promise<DeliveryCostResult> {
  const meter = createMeter();
  const metered = createDynamoClient({ region: 'eu-west-1', endpoint: options.endpoint });
  meter.instrument(metered);
  const plain = createDynamoClient({ region: 'eu-west-1', endpoint: options.endpoint });
  const eventStore = createDynamoEventStore(createDocumentClient(metered), options.tableName);
  const requests = createDynamoStore(createDocumentClient(plain), options.tableName);
  const links = () => ({ redirectLink: 'http://127.0.0.1/consent', documentationLink: 'http://127.0.0.1/docs' });
  const kinds = registryOf(ALL_KINDS);
  const collectives = createRequests(COLLECTIVE_ONBOARDING, createLifecycle({ store: requests, pageTokens: createPageTokens('bench'), kinds }), {
    consentLinks: links,
    allowLoopbackHttpReturnUrl: true,
  });
  const policy = { production: false };
  const deliveries = createDeliveryEngine({ store: eventStore, sender: createHttpSender(policy), retrySeconds: [5] });
  const publish = createPublisher({ store: eventStore, deliveries, kinds });
  const receiver = await startReceiver();
  try {
    const caller = { principalId: 'bench', tenantId: randomUUID(), scopes: new Set(['onboarding:write']) };
    await createEndpointService({ store: eventStore, pageTokens: createPageTokens('bench'), deliveries, policy, resolve: resolveHost }).create(
      { url: receiver.url },
      caller,
    );
    const changes = [];
    for (const _n of range(options.events)) {
      const { request } = await collectives.create({ name: 'Bench', type: 'Household' }, caller, { correlationId: 'bench' });
      changes.push({ request: (await requests.get(request.id))!, previousVersion: undefined });
    }
    const tallies = [];
    for (let start = 0; start < changes.length; start += options.batchSize) {
      const batch = changes.slice(start, start + options.batchSize);
      meter.start();
      await publish(batch, 0);
      const tally = meter.stop();
      // Per event: the batch's requests spread over its events.
      for (const _event of batch) {
        tallies.push({
          ...tally,
          requests: Object.fromEntries(Object.entries(tally.requests).map(([command, n]) => [command, n / batch.length])),
          itemsRead: tally.itemsRead / batch.length,
          wcu: tally.wcu === null ? null : tally.wcu / batch.length,
          rcu: tally.rcu === null ? null : tally.rcu / batch.length,
        });
      }
    }
    return { events: changes.length, delivered: new Set(receiver.arrivals.map((arrival) => arrival.id)).size, perEvent: summarize(tallies) };
  } finally {
    await receiver.close();
    metered.destroy();
    plain.destroy();
  }
}
