import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../lib/http/auth.ts';
import { InsufficientScopeError, UnauthorizedError } from '../../../lib/http/errors.ts';
import { bearerAuth } from '../../../lib/http/middleware/bearer-auth.ts';
import { describeError } from '../../../lib/http/problem.ts';
import { TEST_JWT_SECRET } from '../../support/fixtures.ts';
import { token } from '../../support/http.ts';
import { runAlone } from './support.ts';

const authenticate = createAuthenticator({ issuer: 'onboarding-local', audience: 'onboarding-api', jwtSecret: TEST_JWT_SECRET, jwksUrl: undefined });
const middleware = bearerAuth(authenticate, 'onboarding:write');

describe('the bearer-auth middleware', () => {
  it('given a valid token with the scope, then the caller is in the state for the handler', async () => {
    const tenantId = '4b1f7a52-6f0e-4c83-9a55-0d8e0f6c2a11';
    const { response, reached } = await runAlone(middleware, { headers: { authorization: `Bearer ${await token({ tenantId, sub: 'alice' })}` } });
    expect(reached).toBe(true);
    expect(JSON.parse(response!.body as string).caller).toMatchObject({ principalId: 'alice', tenantId });
  });

  it('given no Authorization header, then a 401 with a bearer challenge and the handler is not reached', async () => {
    const { error, reached } = await runAlone(middleware);
    expect(reached).toBe(false);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(describeError(error)?.headers['WWW-Authenticate']).toMatch(/^Bearer realm="onboarding"/);
  });

  it('given a token signed with another secret, then a 401 invalid_token', async () => {
    const { error } = await runAlone(middleware, {
      headers: { authorization: `Bearer ${await token({ secret: 'another-secret-that-is-at-least-32-bytes!' })}` },
    });
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(describeError(error)?.headers['WWW-Authenticate']).toContain('error="invalid_token"');
  });

  it("given a valid token without the route's scope, then a 403 naming the scope", async () => {
    const { error, reached } = await runAlone(middleware, { headers: { authorization: `Bearer ${await token({ scope: 'onboarding:read' })}` } });
    expect(reached).toBe(false);
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect(describeError(error)?.headers['WWW-Authenticate']).toContain('scope="onboarding:write"');
  });
});
