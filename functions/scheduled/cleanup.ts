import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { expireStaleRequests } from '../../lib/cleanup-runtime.ts';
import { platformCredentials } from '../../lib/proxy-runtime.ts';
import { logger } from '../../lib/context.ts';
import { count } from '../../lib/metrics.ts';

/**
 * The hourly cleanup (EventBridge schedule, contract §7), or a manual run with `{ "olderThanMinutes": n }`.
 * A failed invocation is retried by Lambda and then lands in the dead-letter queue (serverless.yml).
 */
const stack = middy().use(injectLambdaContext(logger, { resetKeys: true }));
if (platformCredentials) stack.use(platformCredentials);

export const handler = stack.handler(async (event: unknown, context) => {
  const report = await expireStaleRequests(event, context);
  count('requests_expired', {}, { ...report }, report.expired);
  return report;
});
