import { createHmac, createSecretKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, errors, type JWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { type JwkSet, type JwtAlgorithm, type JwtHeader, keysOfSet, TokenRefused, verifyJwt } from '../../lib/http/jwt.ts';

/**
 * Bearer tokens are checked by lib/http/jwt.ts, on node:crypto, in place of jose's jwtVerify: here both
 * judge the same tokens, and must give the same answer (accepted with the same claims, or refused for the
 * same reason), except where ours is the stricter one, which the last cases name.
 */
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'onboarding-api';
const SECRET = 'a-local-development-secret-of-32-characters';
const NOW = 1_800_000_000;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaShort = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecOther = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwkOf = (key: KeyObject, extra: Record<string, unknown>) => ({ ...(key.export({ format: 'jwk' }) as JWK), ...extra });
const JWKS: JwkSet = {
  keys: [
    jwkOf(rsa.publicKey, { kid: 'rsa-1', alg: 'RS256', use: 'sig' }),
    jwkOf(ec.publicKey, { kid: 'ec-1', alg: 'ES256', use: 'sig' }),
    jwkOf(rsaShort.publicKey, { kid: 'rsa-short', alg: 'RS256' }),
    jwkOf(ecOther.publicKey, { kid: 'ec-enc', use: 'enc' }),
    jwkOf(ecOther.publicKey, { kid: 'ec-ops', key_ops: ['encrypt'] }),
  ] as JwkSet['keys'],
};

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const goodClaims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'integrator', tenant_id: 't', iat: NOW, exp: NOW + 300 });

/** A compact JWS of `header` and `payload` (objects, or raw text), signed as `alg` says with `key`. */
function token(header: Record<string, unknown>, payload: unknown, key: KeyObject | string, signAs = header.alg): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const data = Buffer.from(input);
  let signature: Buffer;
  if (signAs === 'HS256') signature = createHmac('sha256', key).update(data).digest();
  else if (signAs === 'RS256') signature = sign('sha256', data, key as KeyObject);
  else if (signAs === 'ES256') signature = sign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = Buffer.alloc(0);
  return `${input}.${signature.toString('base64url')}`;
}

type Outcome = { accepted: Record<string, unknown> } | { refused: string };

const common = { issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'], clockToleranceSeconds: 5, now: () => NOW * 1000 };
const secretKey = createSecretKey(Buffer.from(SECRET));

async function ours(jwt: string, source: 'secret' | 'jwks'): Promise<Outcome> {
  const keys =
    source === 'secret'
      ? { algorithms: ['HS256'] as JwtAlgorithm[], keys: () => [secretKey] }
      : { algorithms: ['RS256', 'ES256'] as JwtAlgorithm[], keys: (header: JwtHeader) => keysOfSet(JWKS, header) };
  try {
    return { accepted: await verifyJwt(jwt, { ...common, ...keys }) };
  } catch (error) {
    if (!(error instanceof TokenRefused)) throw error;
    return { refused: error.reason === 'claim' || error.reason === 'expired' ? `${error.reason}:${error.claim}` : error.reason };
  }
}

async function joses(jwt: string, source: 'secret' | 'jwks'): Promise<Outcome> {
  const options = { issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'], clockTolerance: 5, currentDate: new Date(NOW * 1000) };
  try {
    const { payload } =
      source === 'secret'
        ? await jwtVerify(jwt, new TextEncoder().encode(SECRET), { ...options, algorithms: ['HS256'] })
        : await jwtVerify(jwt, createLocalJWKSet(JWKS as never), { ...options, algorithms: ['RS256', 'ES256'] });
    return { accepted: payload as Record<string, unknown> };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { refused: `expired:${error.claim}` };
    if (error instanceof errors.JWTClaimValidationFailed) return { refused: `claim:${error.claim}` };
    if (error instanceof errors.JOSEAlgNotAllowed) return { refused: 'algorithm' };
    if (error instanceof errors.JWSSignatureVerificationFailed) return { refused: 'signature' };
    if (error instanceof errors.JWKSNoMatchingKey) return { refused: 'unknown_key' };
    return { refused: 'malformed' };
  }
}

const HS = { alg: 'HS256', typ: 'JWT' };
const RS = { alg: 'RS256', kid: 'rsa-1' };
const ES = { alg: 'ES256', kid: 'ec-1' };

const SAME_ANSWER: Array<[string, () => string, 'secret' | 'jwks']> = [
  ['a good HS256 token', () => token(HS, goodClaims(), SECRET), 'secret'],
  ['a good RS256 token', () => token(RS, goodClaims(), rsa.privateKey), 'jwks'],
  ['a good ES256 token', () => token(ES, goodClaims(), ec.privateKey), 'jwks'],
  ['an ES256 token without kid (one key fits)', () => token({ alg: 'ES256' }, goodClaims(), ec.privateKey), 'jwks'],
  ['an HS256 token signed with another secret', () => token(HS, goodClaims(), 'another-secret-of-at-least-32-characters!'), 'secret'],
  ['alg none', () => token({ alg: 'none' }, goodClaims(), SECRET, 'none'), 'secret'],
  ['alg none against the JWKS', () => token({ alg: 'none', kid: 'rsa-1' }, goodClaims(), SECRET, 'none'), 'jwks'],
  [
    'HS256 against the JWKS, keyed with its public key (confusion)',
    () => token({ alg: 'HS256', kid: 'rsa-1' }, goodClaims(), JSON.stringify(JWKS.keys[0])),
    'jwks',
  ],
  ['RS256 against the shared secret', () => token(RS, goodClaims(), rsa.privateKey), 'secret'],
  ['an unknown kid', () => token({ alg: 'RS256', kid: 'rsa-9' }, goodClaims(), rsa.privateKey), 'jwks'],
  ['a kid that is a number', () => token({ alg: 'RS256', kid: 7 }, goodClaims(), rsa.privateKey), 'jwks'],
  ['RS256 naming an EC key', () => token({ alg: 'RS256', kid: 'ec-1' }, goodClaims(), rsa.privateKey), 'jwks'],
  ['ES256 signed by another EC key', () => token(ES, goodClaims(), ecOther.privateKey), 'jwks'],
  ['a key published for encryption', () => token({ alg: 'ES256', kid: 'ec-enc' }, goodClaims(), ecOther.privateKey), 'jwks'],
  ['a key whose operations exclude verify', () => token({ alg: 'ES256', kid: 'ec-ops' }, goodClaims(), ecOther.privateKey), 'jwks'],
  [
    'an ES256 signature in DER',
    () => token(ES, goodClaims(), ec.privateKey).replace(/[^.]+$/, sign('sha256', Buffer.from('x'), ec.privateKey).toString('base64url')),
    'jwks',
  ],
  [
    'a payload edited after signing',
    () => token(HS, goodClaims(), SECRET).replace(/\.[^.]+\./, `.${b64({ ...goodClaims(), sub: 'someone-else' })}.`),
    'secret',
  ],
  ['a signature cut short', () => token(HS, goodClaims(), SECRET).slice(0, -4), 'secret'],
  ['two segments', () => token(HS, goodClaims(), SECRET).split('.').slice(0, 2).join('.'), 'secret'],
  ['four segments', () => `${token(HS, goodClaims(), SECRET)}.x`, 'secret'],
  ['a header that is not JSON', () => `${b64('{alg')}.${b64(goodClaims())}.c2ln`, 'secret'],
  ['a header that is an array', () => token(['HS256'] as never, goodClaims(), SECRET, 'HS256'), 'secret'],
  ['a header without alg', () => token({ typ: 'JWT' }, goodClaims(), SECRET, 'HS256'), 'secret'],
  ['a critical extension', () => token({ ...HS, crit: ['exp'], exp: 1 }, goodClaims(), SECRET), 'secret'],
  ['a payload that is an array', () => token(HS, [goodClaims()], SECRET), 'secret'],
  ['a payload that is not JSON', () => token(HS, 'not json', SECRET), 'secret'],
  ['a payload that is not UTF-8', () => token(HS, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1'), SECRET), 'secret'],
  ['an expired token', () => token(HS, { ...goodClaims(), exp: NOW - 60 }, SECRET), 'secret'],
  ['a token expired within the tolerance', () => token(HS, { ...goodClaims(), exp: NOW - 3 }, SECRET), 'secret'],
  ['a token expiring exactly at the tolerance', () => token(HS, { ...goodClaims(), exp: NOW - 5 }, SECRET), 'secret'],
  ['a token not yet valid', () => token(HS, { ...goodClaims(), nbf: NOW + 60 }, SECRET), 'secret'],
  ['a token valid within the tolerance', () => token(HS, { ...goodClaims(), nbf: NOW + 5 }, SECRET), 'secret'],
  ['an iat that is text', () => token(HS, { ...goodClaims(), iat: 'now' }, SECRET), 'secret'],
  ['an exp that is text', () => token(HS, { ...goodClaims(), exp: `${NOW + 60}` }, SECRET), 'secret'],
  ['an exp that is null', () => token(HS, { ...goodClaims(), exp: null }, SECRET), 'secret'],
  ['no exp', () => token(HS, { ...goodClaims(), exp: undefined }, SECRET), 'secret'],
  ['no sub', () => token(HS, { ...goodClaims(), sub: undefined }, SECRET), 'secret'],
  ['no iss', () => token(HS, { ...goodClaims(), iss: undefined }, SECRET), 'secret'],
  ['another issuer', () => token(HS, { ...goodClaims(), iss: 'https://evil.test/' }, SECRET), 'secret'],
  ['another audience', () => token(HS, { ...goodClaims(), aud: 'another-api' }, SECRET), 'secret'],
  ['audiences that include ours', () => token(HS, { ...goodClaims(), aud: ['another-api', AUDIENCE] }, SECRET), 'secret'],
  ['audiences that do not', () => token(HS, { ...goodClaims(), aud: ['another-api'] }, SECRET), 'secret'],
  ['an audience that is a number', () => token(HS, { ...goodClaims(), aud: 7 }, SECRET), 'secret'],
  ['everything wrong at once', () => token(HS, { aud: 'x', exp: NOW - 100, nbf: NOW + 100 }, SECRET), 'secret'],
];

describe('bearer tokens: node:crypto and jose give the same answer', () => {
  it.each(SAME_ANSWER)('given %s', async (_case, make, source) => {
    const jwt = make();
    expect(await ours(jwt, source)).toEqual(await joses(jwt, source));
  });

  it('given any mix of registered claims, present, absent or of the wrong type, then the same answer', async () => {
    const time = fc.constantFrom(undefined, null, 'soon', NOW - 100, NOW - 6, NOW - 5, NOW - 4, NOW, NOW + 4, NOW + 5, NOW + 6, NOW + 100);
    const claims = fc.record({
      iss: fc.constantFrom(undefined, ISSUER, 'https://evil.test/', 5),
      aud: fc.constantFrom(undefined, AUDIENCE, [AUDIENCE, 'x'], ['x'], [], 7, null),
      sub: fc.constantFrom(undefined, 'integrator', ''),
      exp: time,
      nbf: time,
      iat: time,
    });
    await fc.assert(
      fc.asyncProperty(claims, async (payload) => {
        const jwt = token(HS, payload, SECRET);
        expect(await ours(jwt, 'secret')).toEqual(await joses(jwt, 'secret'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('bearer tokens: where ours is the stricter, or names the refusal otherwise', () => {
  it.each([
    ['an RSA key of 1024 bits (jose throws a TypeError)', () => token({ alg: 'RS256', kid: 'rsa-short' }, goodClaims(), rsaShort.privateKey), 'jwks'],
    ['padded base64url segments (RFC 7515 has none)', () => token(HS, goodClaims(), SECRET).replace(/^([^.]+)/, '$1==')],
    ['b64 named critical (RFC 7797 is not for JWTs)', () => token({ ...HS, crit: ['b64'], b64: true }, goodClaims(), SECRET)],
    ['b64 false without crit', () => token({ ...HS, b64: false }, goodClaims(), SECRET)],
    ['an exp past any date (1e400 is Infinity to JSON)', () => token(HS, JSON.stringify(goodClaims()).replace(/"exp":\d+/, '"exp":1e400'), SECRET)],
  ] as Array<[string, () => string, ('secret' | 'jwks')?]>)('given %s, then it is refused', async (_case, make, source = 'secret') => {
    expect(await ours(make(), source)).toHaveProperty('refused');
  });
});
