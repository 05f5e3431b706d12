import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Logger } from '../../telemetry/logger.ts';

/**
 * The Lambda context on every log line of the invocation (function, request id, cold start), and nothing
 * left over from the previous invocation of the same environment.
 */
export const lambdaContext = <Event = unknown, Result = unknown>(logger: Pick<Logger, 'startInvocation'>): MiddlewareObj<Event, Result, Error, Context> => ({
  before: (request) => {
    logger.startInvocation(request.context);
  },
});
