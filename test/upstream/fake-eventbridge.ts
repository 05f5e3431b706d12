import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for EventBridge on 127.0.0.1, for the one call the service makes (PutEvents, AWS JSON 1.1).
 * The real SDK client talks to it; it keeps what it was given, and can refuse entries as the bus does.
 */
export interface FakeEventBridge {
  endpoint: string;
  entries: Array<{ EventBusName: string; Source: string; DetailType: string; Detail: string; Time?: number }>;
  /** While set, every entry of a call is refused with this error code (FailedEntryCount > 0, HTTP 200). */
  refuseWith: string | undefined;
  calls: number;
  close(): Promise<void>;
}

export async function startFakeEventBridge(): Promise<FakeEventBridge> {
  const state: Omit<FakeEventBridge, 'endpoint' | 'close'> = { entries: [], refuseWith: undefined, calls: 0 };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const reply = (status: number, payload: unknown) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return reply(400, { __type: 'UnknownOperationException', message: 'not faked' });
    state.calls++;
    const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Entries?: FakeEventBridge['entries'] };
    if (state.refuseWith) {
      return reply(200, {
        FailedEntryCount: Entries.length,
        Entries: Entries.map(() => ({ ErrorCode: state.refuseWith, ErrorMessage: 'refused by the fake' })),
      });
    }
    state.entries.push(...Entries);
    reply(200, { FailedEntryCount: 0, Entries: Entries.map((_, index) => ({ EventId: `fake-${state.entries.length - Entries.length + index}` })) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
