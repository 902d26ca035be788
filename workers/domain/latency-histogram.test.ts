import { describe, expect, it } from 'vitest';
import { bucketOf, mergeHistograms, OVER_MS, quantileBound, type Histogram } from './latency-histogram';

describe('latency histogram', () => {
  it('counts a latency under the first bound that holds it, and past the last as "over"', () => {
    expect(bucketOf(0)).toBe(50);
    expect(bucketOf(50)).toBe(50);
    expect(bucketOf(51)).toBe(100);
    expect(bucketOf(60_000)).toBe(60_000);
    expect(bucketOf(60_001)).toBe(OVER_MS);
  });

  it('reads p50 and p95 back as bucket bounds, never below the true value', () => {
    const samples = [...Array(90).fill(80), ...Array(8).fill(400), 3000, 70_000];
    const histogram: Histogram = new Map();
    for (const ms of samples) mergeHistograms(histogram, [[bucketOf(ms), 1]]);
    expect(quantileBound(histogram, 0.5)).toBe(100);
    expect(quantileBound(histogram, 0.95)).toBe(500);
    expect(quantileBound(histogram, 0.99)).toBe(5000);
    expect(quantileBound(histogram, 1)).toBe(OVER_MS);
  });

  it('sums histograms from several rows, and has no percentile when empty', () => {
    const merged = mergeHistograms(
      new Map([[100, 2]]),
      new Map([
        [100, 3],
        [1000, 5],
      ]),
    );
    expect([...merged]).toEqual([
      [100, 5],
      [1000, 5],
    ]);
    expect(quantileBound(new Map(), 0.5)).toBeNull();
  });
});
