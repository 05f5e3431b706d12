import type { Logger } from '../../telemetry/logger.ts';
import { type HttpMiddleware, invocationId, startState, stateOf } from './request-state.ts';

const CORRELATION_ID = /^[\w.:-]{1,128}$/;

/**
 * Takes the caller's X-Correlation-Id when it is well-formed, else the invocation's request id (unique in
 * AWS and locally alike), puts it on every log line of the call, and echoes it back.
 */
export const correlation = (logger: Pick<Logger, 'setCorrelationId'>): HttpMiddleware => ({
  before: (request) => {
    const given = request.event.headers?.['x-correlation-id'];
    const correlationId = given && CORRELATION_ID.test(given) ? given : invocationId(request.context);
    startState(request.event, correlationId);
    logger.setCorrelationId(correlationId);
  },
  after: (request) => {
    request.response = { ...request.response, headers: { ...request.response?.headers, 'X-Correlation-Id': stateOf(request.event).correlationId } };
  },
});
