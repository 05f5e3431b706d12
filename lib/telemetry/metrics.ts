import type { Logger } from './logger.ts';

/**
 * Counters in CloudWatch Embedded Metric Format: one JSON line on stdout, which CloudWatch Logs turns
 * into a metric; no API call on the hot path. Written out here rather than with Powertools Metrics:
 * a counter is all we need, and that package would add to every bundle that counts something.
 */
const NAMESPACE = 'Onboarding';

export interface Metrics {
  /** Adds `value` to the counter `name` (with optional dimensions) and logs it, without personal data. */
  count(name: string, dimensions?: Record<string, string>, details?: Record<string, unknown>, value?: number): void;
}

export function createMetrics(logger: Logger, options: { silent?: boolean } = {}): Metrics {
  return {
    count(name, dimensions = {}, details = {}, value = 1) {
      logger.info(name, { ...dimensions, ...details });
      if (options.silent) return;
      const allDimensions = { service: 'onboarding', ...dimensions };
      process.stdout.write(
        `${JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [Object.keys(allDimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }],
          },
          ...allDimensions,
          [name]: value,
        })}\n`,
      );
    },
  };
}
