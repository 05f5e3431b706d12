import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildDeliveriesApp } from '../../lib/app/app.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';

/** Exported for tools that instrument its clients (the fault tests, the benchmark). */
export const app = buildDeliveriesApp();
const { sweep, config, logger, metrics } = app;

/** Every minute (EventBridge schedule): the deliveries of outbound events that fell due (contract §11). */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext(logger))
  .handler(async (_event: unknown, context: Context) => {
    const report = await sweep({ remainingMs: () => context.getRemainingTimeInMillis(), safetyMarginMs: config.events.safetyMarginMs });
    metrics.count('deliveries_attempted', {}, { ...report }, report.attempted);
    return report;
  });
