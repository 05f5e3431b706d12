import pMap from 'p-map';
/** Small statistics helpers for the benchmark: percentiles by nearest rank on a sorted copy. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order (the service's own helper, p-map). */
export const mapLimit = <T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> =>
  pMap(items, task, { concurrency: limit });

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
