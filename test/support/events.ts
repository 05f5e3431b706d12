import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DELIVERY_WORKER, STREAM_CONSUMERS } from '../../lib/app/function-table.ts';
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
  /** How long it takes to answer each (a receiver that is slow but answers). */
  delayMs: number;
  /** The deliveries of one event id, in arrival order. */
  of(eventId: string): Received[];
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const received: Received[] = [];
  const state = { answers: [] as number[], otherwise: 200, delayMs: 0 };
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
      const status = state.answers.shift() ?? state.otherwise;
      setTimeout(() => response.writeHead(status).end(), state.delayMs);
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
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(next) {
      state.delayMs = next;
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

/**
 * A receiver that accepts every connection and never answers: what a broken or hostile integrator's
 * endpoint does to a sender (each attempt waits for the 10 s timeout).
 */
export async function startSilentReceiver(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/never`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
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
type WorkerHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/** Lambda retries a failed asynchronous invocation twice (after a minute or two; here at once). */
const WORKER_RETRIES = DELIVERY_WORKER.retries;
let workerHost: Promise<Server> | undefined;

/**
 * Lambda's Invoke API for the delivery worker, in this process: an asynchronous invocation is answered 202
 * and run here, retried on failure as Lambda would. The publisher (built on its first import) finds it
 * through LAMBDA_ENDPOINT and DELIVERY_WORKER_FUNCTION, as it finds the local gateway under `npm start`.
 */
function startWorkerHost(): Promise<Server> {
  workerHost ??= (async () => {
    const worker = (await import('../../functions/events/attempt.ts')).handler as unknown as WorkerHandler;
    const run = async (event: unknown) => {
      for (let attempt = 0; attempt <= WORKER_RETRIES; attempt++) {
        try {
          await worker(event, lambdaContext(DELIVERY_WORKER.function, DELIVERY_WORKER.timeout * 1000));
          return;
        } catch {
          // Failed: Lambda invokes it again.
        }
      }
    };
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const named = /^\/2015-03-31\/functions\/([\w-]+)\/invocations$/.exec(request.url ?? '')?.[1];
        if (named !== DELIVERY_WORKER.function || request.headers['x-amz-invocation-type'] !== 'Event') {
          response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: `Function not found: ${named}` }));
          return;
        }
        response.writeHead(202).end();
        void run(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    return server;
  })();
  return workerHost;
}

/**
 * The table's stream from now on, handed to `handler` (the publisher function by default) as Lambda's
 * event source mapping would, a failed batch again until it succeeds; the deliveries it hands off run in
 * the delivery worker, invoked through Lambda's API in this process.
 */
export async function startPublishing(handler?: StreamHandler): Promise<StreamReader> {
  const consumer = STREAM_CONSUMERS[0]!;
  const host = await startWorkerHost();
  process.env.LAMBDA_ENDPOINT = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  process.env[DELIVERY_WORKER.nameSetting] = DELIVERY_WORKER.function;
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
