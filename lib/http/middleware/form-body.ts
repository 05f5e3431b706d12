import { ValidationError } from '../../lifecycle/errors.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';
import { type HttpMiddleware, stateOf } from './request-state.ts';

/** A page's form is small: a decision, or a device's few details. */
export const MAX_FORM_BYTES = 16 * 1024;
const FORM_MEDIA_TYPE = /^application\/x-www-form-urlencoded\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A page's form post (application/x-www-form-urlencoded, UTF-8, within 16 KiB) as its fields. A field
 * sent twice is refused rather than one of them picked; validation comes next.
 */
export const formBody = (): HttpMiddleware => ({
  before: (request) => {
    const { event } = request;
    if (!event.body) {
      stateOf(event).body = {};
      return;
    }
    const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (bytes.byteLength > MAX_FORM_BYTES) throw new PayloadTooLargeError(`The form is ${bytes.byteLength} bytes; the limit is ${MAX_FORM_BYTES}.`);
    if (!FORM_MEDIA_TYPE.test(event.headers?.['content-type'] ?? '')) throw new UnsupportedMediaTypeError('Send the form from the page.');
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw new ValidationError('The form is not valid UTF-8.');
    }
    const fields: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(text)) {
      if (Object.hasOwn(fields, name)) throw new ValidationError(`The form sent ${name} twice.`, [{ path: `/${name}`, message: 'must be sent once' }]);
      fields[name] = value;
    }
    stateOf(event).body = fields;
  },
});
