import { UnauthenticatedError, ValidationError } from '../lifecycle/errors.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHmac, timingSafeEqual } = process.getBuiltinModule('node:crypto');

/**
 * Standard Webhooks verification (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{raw body}` with a `whsec_<base64>` secret, sent as one or more
 * space-separated `v1,<base64>` signatures. node:crypto rather than the `standardwebhooks` package:
 * no extra bytes in the bundle, and the spec's published vector is in the tests.
 */
export const TOLERANCE_SECONDS = 300;

export type RejectReason = 'missing_headers' | 'timestamp_out_of_tolerance' | 'invalid_signature';

/** A 401 for the sender: nothing of the message was read beyond its headers. */
export class SignatureRejected extends UnauthenticatedError {
  override readonly name = 'SignatureRejected';
  readonly code = 'invalid_signature';
  readonly reason: RejectReason;

  constructor(reason: RejectReason, detail: string) {
    super(detail);
    this.reason = reason;
  }
}

/** `whsec_<base64>` strings (the prefix is optional) to HMAC keys; a malformed one fails the cold start. */
export function parseSecrets(list: string): Buffer[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const encoded = entry.startsWith('whsec_') ? entry.slice('whsec_'.length) : entry;
      const key = Buffer.from(encoded, 'base64');
      if (key.length < 16 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
        throw new Error('WEBHOOK_SECRETS holds a secret that is not whsec_<base64> of at least 16 bytes');
      }
      return key;
    });
}

export function sign(key: Buffer, id: string, timestamp: number | string, body: Buffer | string): string {
  const mac = createHmac('sha256', key);
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export interface SignedMessage {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
}

/** Returns the message id when one of `keys` signed the message within the tolerance; throws otherwise. */
export function verify(message: SignedMessage, keys: readonly Buffer[], nowSeconds: number): string {
  const { id, timestamp, signature, body } = message;
  if (!id || !timestamp || !signature) {
    throw new SignatureRejected('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required.');
  }
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) {
    throw new SignatureRejected('timestamp_out_of_tolerance', `webhook-timestamp must be within ${TOLERANCE_SECONDS} s of now.`);
  }
  // The signature first: an unsigned message learns nothing more than 401, whatever else is wrong with it.
  const given = signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  const signed = keys.some((key) => {
    const expected = Buffer.from(sign(key, id, timestamp, body).slice(3), 'base64');
    return given.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  });
  if (!signed) throw new SignatureRejected('invalid_signature', 'No webhook-signature matches the body.');
  if (!/^[\x21-\x7e]{1,256}$/.test(id)) {
    throw new ValidationError('webhook-id must be 1 to 256 visible ASCII characters.', [
      { path: '/headers/webhook-id', message: 'must be 1 to 256 visible ASCII characters' },
    ]);
  }
  return id;
}
