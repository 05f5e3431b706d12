import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../lib/http/auth.ts';
import { UnauthorizedError } from '../../lib/http/errors.ts';
import { UnavailableError } from '../../lib/lifecycle/errors.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { apiEvent, lambdaContext } from '../support/http.ts';

/** The deployed path of token checks: keys from a JWKS URL (an identity provider on loopback), RS256/ES256 only. */
const TENANT = '0b6a4f3e-2c1d-4e5f-9a8b-7c6d5e4f3a2b';
let server: Server;
let jwksUrl: string;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let ec: Awaited<ReturnType<typeof generateKeyPair>>;
let stranger: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  stranger = await generateKeyPair('RS256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function authenticator() {
  return createAuthenticator({ issuer: 'https://idp.test/', audience: 'onboarding-api', jwksUrl, jwtSecret: undefined });
}

function claims() {
  return new SignJWT({ tenant_id: TENANT, scope: 'onboarding:read' })
    .setSubject('integrator')
    .setIssuer('https://idp.test/')
    .setAudience('onboarding-api')
    .setIssuedAt()
    .setExpirationTime('5m');
}

describe('bearer tokens verified against a JWKS', () => {
  it('accepts an RS256 token signed by a published key', async () => {
    const token = await claims().setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);
    await expect(authenticator()(`Bearer ${token}`, 'onboarding:read')).resolves.toMatchObject({ tenantId: TENANT, principalId: 'integrator' });
  });

  it('accepts an ES256 token signed by a published key', async () => {
    const token = await claims().setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).sign(ec.privateKey);
    await expect(authenticator()(`Bearer ${token}`, 'onboarding:read')).resolves.toMatchObject({ tenantId: TENANT });
  });

  it('refuses a token signed by a key the JWKS does not publish', async () => {
    const token = await claims().setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(stranger.privateKey);
    await expect(authenticator()(`Bearer ${token}`, 'onboarding:read')).rejects.toThrow(UnauthorizedError);
  });

  it('refuses HS256 when keys come from a JWKS, even signed with a public key as the secret (algorithm confusion)', async () => {
    const publicJwk = JSON.stringify(await exportJWK(rsa.publicKey));
    const token = await claims().setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(publicJwk));
    await expect(authenticator()(`Bearer ${token}`, 'onboarding:read')).rejects.toThrow('algorithm that is not accepted');
  });
});

describe('an identity provider that cannot give its keys', () => {
  /** An identity provider on loopback that answers every key request with `status`. */
  async function failingProvider(status: number) {
    const failing = createServer((_request, response) => {
      response.writeHead(status).end('unavailable');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/jwks.json`,
      close: () => new Promise<void>((resolve) => failing.close(() => resolve())),
    };
  }
  const refusing = async () => {
    const port = await failingProvider(200);
    await port.close();
    return port.url;
  };

  it.each([
    ['answers 500', async () => (await failingProvider(500)).url],
    ['answers 404', async () => (await failingProvider(404)).url],
    ['refuses the connection', refusing],
  ])('given it %s, then a well-formed token gets a 503 with Retry-After, never a 401 that makes clients throw it away', async (_what, providerUrl) => {
    const url = await providerUrl();
    const authenticate = createAuthenticator({ issuer: 'https://idp.test/', audience: 'onboarding-api', jwksUrl: url, jwtSecret: undefined });
    const token = await claims().setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);

    const failure = await authenticate(`Bearer ${token}`, 'onboarding:read').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as UnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('logs such a failure as an error, answered as 503 problem+json through the HTTP stack', async () => {
    const { http } = await import('../../lib/http/handler.ts');
    const { COLLECTIVE_ONBOARDING_ROUTES } = await import('../../lib/app/routes/collective-onboarding.ts');
    const errors: string[] = [];
    const logger = { ...createLogger('SILENT'), error: (message: string) => void errors.push(message) };
    const handler = http(
      COLLECTIVE_ONBOARDING_ROUTES.list,
      {
        logger,
        authenticate: createAuthenticator({
          issuer: 'https://idp.test/',
          audience: 'onboarding-api',
          jwksUrl: (await failingProvider(503)).url,
          jwtSecret: undefined,
        }),
        secretsFor: () => [],
      },
      async () => ({ status: 200, body: {} }),
    );
    const token = await claims().setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);

    const response = await handler(apiEvent({ path: '/v1/onboarding/collectives', headers: { authorization: `Bearer ${token}` } }), lambdaContext());

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': '5' });
    expect(errors).toEqual(['request failed']);
  });
});

describe('the identity provider keys, kept between calls', () => {
  /** A provider on loopback that publishes `published()` and counts the key requests it answers. */
  async function countingProvider(published: () => object[], answer?: (response: import('node:http').ServerResponse) => void) {
    const seen = { fetches: 0 };
    const provider = createServer((_request, response) => {
      seen.fetches++;
      if (answer) return answer(response);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published() }));
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/jwks.json`;
    return { seen, url, close: () => new Promise<void>((resolve) => provider.close(() => resolve())) };
  }
  const rsaKey = async () => ({ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' });
  const signed = (kid: string, key: Parameters<SignJWT['sign']>[0]) => claims().setProtectedHeader({ alg: 'RS256', kid }).sign(key);

  it('fetches the keys once for many tokens, however many arrive at once', async () => {
    const key = await rsaKey();
    const provider = await countingProvider(() => [key]);
    const authenticate = createAuthenticator({ issuer: 'https://idp.test/', audience: 'onboarding-api', jwksUrl: provider.url, jwtSecret: undefined });
    const tokens = await Promise.all(
      Array.from({ length: 6 }, (_, index) => claims().setJti(`t${index}`).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey)),
    );

    await Promise.all(tokens.slice(0, 5).map((token) => authenticate(`Bearer ${token}`, 'onboarding:read')));
    await authenticate(`Bearer ${tokens[5]}`, 'onboarding:read');

    expect(provider.seen.fetches).toBe(1);
    await provider.close();
  });

  it('picks up a rotated key after the cooldown, and until then a token naming an unknown key makes no fetch', async () => {
    const rotated = await generateKeyPair('RS256');
    const keys = [await rsaKey()];
    const provider = await countingProvider(() => keys);
    const authenticate = createAuthenticator({ issuer: 'https://idp.test/', audience: 'onboarding-api', jwksUrl: provider.url, jwtSecret: undefined });
    await authenticate(`Bearer ${await signed('rsa-1', rsa.privateKey)}`, 'onboarding:read');

    // The provider rotates; a token with the new key arrives within the cooldown: refused, without a fetch.
    keys.push({ ...(await exportJWK(rotated.publicKey)), kid: 'rsa-2', alg: 'RS256', use: 'sig' });
    await expect(authenticate(`Bearer ${await signed('rsa-2', rotated.privateKey)}`, 'onboarding:read')).rejects.toThrow('unknown key');
    await expect(authenticate(`Bearer ${await signed('rsa-3', rotated.privateKey)}`, 'onboarding:read')).rejects.toThrow('unknown key');
    expect(provider.seen.fetches).toBe(1);

    // Past the cooldown, the unknown key makes one fetch, which finds it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 31_000);
      await expect(authenticate(`Bearer ${await signed('rsa-2', rotated.privateKey)}`, 'onboarding:read')).resolves.toMatchObject({ tenantId: TENANT });
    } finally {
      vi.useRealTimers();
    }
    expect(provider.seen.fetches).toBe(2);
    await provider.close();
  });

  it.each([
    ['answers with something that is not a key set', (response: import('node:http').ServerResponse) => response.writeHead(200).end('{"keys":"none"}')],
    ['redirects elsewhere', (response: import('node:http').ServerResponse) => response.writeHead(302, { location: 'http://127.0.0.1:9/jwks.json' }).end()],
    ['never answers', () => undefined],
  ])(
    'given a provider that %s, then a well-formed token gets a 503, not a 401',
    async (_what, answer) => {
      const provider = await countingProvider(() => [], answer);
      const authenticate = createAuthenticator({ issuer: 'https://idp.test/', audience: 'onboarding-api', jwksUrl: provider.url, jwtSecret: undefined });

      const failure = await authenticate(`Bearer ${await signed('rsa-1', rsa.privateKey)}`, 'onboarding:read').catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(UnavailableError);
      provider.close();
    },
    10_000,
  );
});
