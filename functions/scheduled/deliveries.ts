import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildDeliveriesApp } from '../../lib/app/app.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';

const { sweep, safetyMarginMs, logger, metrics } = buildDeliveriesApp();

/** Every minute (EventBridge schedule): the deliveries of outbound events that fell due, handed to their endpoints' workers. */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext(logger))
  .handler(async (_event: unknown, context: Context) => {
    const report = await sweep({ remainingMs: () => context.getRemainingTimeInMillis(), safetyMarginMs });
    metrics.count('deliveries_handed_off', {}, { ...report }, report.handedOff);
    return report;
  });
