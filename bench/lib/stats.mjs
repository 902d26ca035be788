// Pure helpers of the benchmark: percentiles, rates and sliding-window counts. No I/O, no clock.
// The bench checks its own sample counts (see run.mjs `expectAtLeast`); vitest does not run bench/.

/** Nearest-rank percentile (the smallest value with at least p% of the samples at or below it). */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function summary(values) {
  return { samples: values.length, p50: percentile(values, 50), p99: percentile(values, 99) };
}

/** a ÷ b, or null when either side is unknown (never a made-up number). */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null;
}

/** The most timestamps (ms, any order) inside any half-open window [t, t + windowMs). */
export function maxInAnyWindow(times, windowMs) {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

/**
 * A sliding-window budget, the strictest reading of "N requests per window": at most `budget`
 * requests in any interval of `windowMs`, every request counted (a refused one too, as it reached
 * the API). `admit(now)` answers whether this request is within the budget, and if not, in how many
 * ms the oldest request in the window leaves it.
 */
export class SlidingWindow {
  constructor(budget, windowMs) {
    this.budget = budget;
    this.windowMs = windowMs;
    this.times = [];
  }

  admit(now) {
    while (this.times.length > 0 && this.times[0] <= now - this.windowMs) this.times.shift();
    const full = this.times.length >= this.budget;
    const retryAfterMs = full ? this.times[0] + this.windowMs - now : 0;
    this.times.push(now);
    return full ? { ok: false, retryAfterMs } : { ok: true };
  }
}

/**
 * Steady-state rate of arrivals (ms timestamps): the arrivals between the 10th and the 90th
 * percentile over the time between them. The first tenth is the pipeline filling (the hold, the
 * queue's batch wait, work done before anything arrives) and the last tenth the drain of the
 * slowest lanes; both are reported elsewhere (latencies, wall time), not as throughput.
 */
export function steadyRate(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const lo = Math.floor(sorted.length * 0.1);
  const hi = Math.floor(sorted.length * 0.9);
  const seconds = (sorted[hi] - sorted[lo]) / 1000;
  return { counted: hi - lo, seconds, perSecond: seconds > 0 ? (hi - lo) / seconds : null };
}

/** The 10th, 20th … 90th percentiles, to show a distribution's shape in one line. */
export function deciles(values) {
  return [10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => percentile(values, p));
}
