import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { STREAM_CONSUMERS } from '../../lib/app/function-table.ts';
import { parseSecrets, verify } from '../../lib/webhooks/signature.ts';
import { lambdaContext } from '../../scripts/local/lambda-events.ts';
import { type StreamReader, startStreamReader } from '../../scripts/local/streams.ts';

/**
 * Outbound events for real: an integrator's receiver on loopback, and the table's stream read from
 * DynamoDB Local the way the local gateway reads it, handed to the publisher function in this process.
 */

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: { id: string; type: string; timestamp: string; data: Record<string, any> };
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** How to answer the next deliveries: a status for each (then `otherwise`). */
  answers: number[];
  otherwise: number;
  /** The deliveries of one event id, in arrival order. */
  of(eventId: string): Received[];
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const received: Received[] = [];
  const state = { answers: [] as number[], otherwise: 200 };
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        id: String(request.headers['webhook-id']),
        timestamp: String(request.headers['webhook-timestamp']),
        signature: String(request.headers['webhook-signature']),
        body,
        event: JSON.parse(body),
        at: Date.now(),
      });
      response.writeHead(state.answers.shift() ?? state.otherwise).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    get answers() {
      return state.answers;
    },
    set answers(next) {
      state.answers = next;
    },
    get otherwise() {
      return state.otherwise;
    },
    set otherwise(next) {
      state.otherwise = next;
    },
    of: (eventId) => received.filter((entry) => entry.id === eventId),
    async waitFor(predicate, timeoutMs = 15_000, what = 'the deliveries expected') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`${what} did not arrive within ${timeoutMs} ms; got ${received.map((entry) => entry.id).join(', ') || 'none'}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** True when one of `secrets` signed the delivery (Standard Webhooks, as a receiver checks it). */
export function signedBy(delivery: Received, ...secrets: string[]): boolean {
  try {
    verify(
      { id: delivery.id, timestamp: delivery.timestamp, signature: delivery.signature, body: Buffer.from(delivery.body) },
      secrets.flatMap((secret) => parseSecrets(secret)),
      Math.floor(Date.now() / 1000),
    );
    return true;
  } catch {
    return false;
  }
}

type StreamHandler = (event: DynamoDBStreamEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/**
 * The table's stream from now on, handed to `handler` (the publisher function by default) as Lambda's
 * event source mapping would, a failed batch again until it succeeds.
 */
export async function startPublishing(handler?: StreamHandler): Promise<StreamReader> {
  const consumer = STREAM_CONSUMERS[0]!;
  const publish = handler ?? ((await import('../../functions/events/publish.ts')).handler as unknown as StreamHandler);
  return startStreamReader({
    endpoint: process.env.DYNAMODB_ENDPOINT!,
    tableName: process.env.TABLE_NAME!,
    from: 'LATEST',
    filterPatterns: consumer.filterPatterns,
    batchSize: consumer.batchSize,
    pollMs: 50,
    log: () => undefined,
    deliver: async (event) => {
      await publish(event, lambdaContext(consumer.function, consumer.timeout * 1000));
    },
  });
}
