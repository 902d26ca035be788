import { describe, expect, it } from 'vitest';
import { LookupCache } from './lookup-cache';

/** A cache with a hand-driven clock and a loader that counts its reads. */
function setup(limits: { maxEntries?: number; maxMisses?: number } = {}) {
  let now = 0;
  const cache = new LookupCache<string>({
    maxEntries: limits.maxEntries ?? 3,
    ttlMs: 30_000,
    maxMisses: limits.maxMisses ?? 3,
    missTtlMs: 5_000,
    now: () => now,
  });
  const known = new Map<string, string>();
  const reads: string[] = [];
  const lookup = (key: string) =>
    cache.lookup(key, async () => {
      reads.push(key);
      return known.get(key) ?? null;
    });
  return { cache, known, reads, lookup, advance: (ms: number) => (now += ms) };
}

describe('a lookup cache fed by strangers', () => {
  it('remembers a found value until its time is up', async () => {
    const { known, reads, lookup, advance } = setup();
    known.set('a', 'tenant-a');
    expect(await lookup('a')).toBe('tenant-a');
    advance(29_000);
    expect(await lookup('a')).toBe('tenant-a');
    expect(reads).toEqual(['a']);
    advance(1_000);
    await lookup('a');
    expect(reads).toEqual(['a', 'a']);
  });

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
