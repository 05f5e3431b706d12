import { logger } from './context.ts';

/**
 * Counters in CloudWatch Embedded Metric Format: one JSON line on stdout, which CloudWatch Logs turns
 * into a metric; no API call on the hot path. Written out here rather than with Powertools Metrics:
 * a counter is all we need, and that package cost 12 KB in every bundle that counts something.
 */
const NAMESPACE = 'Onboarding';
const silent = () => process.env.POWERTOOLS_METRICS_DISABLED === 'true';

/** Adds `value` to the counter `name` (with optional dimensions) and logs it, without personal data. */
export function count(name: string, dimensions: Record<string, string> = {}, details: Record<string, unknown> = {}, value = 1): void {
  logger.info(name, { ...dimensions, ...details });
  if (silent()) return;
  const allDimensions = { service: 'onboarding', ...dimensions };
  process.stdout.write(`${JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [Object.keys(allDimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    ...allDimensions,
    [name]: value,
  })}\n`);
}
