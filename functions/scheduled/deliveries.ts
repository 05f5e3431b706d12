import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildDeliveriesApp } from '../../lib/app/app.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';

const { sweep, safetyMarginMs, logger, metrics } = buildDeliveriesApp();

/** Every minute (EventBridge schedule): the deliveries of outbound events that fell due. */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext(logger))
  .handler(async (_event: unknown, context: Context) => {
    const report = await sweep({ remainingMs: () => context.getRemainingTimeInMillis(), safetyMarginMs });
    metrics.count('deliveries_attempted', {}, { ...report }, report.attempted);
    return report;
  });
