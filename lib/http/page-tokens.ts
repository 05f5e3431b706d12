import { ValidationError } from '../lifecycle/errors.ts';
import type { Cursor, PageTokens } from '../lifecycle/store.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createCipheriv, createDecipheriv, createHash, randomBytes } = process.getBuiltinModule('node:crypto');

/**
 * Continuation tokens are opaque: the store's cursor, encrypted and authenticated with AES-256-GCM, the
 * list it belongs to (tenant, type, filters) as additional data. Nobody can read the table's key layout or
 * a tenant id out of one, and an altered token, or one issued for another tenant or list, fails
 * authentication and is a 400. Base64url of nonce (12 bytes), ciphertext and tag (16 bytes).
 */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function createPageTokens(secret: string | (() => string)): PageTokens {
  const secretOf = typeof secret === 'function' ? secret : () => secret;
  let derived: { from: string; key: Buffer } | undefined;
  /** The encryption key, derived from the secret of the moment (it may rotate while warm). */
  const key = () => {
    const from = secretOf();
    if (derived?.from !== from) derived = { from, key: createHash('sha256').update(`onboarding continuation tokens\n${from}`).digest() };
    return derived.key;
  };

  const invalid = () =>
    new ValidationError(
      'continuationToken is not valid for this list; start again without it.',
      [{ path: '/continuationToken', message: 'is not a token this list issued' }],
      'invalid_continuation_token',
    );

  return {
    encode(cursor: Cursor, scope: string): string {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key(), nonce);
      cipher.setAAD(Buffer.from(scope));
      const sealed = Buffer.concat([cipher.update(JSON.stringify(cursor), 'utf8'), cipher.final()]);
      return Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString('base64url');
    },
    decode(token: string, scope: string): Cursor {
      if (!/^[\w-]+$/.test(token)) throw invalid();
      const bytes = Buffer.from(token, 'base64url');
      if (bytes.length <= NONCE_BYTES + TAG_BYTES) throw invalid();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key(), bytes.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(scope));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
        const cursor: unknown = JSON.parse(plain.toString('utf8'));
        if (cursor === null || typeof cursor !== 'object' || Array.isArray(cursor)) throw invalid();
        return cursor as Cursor;
      } catch {
        throw invalid();
      }
    },
  };
}
