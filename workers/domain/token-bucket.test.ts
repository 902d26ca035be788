import { describe, expect, it } from 'vitest';
import { refill, take } from './token-bucket';

describe('token bucket', () => {
  it('starts full, spends the burst, then says how long until the next token', () => {
    let bucket = refill(undefined, 0, 3, 1000);
    for (let i = 0; i < 3; i++) {
      const taken = take(bucket, 1, 1000);
      expect(taken.ok).toBe(true);
      if (taken.ok) bucket = taken.bucket;
    }
    expect(take(bucket, 1, 1000)).toEqual({ ok: false, waitMs: 1000 });
  });

  it('earns tokens back with time, never above capacity', () => {
    const empty = { tokens: 0, at: 0 };
    expect(refill(empty, 1500, 3, 1000).tokens).toBe(1.5);
    expect(refill(empty, 60_000, 3, 1000).tokens).toBe(3);
    expect(take(refill(empty, 500, 3, 1000), 1, 1000)).toEqual({ ok: false, waitMs: 500 });
  });
});
