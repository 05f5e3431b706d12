/** Percentiles by nearest rank on a sorted copy, and small number helpers. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const spread = (values: readonly number[]) => ({ p50Ms: percentile(values, 50), p99Ms: percentile(values, 99), maxMs: Math.max(...values) });

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const round = (value: number, digits = 2) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value);
