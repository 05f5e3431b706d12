import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { joseSignature } from '../../lib/proofs/kms-signer.ts';

/*
 * KMS answers an ECDSA signature DER-encoded; a JWS carries r and s as 32 bytes each. The conversion is
 * checked against node:crypto's own DER signatures, many of them, so that the short r or s (a leading zero
 * byte dropped) and the padded one (a zero byte added to keep it positive) both occur.
 */
describe('a KMS signature as a JWS carries it', () => {
  it('given 500 DER signatures of P-256 keys, then each converted one verifies as IEEE P1363, 64 bytes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const lengths = new Set<number>();
    for (let index = 0; index < 500; index++) {
      const data = Buffer.from(`receipt ${index}`);
      const der = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
      lengths.add(der.length);
      const jose = joseSignature(der);
      expect(jose).toHaveLength(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
    }
    // Shorter and longer encodings both came by: the padding and the leading zeros were exercised.
    expect(lengths.size).toBeGreaterThan(2);
  });
});
