import type { JsonWebKey, KeyObject } from 'node:crypto';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHmac, createPublicKey, timingSafeEqual, verify } = process.getBuiltinModule('node:crypto');

/**
 * Compact JWS JWTs verified with node:crypto: HS256 with the local shared secret, RS256 and ES256 with an
 * identity provider's keys. The cryptography is node:crypto's (loaded by the AWS SDK at every cold start
 * anyway); this module only reads the compact form and checks the claims, as RFC 7515, 7518 and 7519 say.
 * It replaces jose's jwtVerify, whose 25 KB of bundle were the largest single part of a bearer function's
 * cold start (docs/performance.md); test/unit/jwt.test.ts holds it to jose's answers.
 */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface JwtHeader {
  alg: JwtAlgorithm;
  kid?: string;
  [name: string]: unknown;
}

export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  [claim: string]: unknown;
}

/** A public key as a JWKS publishes it (RFC 7517). */
export interface Jwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  [member: string]: unknown;
}

export interface JwkSet {
  keys: Jwk[];
}

/** Why a token was refused: what the caller is told is chosen by it (./auth.ts), never the token's content. */
export type Refusal = 'malformed' | 'algorithm' | 'unknown_key' | 'signature' | 'expired' | 'claim';

export class TokenRefused extends Error {
  override name = 'TokenRefused';
  readonly reason: Refusal;
  /** For `claim` and `expired`: the claim that failed. */
  readonly claim: string | undefined;
  constructor(reason: Refusal, claim?: string) {
    super(claim ? `${reason}: ${claim}` : reason);
    this.reason = reason;
    this.claim = claim;
  }
}

/** The keys a token's header may have been signed with: none is `unknown_key`; each is tried. */
export type KeysFor = (header: JwtHeader) => Promise<readonly KeyObject[]> | readonly KeyObject[];

export interface VerifyOptions {
  algorithms: readonly JwtAlgorithm[];
  keys: KeysFor;
  issuer: string;
  audience: string;
  requiredClaims: readonly string[];
  clockToleranceSeconds: number;
  now?: () => number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Bytes that are not UTF-8 make the token malformed, rather than becoming U+FFFD in a claim. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(part: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new TokenRefused('malformed');
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(Buffer.from(part, 'base64url')));
  } catch {
    throw new TokenRefused('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenRefused('malformed');
  return value as Record<string, unknown>;
}

function signatureValid(algorithm: JwtAlgorithm, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  if (algorithm === 'HS256') {
    if (key.type !== 'secret') return false;
    const expected = createHmac('sha256', key).update(input).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  if (algorithm === 'RS256') {
    // As jose and RFC 7518 §3.3: an RSA key shorter than 2048 bits is not to be trusted.
    if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
    return verify('sha256', input, key, signature);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1' || signature.length !== 64) return false;
  return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The payload's registered claims, as RFC 7519 §4.1 and the options ask, in jose's order (so a token
 * with several faults names the same one); times with the clock's tolerance.
 */
function checkClaims(payload: JwtPayload, options: VerifyOptions): void {
  for (const claim of new Set(['iss', 'aud', ...[...options.requiredClaims].reverse()])) {
    if (!Object.hasOwn(payload, claim)) throw new TokenRefused('claim', claim);
  }
  if (payload.iss !== options.issuer) throw new TokenRefused('claim', 'iss');
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!audiences.includes(options.audience)) throw new TokenRefused('claim', 'aud');
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.clockToleranceSeconds;
  if (payload.iat !== undefined && !isNumber(payload.iat)) throw new TokenRefused('claim', 'iat');
  if (payload.nbf !== undefined && (!isNumber(payload.nbf) || payload.nbf > now + tolerance)) throw new TokenRefused('claim', 'nbf');
  if (payload.exp !== undefined) {
    if (!isNumber(payload.exp)) throw new TokenRefused('claim', 'exp');
    if (payload.exp <= now - tolerance) throw new TokenRefused('expired', 'exp');
  }
}

/** The token's payload when its signature, its algorithm and its claims hold; else TokenRefused. */
export async function verifyJwt(token: string, options: VerifyOptions): Promise<JwtPayload> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenRefused('malformed');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodeJson(encodedHeader);
  const algorithm = header.alg;
  if (typeof algorithm !== 'string' || algorithm === '') throw new TokenRefused('malformed');
  if (!(options.algorithms as readonly string[]).includes(algorithm)) throw new TokenRefused('algorithm');
  // No extension is understood here, so none may be critical (RFC 7515 §4.1.11); an unencoded payload
  // (RFC 7797) is not a JWT.
  if (header.crit !== undefined || (header.b64 !== undefined && header.b64 !== true)) throw new TokenRefused('malformed');
  if (!BASE64URL.test(encodedSignature)) throw new TokenRefused('signature');
  const keys = await options.keys(header as JwtHeader);
  if (keys.length === 0) throw new TokenRefused('unknown_key');
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (!keys.some((key) => signatureValid(algorithm as JwtAlgorithm, key, input, signature))) throw new TokenRefused('signature');
  const payload = decodeJson(encodedPayload) as JwtPayload;
  checkClaims(payload, options);
  return payload;
}

const KEY_TYPES: Record<Exclude<JwtAlgorithm, 'HS256'>, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
};

const imported = new WeakMap<Jwk, KeyObject | null>();

/** A published key as a KeyObject, or null when node:crypto cannot read it (it then matches nothing). */
function importJwk(jwk: Jwk): KeyObject | null {
  let key = imported.get(jwk);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      if (key.type !== 'public') key = null;
    } catch {
      key = null;
    }
    imported.set(jwk, key);
  }
  return key;
}

/** `key_ops` as RFC 7517 §4.3 has it (distinct operation names) and allowing `verify`. */
const verifyOnly = (ops: unknown) =>
  Array.isArray(ops) && ops.every((op, index) => typeof op === 'string' && ops.indexOf(op) === index) && ops.includes('verify');

/**
 * The keys of a set that a header may name: its `kid` when it has one, of the algorithm's key type and
 * curve, and not published for another algorithm or use (as jose's local key set chooses them).
 */
export function keysOfSet(set: JwkSet, header: JwtHeader): KeyObject[] {
  const wanted = KEY_TYPES[header.alg as keyof typeof KEY_TYPES];
  if (!wanted) return [];
  return set.keys
    .filter(
      (jwk) =>
        jwk.kty === wanted.kty &&
        (wanted.crv === undefined || jwk.crv === wanted.crv) &&
        (header.kid === undefined || (typeof header.kid === 'string' && jwk.kid === header.kid)) &&
        (jwk.alg === undefined || jwk.alg === header.alg) &&
        (jwk.use === undefined || jwk.use === 'sig') &&
        (jwk.ext === undefined || typeof jwk.ext === 'boolean') &&
        (jwk.key_ops === undefined || verifyOnly(jwk.key_ops)),
    )
    .map(importJwk)
    .filter((key): key is KeyObject => key !== null);
}

/** A JSON value that has the form of a key set: an object whose `keys` are objects with a `kty`. */
export function isJwkSet(value: unknown): value is JwkSet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null && typeof (key as Jwk).kty === 'string');
}
