import type { Config } from '../config/settings.ts';
import { displayName } from '../lifecycle/display-name.ts';
import { UnavailableError } from '../lifecycle/errors.ts';
import type { Caller } from '../lifecycle/types.ts';
import { InsufficientScopeError, UnauthorizedError } from './errors.ts';
import { type JwtAlgorithm, type JwtPayload, type KeysFor, TokenRefused, verifyJwt } from './jwt.ts';
import { KeysUnavailableError, remoteKeySet } from './remote-keys.ts';
import type { Scope } from './route.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createSecretKey } = process.getBuiltinModule('node:crypto');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies bearer JWTs. The algorithm is pinned by the key source: HS256 for the local
 * shared secret, RS256/ES256 for a JWKS; a token that names any other algorithm, `none` included, fails.
 */
export function createAuthenticator(settings: Config['auth']) {
  const options = { ...keySource(settings), issuer: settings.issuer, audience: settings.audience, requiredClaims: ['exp', 'sub'], clockToleranceSeconds: 5 };
  const verify = (token: string) => verifyJwt(token, options);

  const verified = new VerifiedTokens();

  return async function authenticate(authorization: string | undefined, required: Scope): Promise<Caller> {
    if (!authorization) throw new UnauthorizedError('A bearer token is required.', null);
    const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>".', 'invalid_request');
    const token = match[1]!;
    let claims = verified.get(token);
    if (!claims) {
      claims = await verifyClaims(token);
      verified.set(token, claims);
    }
    const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []);
    if (!scopes.has(required)) throw new InsufficientScopeError(required);
    // Shown to the end user as who asks: only what shows as it is (../lifecycle/display-name.ts).
    const tenantName = typeof claims.tenant_name === 'string' ? displayName(claims.tenant_name) : '';
    return { principalId: claims.sub!, tenantId: (claims.tenant_id as string).toLowerCase(), scopes, ...(tenantName ? { tenantName } : {}) };
  };

  async function verifyClaims(token: string): Promise<JwtPayload> {
    let claims: JwtPayload;
    try {
      claims = await verify(token);
    } catch (error) {
      if (isKeyFetchFailure(error)) {
        throw new UnavailableError('The identity provider keys could not be fetched; retry shortly.', 5, { cause: error });
      }
      throw new UnauthorizedError(describe(error));
    }
    const tenantId = claims.tenant_id;
    if (typeof tenantId !== 'string' || !UUID.test(tenantId)) {
      throw new UnauthorizedError('The token has no valid tenant_id claim.');
    }
    if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 256) {
      throw new UnauthorizedError('The token has no valid sub claim.');
    }
    return claims;
  }
}

/** Where the keys come from, and so the algorithms allowed: a JWKS's RS256/ES256, or the local HS256 secret. */
function keySource(settings: Config['auth']): { algorithms: JwtAlgorithm[]; keys: KeysFor } {
  if (settings.jwksUrl) return { algorithms: ['RS256', 'ES256'], keys: remoteKeySet(new URL(settings.jwksUrl), { timeoutMs: 3_000, cooldownMs: 30_000 }) };
  // The settings give a secret of at least 32 characters whenever there is no key URL (lib/config/settings.ts).
  const secret = settings.jwtSecret ? [createSecretKey(Buffer.from(settings.jwtSecret, 'utf8'))] : [];
  return { algorithms: ['HS256'], keys: () => secret };
}

/**
 * Tokens this container verified, until they expire: a client reuses its token for many calls, and the
 * signature check (WebCrypto, off the main thread) is most of the middleware's cost. Keyed by the whole
 * token, so any other token, however similar, is verified afresh; bounded, oldest dropped first.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, JwtPayload>();
  private static readonly MAX = 1_000;

  get(token: string): JwtPayload | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    // Expired since it was verified: drop it, so the full check runs and answers as it would.
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: JwtPayload): void {
    if (this.entries.size >= VerifiedTokens.MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, claims);
  }
}

/**
 * The identity provider's keys could not be had (./remote-keys.ts): the token may be fine, so the caller
 * must not throw it away on a 401.
 */
const isKeyFetchFailure = (error: unknown) => error instanceof KeysUnavailableError;

/** Says which check failed without echoing anything from the token. */
function describe(error: unknown): string {
  if (!(error instanceof TokenRefused)) return 'The token is not valid.';
  switch (error.reason) {
    case 'expired':
      return 'The token has expired.';
    case 'claim':
      return `The token's ${error.claim} claim is not accepted.`;
    case 'algorithm':
      return 'The token is signed with an algorithm that is not accepted.';
    case 'signature':
      return 'The token signature is not valid.';
    case 'unknown_key':
      return 'The token is signed with an unknown key.';
    default:
      return 'The token is not valid.';
  }
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
