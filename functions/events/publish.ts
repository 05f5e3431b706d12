import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { buildPublisherApp } from '../../lib/app/app.ts';
import { lambdaContext } from '../../lib/http/middleware/lambda-context.ts';

const { publish, logger, metrics } = buildPublisherApp();

/**
 * The table's stream: each committed transition of the batch becomes an event, on the bus, recorded for
 * the tenant's endpoints and handed to their workers. A failure fails the batch: Lambda reads it again
 * (halving it), and what was done already is not done twice.
 */
export const handler = middy<DynamoDBStreamEvent, unknown>()
  .use(lambdaContext(logger))
  .handler(async (event: DynamoDBStreamEvent) => {
    const report = await publish(event.Records ?? []);
    metrics.count('events_published', {}, { ...report }, report.events);
    return report;
  });
