import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from './context.ts';

/** CloudWatch counters in Embedded Metric Format: a log line, no API call on the hot path. */
const metrics = new Metrics({ namespace: 'Onboarding', serviceName: 'onboarding' });

/** Adds `value` to the counter `name` (with optional dimensions) and logs it, without personal data. */
export function count(name: string, dimensions: Record<string, string> = {}, details: Record<string, unknown> = {}, value = 1): void {
  logger.info(name, { ...dimensions, ...details });
  const single = metrics.singleMetric();
  for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
  single.addMetric(name, MetricUnit.Count, value);
}
