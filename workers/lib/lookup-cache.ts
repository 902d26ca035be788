/**
 * An isolate-local memo for lookups whose keys arrive from strangers (tenant ids in URLs, phone
 * number ids in webhook bodies, hosts). Such keys are unbounded, so is everything about this memo:
 *
 * - found values: least recently used first out beyond `maxEntries`;
 * - misses: kept apart, beyond `maxMisses` oldest first out, each kept only `missTtlMs` — long
 *   enough that a key asked again and again (a retrying sender, a scan) costs one read, short
 *   enough that a record created in another isolate is found soon.
 *
 * Found values are served stale while they revalidate, so a busy key never makes a request wait
 * for its reload: up to `ttlMs` after the read that produced it a value is served as is; after
 * that the first lookup starts one reload in the background (handed to `background`, e.g.
 * `waitUntil`) and it and the lookups after it get the value in hand until the reload lands. A
 * value is never served once `maxStaleMs` have passed since its read began: a lookup then waits for
 * a read (the one in flight, if any). `maxStaleMs` is thus how long a change made elsewhere can go
 * unseen here. A reload that fails keeps the value until then; one that finds nothing forgets it.
 *
 * Concurrent lookups of one key share one load; a load that fails is not remembered. `null` is
 * the miss; any other value (including `undefined`) is a found value.
 */

export interface LookupCacheOptions {
  maxEntries: number;
  /** How long after its read a value is served without a reload. */
  ttlMs: number;
  /** How long after its read a value may still be served while a reload runs (≥ ttlMs); never beyond. */
  maxStaleMs: number;
  maxMisses: number;
  missTtlMs: number;
  /** The clock (injectable for tests). */
  now?: () => number;
  /** Keeps a background reload alive past the request that started it (the Workers runtime's `waitUntil`). */
  background?: (reload: Promise<unknown>) => void;
}

interface Found<V> {
  /** When the read of this value began: its age counts from there. */
  at: number;
  load: Promise<V | null>;
  /** Set once the load resolves, so entries can be forgotten by what they hold and served while stale. */
  value?: { v: V };
  /** A reload under way (the value is stale); lookups share it. */
  reload?: Promise<V | null>;
}

export class LookupCache<V> {
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  private readonly found = new Map<string, Found<V>>();
  private readonly missing = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: LookupCacheOptions) {
    if (options.maxStaleMs < options.ttlMs) throw new RangeError('maxStaleMs must be at least ttlMs');
    // Late-bound, so a test that moves Date.now moves the memo's clock too.
    this.now = options.now ?? (() => Date.now());
  }

  /** The remembered answer for `key`, else `load()`'s (remembered as a value or a miss). */
  lookup(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const now = this.now();
    const missedAt = this.missing.get(key);
    if (missedAt !== undefined) {
      if (now - missedAt < this.options.missTtlMs) return Promise.resolve(null);
      this.missing.delete(key);
    }
    const hit = this.found.get(key);
    if (hit) {
      this.found.delete(key);
      const age = now - hit.at;
      if (age < this.options.ttlMs) {
        this.found.set(key, hit);
        return hit.load;
      }
      if (hit.value && age < this.options.maxStaleMs) {
        this.found.set(key, hit);
        if (!hit.reload) this.reload(key, hit, load);
        return Promise.resolve(hit.value.v);
      }
      // Too old to serve: wait for a read, the reload already under way if there is one.
      if (hit.reload) {
        this.found.set(key, hit);
        return hit.reload;
      }
    }
    return this.start(key, now, load());
  }

  /** Forgets what is remembered for `key`, found or missing. */
  forget(key: string): void {
    this.found.delete(key);
    this.missing.delete(key);
  }

  /** Forgets every found value that `matches` (and every load still in flight, whose value is unknown). */
  forgetValues(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.found) if (!entry.value || matches(entry.value.v)) this.found.delete(key);
  }

  /** Forgets every miss: something was created that any of them may have been waiting for. */
  forgetMisses(): void {
    this.missing.clear();
  }

  /** How many found values and misses are held (expired ones included until they are next asked for). */
  size(): { entries: number; misses: number } {
    return { entries: this.found.size, misses: this.missing.size };
  }

  /** Remembers a load begun at `at` under `key` and settles the entry with its answer. */
  private start(key: string, at: number, load: Promise<V | null>): Promise<V | null> {
    const entry: Found<V> = { at, load };
    this.found.set(key, entry);
    this.evict(this.found, this.options.maxEntries);
    load.then(
      (value) => this.settle(key, entry, value),
      () => {
        if (this.found.get(key) === entry) this.found.delete(key);
      },
    );
    return load;
  }

  /** Reloads a stale value behind the lookups that keep getting it; the answer replaces it. */
  private reload(key: string, stale: Found<V>, load: () => Promise<V | null>): void {
    const at = this.now();
    const reload = load();
    stale.reload = reload;
    const done = reload.then(
      (value) => {
        // Forgotten (or replaced) meanwhile: the answer may already be stale, so keep nothing.
        if (this.found.get(key) !== stale) return;
        const entry: Found<V> = { at, load: reload };
        this.found.set(key, entry);
        this.settle(key, entry, value);
      },
      () => {
        // Keep serving the value until maxStaleMs; the lookup after that reads again and sees the error.
        if (stale.reload === reload) stale.reload = undefined;
      },
    );
    this.options.background?.(done);
  }

  private settle(key: string, entry: Found<V>, value: V | null): void {
    // Forgotten (or replaced) while loading: the answer may already be stale, so keep nothing.
    if (this.found.get(key) !== entry) return;
    if (value !== null) {
      entry.value = { v: value };
      return;
    }
    this.found.delete(key);
    this.missing.set(key, this.now());
    this.evict(this.missing, this.options.maxMisses);
  }

  private evict(map: Map<string, unknown>, max: number): void {
    for (const key of map.keys()) {
      if (map.size <= max) return;
      map.delete(key);
    }
  }
}
