import type { KeyObject } from 'node:crypto';

/**
 * Compact JWS (RFC 7515) with ES256 only: what receipts and checkpoints are. Signing takes any `Signer`
 * (a KMS key deployed, a key of the stack locally); verifying takes the public keys as a JWKS and nothing
 * else, so a bundle is checked with no network. The algorithm is pinned: a header that names another one
 * is refused, whatever its signature.
 */

/** A P-256 public key as `GET /.well-known/jwks.json` serves it. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface Jwks {
  keys: PublicJwk[];
}

/** The key that signs now, and the public keys that verify (the current one first, then previous ones). */
export interface Signer {
  /** The current key's id (its RFC 7638 thumbprint). */
  kid(): Promise<string>;
  /** An ECDSA P-256 SHA-256 signature of `data`, as JWS writes it: r and s, 32 bytes each. */
  sign(data: Buffer): Promise<Buffer>;
  jwks(): Promise<Jwks>;
}

/** What a proof is for, in its header's `typ`: a checkpoint is never taken for a receipt, or the other way round. */
export const PROOF_TYPES = { receipt: 'consent-receipt+jws', checkpoint: 'trail-checkpoint+jws' } as const;
export type ProofType = (typeof PROOF_TYPES)[keyof typeof PROOF_TYPES];

export interface JwsHeader {
  alg: 'ES256';
  kid: string;
  typ: ProofType;
}

/** node:crypto, loaded on first use: a function without the AWS SDK (the key set's) would otherwise load it at every cold start. */
export const crypto = () => process.getBuiltinModule('node:crypto');

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** RFC 7638: the SHA-256 of the key's required members in lexicographic order; the key's id. */
export function thumbprint(jwk: Pick<PublicJwk, 'crv' | 'x' | 'y'>): string {
  return crypto()
    .createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y }))
    .digest('base64url');
}

export async function signCompact(signer: Signer, typ: ProofType, payload: object): Promise<string> {
  const header: JwsHeader = { alg: 'ES256', kid: await signer.kid(), typ };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${base64url(await signer.sign(Buffer.from(input)))}`;
}

export class ProofError extends Error {
  override name = 'ProofError';
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function json(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new ProofError(`its ${what} is not a JSON object`);
}

/**
 * The payload of a compact JWS of `typ`, if one of `jwks`'s keys signed it; a ProofError saying why not
 * otherwise (malformed, another type or algorithm, an unknown key, a signature that does not verify).
 */
export function verifyCompact<T>(jws: string, typ: ProofType, jwks: Jwks): { header: JwsHeader; payload: T } {
  if (typeof jws !== 'string' || !COMPACT.test(jws)) throw new ProofError('it is not a compact JWS');
  const [headerPart, payloadPart, signaturePart] = jws.split('.') as [string, string, string];
  const header = json(headerPart, 'header');
  if (header.alg !== 'ES256') throw new ProofError(`its algorithm is ${String(header.alg)}, not ES256`);
  if (header.typ !== typ) throw new ProofError(`it is a ${String(header.typ)}, not a ${typ}`);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) throw new ProofError(`it names key ${String(header.kid)}, which the key set does not hold`);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || thumbprint(jwk) !== jwk.kid) throw new ProofError(`key ${jwk.kid} is not the P-256 key its id names`);
  const signature = Buffer.from(signaturePart, 'base64url');
  let key: KeyObject;
  try {
    key = crypto().createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  } catch {
    throw new ProofError(`key ${jwk.kid} is not a point of P-256`);
  }
  const valid =
    signature.length === 64 && crypto().verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!valid) throw new ProofError(`its signature does not verify under key ${jwk.kid}`);
  return { header: header as unknown as JwsHeader, payload: json(payloadPart, 'payload') as T };
}
