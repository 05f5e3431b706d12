import { ValidationError } from '../lifecycle/errors.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as the sender's bytes (API Gateway base64-encodes binary bodies), within the same 64 KiB limit. */
export function readRawBody({ body, isBase64Encoded }: { body?: string | null; isBase64Encoded?: boolean }): Buffer {
  if (!body) return Buffer.alloc(0);
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is ${bytes.byteLength} bytes; the limit is ${MAX_BODY_BYTES}.`);
  }
  return bytes;
}

interface RawBody {
  body?: string | null;
  isBase64Encoded?: boolean;
  contentType?: string;
}

/**
 * Reads a JSON request body the way docs/security.md promises: 413 over 64 KiB (counted in bytes, after
 * API Gateway's base64), 415 for anything but JSON, 400 for bytes that are not UTF-8 or not JSON.
 * Returns undefined when there is no body at all.
 */
export function parseJsonBody({ body, isBase64Encoded, contentType }: RawBody): unknown {
  if (body === undefined || body === null || body === '') return undefined;
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is ${bytes.byteLength} bytes; the limit is ${MAX_BODY_BYTES}.`);
  }
  if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError('Send the body as application/json (UTF-8).');
  }
  let text: string;
  try {
    text = isBase64Encoded ? strictUtf8.decode(bytes) : body;
  } catch {
    throw new ValidationError('The body is not valid UTF-8.', [], 'malformed_json');
  }
  if (!text.isWellFormed()) throw new ValidationError('The body is not valid UTF-8.', [], 'malformed_json');
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not valid JSON.', [], 'malformed_json');
  }
}
