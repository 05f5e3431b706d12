import { parseJsonBody, readRawBody } from '../body.ts';
import { type HttpMiddleware, stateOf } from './request-state.ts';

/**
 * Reads the body within the 64 KiB limit (413): as bytes on routes that verify them (signed webhooks), else
 * as JSON (415 for another media type, 400 for bytes that are not UTF-8 JSON). Validation comes next.
 */
export const requestBody = (options: { raw?: boolean }): HttpMiddleware => ({
  before: (request) => {
    const { event } = request;
    const state = stateOf(event);
    if (options.raw) {
      state.rawBody = readRawBody(event);
      return;
    }
    state.body = parseJsonBody({ body: event.body, isBase64Encoded: event.isBase64Encoded, contentType: event.headers?.['content-type'] });
  },
});
