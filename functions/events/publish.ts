import middy from '@middy/core';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { buildPublisherApp } from '../../lib/app/app.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';

const { publish, safetyMarginMs, logger, metrics } = buildPublisherApp();

/** The longest a batch waits in this invocation for a short retry; longer ones are the sweep's. */
const MAX_WAIT_MS = 30_000;

/**
 * The table's stream: each committed transition of the batch becomes an event, on the bus and at the
 * tenant's endpoints. A failure fails the batch: Lambda reads it again (halving it), and what was done
 * already is not done twice.
 */
export const handler = middy<DynamoDBStreamEvent, unknown>()
  .use(lambdaContext(logger))
  .handler(async (event: DynamoDBStreamEvent, context: Context) => {
    const waitMs = Math.max(0, Math.min(MAX_WAIT_MS, context.getRemainingTimeInMillis() - safetyMarginMs));
    const report = await publish(event.Records ?? [], waitMs);
    metrics.count('events_published', {}, { ...report }, report.events);
    return report;
  });
