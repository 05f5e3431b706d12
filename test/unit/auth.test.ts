import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../lib/http/auth.ts';
import { UnauthorizedError } from '../../lib/http/errors.ts';
import { ForbiddenError } from '../../lib/lifecycle/errors.ts';

const SECRET = 'unit-test-secret-for-hs256-0123456789abcdef';
const settings = { issuer: 'onboarding-local', audience: 'onboarding-api', jwtSecret: SECRET, jwksUrl: undefined };
const TENANT = '7d9f3c2a-1b4e-4f6a-8c0d-2e5b7a9c1d3f';

async function sign(expiresAt: number, scope = 'onboarding:read') {
  return new SignJWT({ tenant_id: TENANT, scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('integrator')
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(SECRET));
}

afterEach(() => vi.useRealTimers());

describe('bearer authentication with the per-container cache of verified tokens', () => {
  it('given a token verified once, when it expires, then the next call is refused as expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Math.floor(Date.now() / 1000);
    const authenticate = createAuthenticator(settings);
    const token = await sign(now + 60);
    await expect(authenticate(`Bearer ${token}`, 'onboarding:read')).resolves.toMatchObject({ tenantId: TENANT });
    vi.setSystemTime((now + 66) * 1000); // past exp and the 5 s clock tolerance
    await expect(authenticate(`Bearer ${token}`, 'onboarding:read')).rejects.toThrow(UnauthorizedError);
  });

  it('given a verified token, when one character of its signature changes, then it is verified afresh and refused', async () => {
    const authenticate = createAuthenticator(settings);
    const token = await sign(Math.floor(Date.now() / 1000) + 600);
    await authenticate(`Bearer ${token}`, 'onboarding:read');
    const tampered = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    await expect(authenticate(`Bearer ${tampered}`, 'onboarding:read')).rejects.toThrow(UnauthorizedError);
  });

  it('given a cached token, when a scope it lacks is required, then it is still a 403', async () => {
    const authenticate = createAuthenticator(settings);
    const token = await sign(Math.floor(Date.now() / 1000) + 600, 'onboarding:read');
    await authenticate(`Bearer ${token}`, 'onboarding:read');
    await expect(authenticate(`Bearer ${token}`, 'onboarding:write')).rejects.toThrow(ForbiddenError);
  });
});
