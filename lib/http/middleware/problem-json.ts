import { RefusedError } from '../../lifecycle/errors.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { describeError, problemResponse } from '../problem.ts';
import { findState, type HttpMiddleware, invocationId } from './request-state.ts';

/**
 * Registered last, so it handles an error first: every failure leaves as RFC 9457 problem+json with the
 * correlation id. A refusal is logged at info; anything else at error, with its cause, which the
 * response never shows.
 */
export const problemJson = (logger: Pick<Logger, 'info' | 'error'>): HttpMiddleware => ({
  onError: (request) => {
    const correlationId = findState(request.event)?.correlationId ?? invocationId(request.context);
    const { error } = request;
    if (error instanceof RefusedError) {
      logger.info('request refused', { status: describeError(error)?.status, code: error.code });
    } else {
      logger.error('request failed', { error: error as Error });
    }
    request.response = problemResponse(error, correlationId);
    request.response.headers = { ...request.response.headers, 'X-Correlation-Id': correlationId };
  },
});
