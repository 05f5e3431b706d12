import { RefusedError } from '../../lifecycle/errors.ts';
import { errorPage, htmlResponse } from '../../pages/html.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { describeError } from '../problem.ts';
import { findState, type HttpMiddleware } from './request-state.ts';

/**
 * Registered last on the pages, as problem+json is on the API: every failure leaves as an HTML page with
 * the right status, in the person's language (lib/pages/texts: what they can do about it, never the cause),
 * and the correlation id in a header. Anything not a refusal is a 500 that says nothing; the log has the cause.
 */
export const htmlErrors = (logger: Pick<Logger, 'info' | 'error'>): HttpMiddleware => ({
  onError: (request) => {
    const state = findState(request.event);
    const correlationId = state?.correlationId ?? request.context.awsRequestId;
    const language = state?.language ?? 'en';
    const { error } = request;
    const described = describeError(error);
    const status = described?.status ?? 500;
    if (error instanceof RefusedError) logger.info('page refused', { status, code: error.code });
    else logger.error('page failed', { error: error as Error });
    const response = htmlResponse(errorPage(status, language), language);
    // The error's own headers too (`Allow` of a 405, `Retry-After` of a 503), as problem+json gives them.
    request.response = { ...response, headers: { ...described?.headers, ...response.headers, 'X-Correlation-Id': correlationId ?? '' } };
  },
});
