/** Latency figures of one series, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when it is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, x) => acc + x, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** The median of a few repeated measurements. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * About `points` (value, fraction ≤ value) pairs of the empirical CDF, so a plot of 100,000
 * samples stays small: half evenly spaced in rank, half evenly spaced in -log10(1 - fraction),
 * which keeps the tail (p99, p99.9) as detailed as the body. The last sample is always kept.
 */
export function cdfPoints(samples: readonly number[], points = 200): [number, number][] {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const half = Math.max(1, Math.floor(points / 2));
  const ranks = new Set<number>([n - 1]);
  for (let k = 0; k < half; k++) {
    ranks.add(Math.floor((k / half) * n));
    ranks.add(Math.min(n - 1, Math.floor((1 - 10 ** ((-k / half) * Math.log10(n))) * n)));
  }
  return [...ranks].sort((a, b) => a - b).map((i) => [sorted[i] as number, (i + 1) / n]);
}
