import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildDeliveryWorkerApp } from '../../lib/app/app.ts';
import { handOffInput } from '../../lib/app/streams.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';
import { validate } from '../../lib/lifecycle/validation.ts';

const { deliverTo, safetyMarginMs, logger, metrics } = buildDeliveryWorkerApp();

/** The longest this invocation waits for a short retry of its endpoint; longer ones are the sweep's. */
const MAX_WAIT_MS = 30_000;

/**
 * One endpoint's deliveries, handed here by the publisher or the sweep (an asynchronous invocation). A
 * failure is retried by Lambda, then goes to the dead-letter queue; the deliveries stay due either way.
 */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext(logger))
  .handler(async (event: unknown, context: Context) => {
    const handOff = validate(handOffInput, event, 'event', 'A hand-off names an endpoint and its events.');
    const waitMs = Math.max(0, Math.min(MAX_WAIT_MS, context.getRemainingTimeInMillis() - safetyMarginMs));
    const report = await deliverTo(handOff, waitMs);
    metrics.count('deliveries_attempted', {}, { ...report, endpointId: handOff.endpointId }, report.attempted);
    return report;
  });
