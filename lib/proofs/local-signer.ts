import type { KeyObject } from 'node:crypto';
import type { SigningJwk } from '../config/settings.ts';
import { crypto, type Jwks, type PublicJwk, type Signer, thumbprint } from './jws.ts';

/**
 * The signing key of a stack that is not in AWS: `npm start` makes one per stack (scripts/start.ts) and
 * hands it to every function as SIGNING_KEYS, a JSON array of private JWKs, newest first (the first signs,
 * all verify: rotation). Deployed, the key is in KMS (./kms-signer.ts) and never in the environment.
 */
export type PrivateJwk = SigningJwk;

/** A new P-256 key, as SIGNING_KEYS holds it. */
export function generateSigningKey(): PrivateJwk {
  const { privateKey } = crypto().generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'jwk' }) as PrivateJwk;
}

/**
 * The key of runs with no SIGNING_KEYS (tests, a function started by hand): derived from a fixed seed, so
 * that every function of such a run signs with the same key. Never in production (lib/config/settings.ts).
 */
export function devSigningKey(seed: string): PrivateJwk {
  const ecdh = crypto().createECDH('prime256v1');
  ecdh.setPrivateKey(crypto().createHash('sha256').update(`onboarding dev signing key\n${seed}`).digest());
  const point = ecdh.getPublicKey();
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
    // RFC 7518 wants d as 32 bytes; ECDH drops leading zeros.
    d: Buffer.from(ecdh.getPrivateKey().toString('hex').padStart(64, '0'), 'hex').toString('base64url'),
  };
}

export const publicJwkOf = (jwk: Pick<PrivateJwk, 'x' | 'y'>): PublicJwk => ({
  kty: 'EC',
  crv: 'P-256',
  x: jwk.x,
  y: jwk.y,
  kid: thumbprint({ crv: 'P-256', x: jwk.x, y: jwk.y }),
  alg: 'ES256',
  use: 'sig',
});

/** `keys` newest first, or how to get them: made on first use, so that a cold start does no key arithmetic. */
export function localSigner(keys: readonly PrivateJwk[] | (() => readonly PrivateJwk[])): Signer {
  let made: { current: KeyObject; jwks: Jwks } | undefined;
  const make = () => {
    if (!made) {
      const all = typeof keys === 'function' ? keys() : keys;
      if (!all[0]) throw new Error('a signer needs at least one key');
      made = { current: crypto().createPrivateKey({ key: { ...all[0] }, format: 'jwk' }), jwks: { keys: all.map(publicJwkOf) } };
    }
    return made;
  };
  return {
    kid: async () => make().jwks.keys[0]!.kid,
    sign: async (data) => crypto().sign('sha256', data, { key: make().current, dsaEncoding: 'ieee-p1363' }),
    jwks: async () => ({ keys: make().jwks.keys.map((key) => ({ ...key })) }),
  };
}
