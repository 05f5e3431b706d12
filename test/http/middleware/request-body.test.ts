import { describe, expect, it } from 'vitest';
import { requestBody } from '../../../lib/http/middleware/request-body.ts';
import { stateOf } from '../../../lib/http/middleware/request-state.ts';
import { describeError } from '../../../lib/http/problem.ts';
import { ServiceError } from '../../../lib/lifecycle/errors.ts';
import { runAlone } from './support.ts';

const statusOf = (error: unknown) => (error instanceof ServiceError ? { status: describeError(error)?.status, code: error.code } : error);

describe('the request-body middleware', () => {
  it('given a JSON body, then the parsed value is in the state', async () => {
    const { event } = await runAlone(requestBody({}), { method: 'POST', body: { name: 'Home' } });
    expect(stateOf(event).body).toEqual({ name: 'Home' });
  });

  it('given JSON in base64 (as API Gateway sends binary), then it is decoded first', async () => {
    const { event } = await runAlone(requestBody({}), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      rawBody: Buffer.from('{"a":1}').toString('base64'),
      isBase64Encoded: true,
    });
    expect(stateOf(event).body).toEqual({ a: 1 });
  });

  it('given a body over 64 KiB, then a 413 before anything is parsed', async () => {
    const { error, reached } = await runAlone(requestBody({}), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      rawBody: `"${'x'.repeat(64 * 1024)}"`,
    });
    expect(reached).toBe(false);
    expect(statusOf(error)).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('given a body that is not JSON by its media type, then a 415', async () => {
    const { error } = await runAlone(requestBody({}), { method: 'POST', headers: { 'content-type': 'text/plain' }, rawBody: 'hello' });
    expect(statusOf(error)).toEqual({ status: 415, code: 'unsupported_media_type' });
  });

  it.each([
    ['broken JSON', Buffer.from('{"a":').toString('base64')],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')],
  ])('given %s, then a 400 malformed_json', async (_what, rawBody) => {
    const { error } = await runAlone(requestBody({}), { method: 'POST', headers: { 'content-type': 'application/json' }, rawBody, isBase64Encoded: true });
    expect(statusOf(error)).toEqual({ status: 400, code: 'malformed_json' });
  });

  it('given a route that verifies bytes (signed webhooks), then the exact bytes are kept, unparsed', async () => {
    const { event } = await runAlone(requestBody({ raw: true }), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      rawBody: '{ "spaces" : true }',
    });
    expect(stateOf(event).rawBody?.toString('utf8')).toBe('{ "spaces" : true }');
    expect(stateOf(event).body).toBeUndefined();
  });
});
