import { describe, expect, it } from 'vitest';
import { LookupCache } from './lookup-cache';

/**
 * A cache with a hand-driven clock and a loader that counts its reads. While `hold()` is in force,
 * reads wait until `release()` (or fail with `fail()`), to see what lookups do meanwhile.
 */
function setup(limits: { maxEntries?: number; maxMisses?: number } = {}) {
  let now = 0;
  const background: Array<Promise<unknown>> = [];
  const cache = new LookupCache<string>({
    maxEntries: limits.maxEntries ?? 3,
    ttlMs: 30_000,
    maxStaleMs: 60_000,
    maxMisses: limits.maxMisses ?? 3,
    missTtlMs: 5_000,
    now: () => now,
    background: (reload) => background.push(reload),
  });
  const known = new Map<string, string>();
  const reads: string[] = [];
  let gate: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  const lookup = (key: string) =>
    cache.lookup(key, async () => {
      reads.push(key);
      if (gate) await gate.promise;
      return known.get(key) ?? null;
    });
  return {
    cache,
    known,
    reads,
    lookup,
    background,
    advance: (ms: number) => (now += ms),
    hold: () => {
      let resolve = () => {};
      let reject: (e: Error) => void = () => {};
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      gate = { promise, resolve, reject };
    },
    release: async () => {
      const held = gate;
      gate = undefined;
      held?.resolve();
      await Promise.all(background);
    },
    fail: async () => {
      const held = gate;
      gate = undefined;
      held?.reject(new Error('D1 is down'));
      await Promise.all(background);
    },
  };
}

/** Whether a promise has settled by the time already-queued work has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('a lookup cache that serves stale values while it revalidates', () => {
  it('serves a value as read for 30 s; then at once while one reload runs behind it; then the reload’s answer', async () => {
    const { known, reads, lookup, advance, hold, release, background } = setup();
    known.set('a', 'v1');
    expect(await lookup('a')).toBe('v1');
    advance(29_999);
    expect(await lookup('a')).toBe('v1');
    expect(reads).toEqual(['a']);

    known.set('a', 'v2');
    advance(1);
    hold();
    const stale = lookup('a');
    expect(await settled(stale)).toBe(true);
    expect(await stale).toBe('v1');
    expect(await lookup('a')).toBe('v1');
    expect(reads).toEqual(['a', 'a']);
    expect(background).toHaveLength(1);

    await release();
    expect(await lookup('a')).toBe('v2');
    expect(reads).toEqual(['a', 'a']);
    // The reloaded value is fresh again for 30 s from when its read began.
    advance(29_999);
    expect(await lookup('a')).toBe('v2');
    expect(reads).toEqual(['a', 'a']);
  });

  it('never serves a value 60 s after its read began: the lookup waits for a read instead', async () => {
    const { known, reads, lookup, advance } = setup();
    known.set('a', 'v1');
    await lookup('a');
    known.set('a', 'v2');
    advance(60_000);
    expect(await lookup('a')).toBe('v2');
    expect(reads).toEqual(['a', 'a']);
  });

  it('past 60 s a lookup waits for the reload already under way rather than start another', async () => {
    const { known, reads, lookup, advance, hold, release } = setup();
    known.set('a', 'v1');
    await lookup('a');
    advance(45_000);
    known.set('a', 'v2');
    hold();
    expect(await lookup('a')).toBe('v1');
    advance(15_000);
    const waiting = lookup('a');
    expect(await settled(waiting)).toBe(false);
    await release();
    expect(await waiting).toBe('v2');
    expect(reads).toEqual(['a', 'a']);
  });

  it('a reload that fails keeps the value until 60 s, then the failure reaches the caller', async () => {
    const { cache, known, reads, lookup, advance, hold, fail } = setup();
    known.set('a', 'v1');
    await lookup('a');
    advance(30_000);
    hold();
    expect(await lookup('a')).toBe('v1');
    await fail();
    advance(10_000);
    // Another reload is tried behind the value, and fails too.
    hold();
    expect(await lookup('a')).toBe('v1');
    await fail();
    expect(reads).toEqual(['a', 'a', 'a']);
    advance(20_000);
    await expect(cache.lookup('a', () => Promise.reject(new Error('D1 is down')))).rejects.toThrow('D1 is down');
  });

  it('a reload that finds nothing forgets the value: a deleted record is gone within 60 s', async () => {
    const { known, lookup, advance, release } = setup();
    known.set('a', 'v1');
    await lookup('a');
    known.delete('a');
    advance(30_000);
    expect(await lookup('a')).toBe('v1');
    await release();
    expect(await lookup('a')).toBeNull();
  });

  it('a value forgotten while it reloads stays forgotten: the reload’s answer may predate the change', async () => {
    const { cache, known, reads, lookup, advance, hold, release } = setup();
    known.set('a', 'v1');
    await lookup('a');
    advance(30_000);
    hold();
    expect(await lookup('a')).toBe('v1');
    cache.forget('a');
    known.set('a', 'v3');
    const next = lookup('a');
    await release();
    expect(await next).toBe('v3');
    expect(reads).toEqual(['a', 'a', 'a']);
    expect(await lookup('a')).toBe('v3');
    expect(reads).toEqual(['a', 'a', 'a']);
  });
});

describe('a lookup cache fed by strangers', () => {
  it('beyond its bound forgets the least recently used value first', async () => {
    const { cache, known, reads, lookup } = setup({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) known.set(key, `tenant-${key}`);
    await lookup('a');
    await lookup('b');
    await lookup('c');
    await lookup('a'); // a is used again, so b is now the least recently used
    await lookup('d');
    expect(cache.size()).toEqual({ entries: 3, misses: 0 });
    reads.length = 0;
    await lookup('a');
    await lookup('c');
    await lookup('d');
    expect(reads).toEqual([]);
    await lookup('b');
    expect(reads).toEqual(['b']);
  });

  it('remembers a miss only briefly, and only so many of them', async () => {
    const { cache, reads, lookup, advance } = setup({ maxMisses: 3 });
    expect(await lookup('x')).toBeNull();
    advance(4_000);
    expect(await lookup('x')).toBeNull();
    expect(reads).toEqual(['x']);
    advance(1_000);
    await lookup('x');
    expect(reads).toEqual(['x', 'x']);

    for (const key of ['m1', 'm2', 'm3', 'm4']) await lookup(key);
    expect(cache.size()).toEqual({ entries: 0, misses: 3 });
    reads.length = 0;
    await lookup('m4');
    await lookup('m1');
    expect(reads).toEqual(['m1']);
  });

  it('misses do not push found values out', async () => {
    const { cache, known, reads, lookup } = setup({ maxEntries: 2, maxMisses: 2 });
    known.set('a', 'tenant-a');
    await lookup('a');
    for (let i = 0; i < 50; i++) await lookup(`random-${i}`);
    expect(cache.size()).toEqual({ entries: 1, misses: 2 });
    reads.length = 0;
    await lookup('a');
    expect(reads).toEqual([]);
  });

  it('concurrent lookups of one key share one read; a failed read is not remembered', async () => {
    const { cache, known, reads, lookup } = setup();
    known.set('a', 'tenant-a');
    expect(await Promise.all([lookup('a'), lookup('a'), lookup('a')])).toEqual(['tenant-a', 'tenant-a', 'tenant-a']);
    expect(reads).toEqual(['a']);
    await expect(cache.lookup('b', () => Promise.reject(new Error('D1 is down')))).rejects.toThrow('D1 is down');
    expect(await lookup('b')).toBeNull();
    expect(reads).toEqual(['a', 'b']);
  });

  it('forgets a key, every value that matches, or every miss, on request', async () => {
    const { cache, known, reads, lookup } = setup();
    known.set('a', 'tenant-1');
    known.set('b', 'tenant-2');
    await lookup('a');
    await lookup('b');
    await lookup('c');
    cache.forgetValues((v) => v === 'tenant-1');
    known.set('c', 'tenant-3');
    cache.forgetMisses();
    reads.length = 0;
    expect(await lookup('a')).toBe('tenant-1');
    expect(await lookup('b')).toBe('tenant-2');
    expect(await lookup('c')).toBe('tenant-3');
    expect(reads).toEqual(['a', 'c']);
    cache.forget('b');
    await lookup('b');
    expect(reads).toEqual(['a', 'c', 'b']);
  });

  it('a value forgotten while it was being read is not remembered', async () => {
    const { cache, reads, lookup } = setup();
    let release: (v: string) => void = () => {};
    const slow = cache.lookup('a', () => new Promise<string | null>((r) => (release = r)));
    cache.forget('a');
    release('stale');
    expect(await slow).toBe('stale');
    expect(await lookup('a')).toBeNull();
    expect(reads).toEqual(['a']);
  });
});
