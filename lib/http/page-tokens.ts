import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../lifecycle/errors.ts';
import type { Cursor, PageTokens } from '../lifecycle/store.ts';

/**
 * Continuation tokens are `<payload>.<mac>`: the store's cursor, base64url, signed with HMAC-SHA256 over
 * the list it belongs to (tenant, type, filters). An altered token, or one issued for another tenant or
 * another list, fails the check and is a 400.
 */
export function createPageTokens(secret: string | (() => string)): PageTokens {
  const key = typeof secret === 'function' ? secret : () => secret;
  const mac = (scope: string, payload: string) =>
    createHmac('sha256', key()).update(`${scope}\n${payload}`).digest();

  const invalid = () =>
    new ValidationError(
      'continuationToken is not valid for this list; start again without it.',
      [{ path: '/continuationToken', message: 'is not a token this list issued' }],
      'invalid_continuation_token',
    );

  return {
    encode(cursor: Cursor, scope: string): string {
      const payload = Buffer.from(JSON.stringify(cursor)).toString('base64url');
      return `${payload}.${mac(scope, payload).toString('base64url')}`;
    },
    decode(token: string, scope: string): Cursor {
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) throw invalid();
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(scope, payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      try {
        const cursor: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        if (cursor === null || typeof cursor !== 'object' || Array.isArray(cursor)) throw invalid();
        return cursor as Cursor;
      } catch {
        throw invalid();
      }
    },
  };
}
