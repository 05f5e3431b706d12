import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildCleanupApp } from '../../lib/app/app.ts';
import { cleanupInput } from '../../lib/app/jobs.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';
import { secrets as freshSecrets } from '../../lib/http/middleware/secrets.ts';
import { validate } from '../../lib/lifecycle/validation.ts';

const { expireStaleRequests, logger, metrics, secrets } = buildCleanupApp();

/**
 * The hourly cleanup (EventBridge schedule), or a manual run with `{ "olderThanMinutes": n }`.
 * A failed invocation is retried by Lambda and then lands in the dead-letter queue (serverless.yml).
 */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext(logger))
  .use(freshSecrets(secrets))
  .handler(async (event: unknown, context: Context) => {
    const input = validate(cleanupInput, event ?? {}, 'event', 'olderThanMinutes must be a whole number of minutes (0 or more).');
    const report = await expireStaleRequests(input, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      correlationId: context.awsRequestId,
    });
    metrics.count('requests_expired', {}, { ...report }, report.expired);
    return report;
  });
