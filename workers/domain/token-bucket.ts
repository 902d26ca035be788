/**
 * A token bucket as plain data, so limiters can keep it in Durable Object storage or memory.
 * Capacity is the burst; one token returns every `intervalMs`.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

export function refill(bucket: Bucket | undefined, now: number, capacity: number, intervalMs: number): Bucket {
  if (!bucket) return { tokens: capacity, at: now };
  const earned = intervalMs > 0 ? (now - bucket.at) / intervalMs : capacity;
  return { tokens: Math.min(capacity, bucket.tokens + earned), at: now };
}

/** Takes `count` tokens, or says how long until they are there. */
export function take(
  bucket: Bucket,
  count: number,
  intervalMs: number,
): { ok: true; bucket: Bucket } | { ok: false; waitMs: number } {
  if (bucket.tokens >= count) return { ok: true, bucket: { tokens: bucket.tokens - count, at: bucket.at } };
  return { ok: false, waitMs: Math.ceil((count - bucket.tokens) * intervalMs) };
}
