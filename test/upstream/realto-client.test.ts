import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeError } from '../../lib/http/problem.ts';
import { ServiceError } from '../../lib/lifecycle/errors.ts';
import { UpstreamCircuitOpenError, UpstreamRejectedError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../lib/proxy/errors.ts';
import { createRealtoClient, type RealtoClientOptions } from '../../lib/proxy/realto-client.ts';
import { type FakeRealto, startFakeRealto } from './fake-realto.ts';

const GET_ENTITY = 'GET /v1/onboarding/entities/{id}';
const CREATE_ENTITY = 'POST /v1/onboarding/entities';
const CANCEL_COLLECTIVE = 'PATCH /v1/onboarding/collectives/{id}/cancel';

let fake: FakeRealto;
let clock: number;

beforeAll(async () => {
  fake = await startFakeRealto();
});

afterAll(() => fake.close());

beforeEach(() => {
  fake.reset();
  clock = Date.UTC(2025, 0, 1);
});

function client(overrides: Partial<RealtoClientOptions> = {}) {
  return createRealtoClient({
    paths: ['onboarding/collectives', 'onboarding/entities', 'offboarding/entities'],
    baseUrl: fake.baseUrl,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    now: () => clock,
    backoffBaseMs: 5,
    ...overrides,
  });
}

/** The error a call failed with, and how a caller of ours sees it (its HTTP status and headers, lib/http/problem.ts). */
async function failure(promise: Promise<unknown>): Promise<ServiceError & { status: number; headers: Record<string, string> }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ServiceError)) throw new Error(`expected a ServiceError, got ${String(error)}`);
  const seen = describeError(error)!;
  return Object.assign(error, { status: seen.status, headers: seen.headers });
}

describe('the requests calls', () => {
  it("create, get and cancel answer the platform objects, at each kind's path", async () => {
    const realto = client();

    const created = await realto.createRequest('onboarding/entities', { type: 'Battery', manufacturer: 'Tesla' });
    const read = await realto.getRequest('onboarding/entities', created.id);
    const collective = fake.seed('collectives');
    const canceled = await realto.cancelRequest('onboarding/collectives', collective.id as string);

    expect(created).toMatchObject({ requestType: 'Entity', status: 'Pending' });
    expect(read).toEqual(created);
    expect(canceled).toMatchObject({ id: collective.id, status: 'Canceled' });
    expect(fake.hits('POST /v1/onboarding/entities')).toBe(1);
  });

  it('a path no kind of this client has is refused before anything is sent', async () => {
    const realto = client();

    expect(() => realto.getRequest('onboarding/households', 'x')).toThrow(TypeError);
    expect(fake.authCalls).toBe(0);
  });
});

describe('authentication', () => {
  it('one token serves consecutive calls: a single authentication', async () => {
    const realto = client();
    const request = fake.seed('entities');

    await realto.getRequest('onboarding/entities', request.id as string);
    await realto.getRequest('onboarding/entities', request.id as string);
    await realto.read('/v1/onboarding/entities');

    expect(fake.authCalls).toBe(1);
  });

  it('concurrent first calls share one in-flight authentication', async () => {
    const realto = client();
    const request = fake.seed('entities');

    await Promise.all([1, 2, 3, 4].map(() => realto.getRequest('onboarding/entities', request.id as string)));

    expect(fake.authCalls).toBe(1);
  });

  it('a 401 drops the token, re-authenticates once and retries the call once', async () => {
    const realto = client();
    const request = fake.seed('entities');
    await realto.getRequest('onboarding/entities', request.id as string);
    fake.revokeTokens();

    const read = await realto.getRequest('onboarding/entities', request.id as string);

    expect(read.id).toBe(request.id);
    expect(fake.authCalls).toBe(2);
    expect(fake.hits(GET_ENTITY)).toBe(3);
  });

  it('a 401 on the retried call too is a 502, after exactly one re-authentication and one retry', async () => {
    let apiCalls = 0;
    const realto = client({
      fetch: async (input, init) => {
        if (String(input).endsWith('/v1/authentication')) return globalThis.fetch(input, init);
        apiCalls += 1;
        return Response.json({ title: 'Unauthorized', status: 401 }, { status: 401 });
      },
    });

    const error = await failure(realto.getRequest('onboarding/entities', 'x'));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(fake.authCalls).toBe(2);
    expect(apiCalls).toBe(2);
  });

  it('a token is replaced 60 s before it expires, not earlier', async () => {
    const realto = client();
    const request = fake.seed('entities');
    await realto.getRequest('onboarding/entities', request.id as string);

    clock += (3599 - 61) * 1000;
    await realto.getRequest('onboarding/entities', request.id as string);
    expect(fake.authCalls).toBe(1);

    clock += 2000;
    await realto.getRequest('onboarding/entities', request.id as string);
    expect(fake.authCalls).toBe(2);
  });

  it('refused service credentials are a 502, never our caller’s 401', async () => {
    const realto = client({ clientSecret: 'wrong' });

    const error = await failure(realto.read('/v1/onboarding/entities'));

    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ code: 'upstream_unavailable' });
  });
});

describe('retries', () => {
  it('a GET that keeps failing with 503 is retried, then answered with 502', async () => {
    const realto = client({ retries: 2 });
    const request = fake.seed('entities');
    await realto.read('/v1/onboarding/entities');
    fake.behaviour.failures = 10;

    const error = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(fake.hits(GET_ENTITY)).toBe(3);
  });

  it('a GET that fails twice with 502 succeeds on the third attempt', async () => {
    const realto = client({ retries: 2 });
    const request = fake.seed('entities');
    fake.behaviour.failures = 2;
    fake.behaviour.failureStatus = 502;

    const read = await realto.getRequest('onboarding/entities', request.id as string);

    expect(read.id).toBe(request.id);
    expect(fake.hits(GET_ENTITY)).toBe(3);
  });

  it('a 500 is not retried', async () => {
    const realto = client({ retries: 2 });
    const request = fake.seed('entities');
    fake.behaviour.failures = 1;
    fake.behaviour.failureStatus = 500;

    const error = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(fake.hits(GET_ENTITY)).toBe(1);
  });

  it('a create that fails with 503 is not retried: one request reaches the platform', async () => {
    const realto = client({ retries: 2 });
    fake.behaviour.failures = 1;

    const error = await failure(realto.createRequest('onboarding/entities', { type: 'Battery', manufacturer: 'Tesla' }));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(fake.hits(CREATE_ENTITY)).toBe(1);
  });

  it('a cancel that fails with 504 is retried, as cancelling is idempotent', async () => {
    const realto = client({ retries: 2 });
    const collective = fake.seed('collectives');
    fake.behaviour.failures = 1;
    fake.behaviour.failureStatus = 504;

    const canceled = await realto.cancelRequest('onboarding/collectives', collective.id as string);

    expect(canceled.status).toBe('Canceled');
    expect(fake.hits(CANCEL_COLLECTIVE)).toBe(2);
  });
});

describe('timeouts and unreadable answers', () => {
  it('a slow create is a 504 after one request', async () => {
    const realto = client({ timeoutMs: 100 });
    await realto.read('/v1/onboarding/entities');
    fake.behaviour.delayMs = 400;

    const error = await failure(realto.createRequest('onboarding/entities', { type: 'Battery', manufacturer: 'Tesla' }));

    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(fake.hits(CREATE_ENTITY)).toBe(1);
  });

  it('a slow GET is retried within its budget, then a 504', async () => {
    const realto = client({ timeoutMs: 100, retries: 1 });
    const request = fake.seed('entities');
    await realto.read('/v1/onboarding/entities');
    fake.behaviour.delayMs = 400;

    const error = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(fake.hits(GET_ENTITY)).toBe(2);
  });

  it('cut-off JSON is a 502 and is not retried', async () => {
    const realto = client();
    const request = fake.seed('entities');
    fake.behaviour.malformed = 1;

    const error = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(fake.hits(GET_ENTITY)).toBe(1);
  });

  it('JSON without a string id and status is a 502', async () => {
    const realto = client({
      fetch: async (input, init) => {
        const url = String(input);
        if (url.endsWith('/v1/authentication')) return globalThis.fetch(input, init);
        return Response.json({ id: 42, status: 'Pending' });
      },
    });

    const error = await failure(realto.getRequest('onboarding/entities', 'x'));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
  });

  it('an unreachable platform is a 502', async () => {
    const realto = client({ baseUrl: 'http://127.0.0.1:1', retries: 0 });

    const error = await failure(realto.getRequest('onboarding/entities', 'x'));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
  });
});

describe('refusals by the platform', () => {
  it('a refused cancel is our 400 upstream_rejected with the platform’s message', async () => {
    const realto = client();
    const collective = fake.seed('collectives');
    fake.behaviour.rejectCancelWith = 'Only Pending onboarding requests can be canceled';

    const error = await failure(realto.cancelRequest('onboarding/collectives', collective.id as string));

    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({
      status: 400,
      code: 'upstream_rejected',
      message: 'Only Pending onboarding requests can be canceled',
    });
    expect(fake.hits(CANCEL_COLLECTIVE)).toBe(1);
  });

  it('an unknown id is our 404 upstream_rejected', async () => {
    const realto = client();

    const error = await failure(realto.getRequest('onboarding/entities', '00000000-0000-4000-8000-000000000000'));

    expect(error).toMatchObject({ status: 404, code: 'upstream_rejected', message: 'Onboarding request not found' });
  });

  it('a long or multi-line platform message is replaced by a generic text', async () => {
    const answers = [{ title: 'x'.repeat(301) }, { message: 'line one\nline two' }, { detail: { nested: true } }, 'not json'];
    for (const answer of answers) {
      const realto = client({
        fetch: async (input, init) => {
          if (String(input).endsWith('/v1/authentication')) return globalThis.fetch(input, init);
          return typeof answer === 'string' ? new Response(answer, { status: 400 }) : Response.json(answer, { status: 400 });
        },
      });

      const error = await failure(realto.getRequest('onboarding/entities', 'x'));

      expect(error).toMatchObject({ status: 400, code: 'upstream_rejected', message: 'The Realto platform refused the request with status 400' });
    }
  });
});

describe('the circuit breaker', () => {
  it('opens after 5 consecutive failures, sends nothing while open, and closes after a successful trial', async () => {
    const realto = client({ retries: 0 });
    const request = fake.seed('entities');
    await realto.read('/v1/onboarding/entities');
    fake.behaviour.failures = 5;

    for (let n = 0; n < 5; n++) {
      expect(await failure(realto.getRequest('onboarding/entities', request.id as string))).toMatchObject({ status: 502 });
    }
    const sent = fake.onboardingCalls;
    const open = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(open).toBeInstanceOf(UpstreamCircuitOpenError);
    expect(open).toMatchObject({ status: 503, code: 'upstream_unavailable', headers: { 'Retry-After': '10' } });
    expect(await failure(realto.createRequest('onboarding/entities', {}))).toBeInstanceOf(UpstreamCircuitOpenError);
    expect(fake.onboardingCalls).toBe(sent);

    clock += 10_000;
    const read = await realto.getRequest('onboarding/entities', request.id as string);
    await realto.getRequest('onboarding/entities', request.id as string);

    expect(read.id).toBe(request.id);
    expect(fake.onboardingCalls).toBe(sent + 2);
  });

  it('a failed trial opens it again for another pause', async () => {
    const realto = client({ retries: 0 });
    const request = fake.seed('entities');
    await realto.read('/v1/onboarding/entities');
    fake.behaviour.failures = 6;
    for (let n = 0; n < 5; n++) await failure(realto.getRequest('onboarding/entities', request.id as string));

    clock += 10_000;
    expect(await failure(realto.getRequest('onboarding/entities', request.id as string))).toMatchObject({ status: 502 });
    clock += 5_000;
    const stillOpen = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(stillOpen).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    expect(fake.onboardingCalls).toBe(1 + 5 + 1);
  });

  it('retries stop when the breaker opens mid-call: the caller gets the last real failure', async () => {
    const realto = client({ retries: 10 });
    const request = fake.seed('entities');
    await realto.read('/v1/onboarding/entities');
    fake.behaviour.failures = 100;

    const error = await failure(realto.getRequest('onboarding/entities', request.id as string));

    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(fake.hits(GET_ENTITY)).toBe(5);
  });
});

describe('a platform that answers with a redirect', () => {
  it.each([307, 308, 302])(
    'given every call answered %i to another host, then the call is a 502 and neither the credentials nor a token leave for that host',
    async (status) => {
      const { createServer } = await import('node:http');
      const seenByThief: string[] = [];
      const thief = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on('end', () => {
          seenByThief.push(`${request.method} ${request.url} ${body} ${request.headers.authorization ?? ''}`);
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"stolen","expires_in":3600}');
        });
      });
      await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
      const thiefPort = (thief.address() as { port: number }).port;
      const redirecting = createServer((request, response) => {
        response.writeHead(status, { location: `http://127.0.0.1:${thiefPort}${request.url}` }).end();
      });
      await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
      try {
        const error = await failure(
          client({ baseUrl: `http://127.0.0.1:${(redirecting.address() as { port: number }).port}`, retries: 0 }).getRequest(
            'onboarding/entities',
            fake.seed('entities').id as string,
          ),
        );
        expect(error).toBeInstanceOf(UpstreamUnavailableError);
        expect(seenByThief).toEqual([]);
      } finally {
        thief.close();
        redirecting.close();
      }
    },
  );
});
