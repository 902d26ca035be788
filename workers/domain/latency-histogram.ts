/**
 * Delivery latency as a histogram with fixed bucket bounds, so hourly rows can be summed across
 * conversations and batches and percentiles read back without keeping every sample (Analytics
 * Engine keeps samples, but cannot be queried locally). Pure.
 */

/** Upper bounds (ms, inclusive) of the buckets; a latency above the last one counts in OVER_MS. */
export const LATENCY_BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] as const;
/** The open-ended last bucket's bound: "more than a minute". */
export const OVER_MS = 2_147_483_647;

export type Histogram = Map<number, number>;

/** The bucket bound a latency counts under. */
export function bucketOf(latencyMs: number): number {
  return LATENCY_BUCKETS_MS.find((bound) => latencyMs <= bound) ?? OVER_MS;
}

/** Adds counts of `from` into `into` (in place) and answers it. */
export function mergeHistograms(into: Histogram, from: Iterable<[number, number]>): Histogram {
  for (const [bound, count] of from) into.set(bound, (into.get(bound) ?? 0) + count);
  return into;
}

/**
 * The bound of the bucket holding the q-quantile (0 < q ≤ 1): "p95 ≤ 1000 ms". An upper estimate,
 * never below the true value; null when there is nothing to measure, OVER_MS past the last bound.
 */
export function quantileBound(histogram: Histogram, q: number): number | null {
  const total = [...histogram.values()].reduce((n, c) => n + c, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const bound of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bound) ?? 0;
    if (seen >= rank) return bound;
  }
  return OVER_MS;
}
