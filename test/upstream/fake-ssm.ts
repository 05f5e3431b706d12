import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for SSM Parameter Store on 127.0.0.1, for the one call the service makes (GetParameter, AWS
 * JSON 1.1 protocol). The real SDK client talks to it through AWS_ENDPOINT_URL_SSM.
 */
export interface FakeSsm {
  endpoint: string;
  put(name: string, value: string): void;
  /** While set, every call fails with this HTTP status (the SDK retries 5xx on its own). */
  failWith: number | undefined;
  /** Delay before every answer. */
  delayMs: number;
  /** GetParameter calls received, per parameter name. */
  calls(name: string): number;
  close(): Promise<void>;
}

export async function startFakeSsm(): Promise<FakeSsm> {
  const parameters = new Map<string, { value: string; version: number }>();
  const counts = new Map<string, number>();
  let failWith: number | undefined;
  let delayMs = 0;

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Name?: string };
    const reply = (status: number, payload: unknown) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    if (request.headers['x-amz-target'] !== 'AmazonSSM.GetParameter') {
      return reply(400, { __type: 'UnknownOperationException', message: 'not faked' });
    }
    counts.set(body.Name ?? '', (counts.get(body.Name ?? '') ?? 0) + 1);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (failWith !== undefined) return reply(failWith, { __type: 'InternalServerError', message: 'fake outage' });
    const parameter = parameters.get(body.Name ?? '');
    if (!parameter) return reply(400, { __type: 'ParameterNotFound', message: '' });
    reply(200, { Parameter: { Name: body.Name, Type: 'SecureString', Value: parameter.value, Version: parameter.version } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    put(name, value) {
      parameters.set(name, { value, version: (parameters.get(name)?.version ?? 0) + 1 });
    },
    get failWith() {
      return failWith;
    },
    set failWith(status) {
      failWith = status;
    },
    get delayMs() {
      return delayMs;
    },
    set delayMs(ms) {
      delayMs = ms;
    },
    calls: (name) => counts.get(name) ?? 0,
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
