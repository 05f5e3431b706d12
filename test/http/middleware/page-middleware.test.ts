import { describe, expect, it } from 'vitest';
import { formBody } from '../../../lib/http/middleware/form-body.ts';
import { htmlErrors } from '../../../lib/http/middleware/html-errors.ts';
import { pageInput } from '../../../lib/http/middleware/page-input.ts';
import { stateOf } from '../../../lib/http/middleware/request-state.ts';
import { describeError } from '../../../lib/http/problem.ts';
import { ConflictError, ServiceError } from '../../../lib/lifecycle/errors.ts';
import { consentForm, linkParams } from '../../../lib/pages/forms.ts';
import { createLogger } from '../../../lib/telemetry/logger.ts';
import { runAlone } from './support.ts';

/** The end user's pages' own middlewares (lib/http/html-page.ts), each alone. */
const statusOf = (error: unknown) => (error instanceof ServiceError ? { status: describeError(error)?.status, code: error.code } : error);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const TOKEN = 'A'.repeat(48);

describe('the form-body middleware', () => {
  it('given a form, then its fields are in the state', async () => {
    const { event } = await runAlone(formBody(), { method: 'POST', headers: FORM, rawBody: 'decision=approve&csrf=x%2By' });
    expect(stateOf(event).body).toEqual({ decision: 'approve', csrf: 'x+y' });
  });

  it('given a field sent twice, a form over 16 KiB, or JSON, then 400, 413 and 415 before the handler', async () => {
    const twice = await runAlone(formBody(), { method: 'POST', headers: FORM, rawBody: 'a=1&a=2' });
    const large = await runAlone(formBody(), { method: 'POST', headers: FORM, rawBody: `a=${'x'.repeat(16 * 1024)}` });
    const json = await runAlone(formBody(), { method: 'POST', headers: { 'content-type': 'application/json' }, rawBody: '{}' });
    expect([twice, large, json].map(({ error }) => statusOf(error))).toEqual([
      { status: 400, code: 'validation_failed' },
      { status: 413, code: 'payload_too_large' },
      { status: 415, code: 'unsupported_media_type' },
    ]);
    expect([twice, large, json].some(({ reached }) => reached)).toBe(false);
  });
});

describe('the page-input middleware', () => {
  const middleware = pageInput({ params: linkParams, body: consentForm });

  /** The form as the form-body middleware leaves it, then the page-input middleware. */
  const afterForm = (fields: Record<string, string>) => ({
    before: (request: Parameters<NonNullable<typeof middleware.before>>[0]) => {
      stateOf(request.event).body = fields;
      return middleware.before!(request);
    },
  });

  it('given a well-formed link and form, then both are in the state', async () => {
    const { event, reached } = await runAlone(afterForm({ decision: 'decline', csrf: 'c' }), { pathParameters: { token: TOKEN } });
    expect(reached).toBe(true);
    expect(stateOf(event)).toMatchObject({ params: { token: TOKEN }, body: { decision: 'decline', csrf: 'c' } });
  });

  it('given a field the form does not have, then a 400 naming it', async () => {
    const { error, reached } = await runAlone(afterForm({ decision: 'approve', csrf: 'c', returnUrl: 'https://evil.example' }), {
      pathParameters: { token: TOKEN },
    });
    expect(reached).toBe(false);
    expect(statusOf(error)).toEqual({ status: 400, code: 'validation_failed' });
  });

  it('given a malformed link, then a 404 as for an unknown one, not a 400', async () => {
    const { error } = await runAlone(middleware, { pathParameters: { token: 'short' } });
    expect(statusOf(error)).toEqual({ status: 404, code: 'not_found' });
  });
});

describe('the html-errors middleware', () => {
  const logger = createLogger('SILENT');

  it("given a refusal, then an HTML page with its status, the pages' headers and words a person understands", async () => {
    const { response } = await runAlone(htmlErrors(logger), {}, async () => {
      throw new ConflictError('internal detail');
    });
    expect(response!.statusCode).toBe(409);
    expect(response!.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Correlation-Id': 'corr-test',
    });
    expect(response!.body).toContain('Already done');
    expect(response!.body).not.toContain('internal detail');
  });

  it('given a bug, then a 500 page that says nothing of it', async () => {
    const { response } = await runAlone(htmlErrors(logger), {}, async () => {
      throw new TypeError('secret stack detail');
    });
    expect(response!.statusCode).toBe(500);
    expect(response!.body).toContain('Something went wrong');
    expect(response!.body).not.toMatch(/TypeError|secret stack detail/);
  });
});
