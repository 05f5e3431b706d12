import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ssmSecret } from '../../lib/config/secrets.ts';
import { secrets } from '../../lib/http/middleware/secrets.ts';
import { problemResponse } from '../../lib/http/problem.ts';
import { createRealtoClient } from '../../lib/proxy/realto-client.ts';
import { type FakeRealto, startFakeRealto } from './fake-realto.ts';
import { type FakeSsm, startFakeSsm } from './fake-ssm.ts';

/**
 * Deployed, every secret is read from SSM by the one cached reader (lib/config/secrets.ts), made fresh by
 * the secrets middleware; proxy mode's Realto client secret is the one that rotates most. The real SDK
 * client and the real middleware, against a fake SSM and a fake platform on loopback; the clock is a
 * variable, so cache ages pass without waiting.
 */
let ssm: FakeSsm;
let platform: FakeRealto;
let clock: number;
let parameter: string;
let counter = 0;

const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

beforeAll(async () => {
  ssm = await startFakeSsm();
  platform = await startFakeRealto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  await ssm.close();
  await platform.close();
});
beforeEach(() => {
  platform.reset();
  ssm.failWith = undefined;
  ssm.delayMs = 0;
  clock = 1_000_000;
  counter += 1;
  parameter = `/onboarding/test/realto-client-secret-${counter}`;
  ssm.put(parameter, platform.clientSecret);
});

/** A function as proxy mode builds it: the secret's middleware in the stack, the client reading it. */
const fetchFailures: Array<{ secret: string; parameter: string }> = [];

function proxyFunction(maxAgeMs = 60_000) {
  const secret = ssmSecret('REALTO_CLIENT_SECRET', parameter, {
    maxAgeMs,
    now: () => clock,
    onFetchFailed: ({ secret: name, parameter: failed }) => fetchFailures.push({ secret: name, parameter: failed }),
  });
  const client = createRealtoClient({
    paths: ['onboarding/entities'],
    baseUrl: platform.baseUrl,
    clientId: platform.clientId,
    clientSecret: secret.current,
    onCredentialsRefused: secret.invalidate,
    retries: 0,
    timeoutMs: 1_000,
  });
  const seeded = platform.seed('entities');
  const handler = middy()
    .use(secrets([secret]))
    .handler(async () => {
      try {
        return { status: 200, seen: (await client.getRequest('onboarding/entities', seeded.id as string)).status };
      } catch (error) {
        const response = problemResponse(error, 'test');
        return { status: response.statusCode, code: JSON.parse(response.body as string).code as string };
      }
    });
  return { invoke: () => handler({}, context), secret };
}

describe('the Realto client secret from SSM, through a middy middleware with a cache', () => {
  it('is fetched once for a warm function, not once per invocation', async () => {
    const fn = proxyFunction();
    for (let i = 0; i < 5; i++) expect(await fn.invoke()).toEqual({ status: 200, seen: 'Pending' });
    expect(ssm.calls(parameter)).toBe(1);
    expect(fn.secret.current()).toBe('fake-secret');
  });

  it('reaches a warm function within the cache age after a rotation, without a cold start', async () => {
    const fn = proxyFunction(60_000);
    expect((await fn.invoke()).status).toBe(200);
    ssm.put(parameter, 'rotated-secret');
    clock += 30_000;
    await fn.invoke();
    expect(fn.secret.current()).toBe('fake-secret');
    clock += 30_001;
    await fn.invoke();
    expect(fn.secret.current()).toBe('rotated-secret');
    expect(ssm.calls(parameter)).toBe(2);
  });

  it('is fetched again after the platform refused it, without waiting for the cache age, so one call fails and a later one works', async () => {
    const fn = proxyFunction(5 * 60_000);
    expect((await fn.invoke()).status).toBe(200);
    // The platform's owner rotates: new secret in SSM and on the platform, the old tokens revoked.
    ssm.put(parameter, 'rotated-secret');
    platform.rotateSecret('rotated-secret');
    platform.revokeTokens();
    expect(await fn.invoke()).toEqual({ status: 502, code: 'upstream_unavailable' });
    // Not more often than every 10 s, whatever the platform says (a wrong value in SSM would otherwise
    // cost an SSM call on every invocation).
    expect(await fn.invoke()).toEqual({ status: 502, code: 'upstream_unavailable' });
    expect(ssm.calls(parameter)).toBe(1);
    clock += 10_000;
    expect(await fn.invoke()).toEqual({ status: 200, seen: 'Pending' });
    expect(ssm.calls(parameter)).toBe(2);
  });

  it('does not forget a refusal that came while a fetch was under way', async () => {
    const fn = proxyFunction(60_000);
    expect((await fn.invoke()).status).toBe(200);
    clock += 60_000;
    ssm.delayMs = 300;
    const underway = fn.invoke();
    // The refusal arrives once SSM has the request and before it answers.
    while (ssm.calls(parameter) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    fn.secret.invalidate();
    await underway;
    ssm.delayMs = 0;
    ssm.put(parameter, 'rotated-secret');
    await fn.invoke();
    expect(fn.secret.current()).toBe('rotated-secret');
    expect(ssm.calls(parameter)).toBe(3);
  });

  it('keeps the secret it holds while SSM is failing, and asks SSM again only 30 s later', async () => {
    const fn = proxyFunction(1_000);
    expect((await fn.invoke()).status).toBe(200);
    ssm.failWith = 500;
    clock += 5_000;
    expect(await fn.invoke()).toEqual({ status: 200, seen: 'Pending' });
    const callsDuringOutage = ssm.calls(parameter);
    expect(await fn.invoke()).toEqual({ status: 200, seen: 'Pending' });
    expect(ssm.calls(parameter)).toBe(callsDuringOutage);
    ssm.failWith = undefined;
    ssm.put(parameter, 'rotated-secret');
    clock += 30_000;
    await fn.invoke();
    expect(fn.secret.current()).toBe('rotated-secret');
  });

  it('answers 503 without calling the platform when the secret could never be read', async () => {
    ssm.failWith = 400;
    const fn = proxyFunction();
    fetchFailures.length = 0;
    const handler = middy()
      .use(secrets([fn.secret]))
      .handler(async () => 'reached');
    const failure = await handler({}, context).then(
      () => undefined,
      (error: unknown) => problemResponse(error, 'test'),
    );
    expect(failure?.statusCode).toBe(503);
    expect(JSON.parse(failure?.body as string).code).toBe('service_unavailable');
    expect(failure?.body).not.toContain('fake outage');
    expect(platform.authCalls).toBe(0);
    // The response names nothing internal; the log names the parameter, so an operator knows what to fix.
    expect(failure?.body).not.toContain(parameter);
    expect(fetchFailures).toContainEqual({ secret: 'REALTO_CLIENT_SECRET', parameter });
  });
});
