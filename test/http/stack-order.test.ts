import { describe, expect, it } from 'vitest';
import { COLLECTIVE_ONBOARDING_ROUTES } from '../../lib/app/function-table.ts';
import type { Secret } from '../../lib/config/secrets.ts';
import { createAuthenticator } from '../../lib/http/auth.ts';
import { http } from '../../lib/http/handler.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { TEST_JWT_SECRET } from '../support/fixtures.ts';
import { apiEvent, lambdaContext, token } from '../support/http.ts';

/** The order of the stack (lib/http/handler.ts) is the design: each step only sees calls the ones before let through. */
const route = COLLECTIVE_ONBOARDING_ROUTES.list;
const fetched: string[] = [];
const secret: Secret = { name: 'PAGE_TOKEN_SECRET', refresh: async () => void fetched.push('refresh'), current: () => 'x', invalidate: () => {} };
const handler = http(
  route,
  {
    logger: createLogger('SILENT'),
    authenticate: createAuthenticator({ issuer: 'onboarding-local', audience: 'onboarding-api', jwtSecret: TEST_JWT_SECRET, jwksUrl: undefined }),
    secretsFor: () => [secret],
  },
  async () => ({ status: 200, body: { data: [] } }),
);

const call = async (options: Parameters<typeof apiEvent>[0]) => {
  fetched.length = 0;
  const response = await handler(apiEvent({ path: route.http.path, ...options }), lambdaContext());
  return {
    status: response.statusCode,
    code: JSON.parse(response.body as string).code as string | undefined,
    fetched: [...fetched],
    headers: response.headers ?? {},
  };
};

describe('the HTTP stack, in its declared order', () => {
  it('checks the token before it reads the body: an anonymous oversized body is a 401, not a 413', async () => {
    expect(await call({ headers: { 'content-type': 'application/json' }, rawBody: 'x'.repeat(70_000) })).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('validates before it fetches secrets: a refused call costs no secret fetch', async () => {
    const authorization = `Bearer ${await token()}`;
    expect(await call({ headers: { authorization }, query: { pageSize: '1000' } })).toMatchObject({ status: 400, fetched: [] });
    expect(await call({ headers: { authorization } })).toMatchObject({ status: 200, fetched: ['refresh'] });
  });

  it('adds the security headers and the correlation id to problems as to answers', async () => {
    const refused = await call({ headers: { 'x-correlation-id': 'order-1' } });
    expect(refused.headers).toMatchObject({ 'X-Content-Type-Options': 'nosniff', 'X-Correlation-Id': 'order-1', 'Content-Type': 'application/problem+json' });
  });

  it('knows the route it serves (the test client and the tools read it)', () => {
    expect(handler.route).toBe(route);
  });
});
