import { RefusedError } from '../../lifecycle/errors.ts';
import { errorPage, type HtmlPage, htmlResponse } from '../../pages/html.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { describeError } from '../problem.ts';
import { findState, type HttpMiddleware } from './request-state.ts';

/** What a person is told, per status: plain words, never the cause. */
const TITLES: Record<number, [string, string]> = {
  400: ['This form could not be used', 'Something in what was sent is not right. Go back to the page and try again.'],
  403: ['This form could not be used', 'Please start again from the link you were given.'],
  404: ['This link does not work', 'The link may have been mistyped or changed. Ask whoever sent it for a new one.'],
  409: ['Already done', 'This was decided already; nothing was changed.'],
  410: ['This link has expired', 'Ask whoever sent it for a new one.'],
  413: ['This form is too large', 'Go back to the page and try again.'],
  415: ['This form could not be used', 'Please send the form from the page itself.'],
};

/**
 * Registered last on the pages, as problem+json is on the API: every failure leaves as an HTML page with
 * the right status and the correlation id in a header. A refusal says what a person can do about it
 * (a page may give its own detail); anything else is a 500 that says nothing, and the log has the cause.
 */
export const htmlErrors = (logger: Pick<Logger, 'info' | 'error'>): HttpMiddleware => ({
  onError: (request) => {
    const correlationId = findState(request.event)?.correlationId ?? request.context.awsRequestId;
    const { error } = request;
    const status = describeError(error)?.status ?? 500;
    let page: HtmlPage;
    if (error instanceof RefusedError) {
      logger.info('page refused', { status, code: error.code });
      const [title, message] = TITLES[status] ?? TITLES[400]!;
      page = errorPage(status, title, message);
    } else {
      logger.error('page failed', { error: error as Error });
      page = errorPage(status, 'Something went wrong', 'Nothing was changed. Please try again in a moment.');
    }
    const response = htmlResponse(page);
    request.response = { ...response, headers: { ...response.headers, 'X-Correlation-Id': correlationId ?? '' } };
  },
});
