/**
 * An isolate-local memo for lookups whose keys arrive from strangers (tenant ids in URLs, phone
 * number ids in webhook bodies, hosts). Such keys are unbounded, so is everything about this memo:
 *
 * - found values: least recently used first out beyond `maxEntries`, each kept `ttlMs`;
 * - misses: kept apart, beyond `maxMisses` oldest first out, each kept only `missTtlMs` — long
 *   enough that a key asked again and again (a retrying sender, a scan) costs one read, short
 *   enough that a record created in another isolate is found soon.
 *
 * Concurrent lookups of one key share one load; a load that fails is not remembered. `null` is
 * the miss; any other value (including `undefined`) is a found value.
 */

export interface LookupCacheOptions {
  maxEntries: number;
  ttlMs: number;
  maxMisses: number;
  missTtlMs: number;
  /** The clock (injectable for tests). */
  now?: () => number;
}

interface Found<V> {
  at: number;
  load: Promise<V | null>;
  /** Set once the load resolves, so entries can be forgotten by what they hold. */
  value?: { v: V };
}

export class LookupCache<V> {
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  private readonly found = new Map<string, Found<V>>();
  private readonly missing = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: LookupCacheOptions) {
    this.now = options.now ?? Date.now;
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
      if (now - hit.at < this.options.ttlMs) {
        this.found.set(key, hit);
        return hit.load;
      }
    }
    const entry: Found<V> = { at: now, load: load() };
    this.found.set(key, entry);
    this.evict(this.found, this.options.maxEntries);
    entry.load.then(
      (value) => {
        // Forgotten (or replaced) while loading: the answer may already be stale, so keep nothing.
        if (this.found.get(key) !== entry) return;
        if (value !== null) {
          entry.value = { v: value };
          return;
        }
        this.found.delete(key);
        this.missing.set(key, this.now());
        this.evict(this.missing, this.options.maxMisses);
      },
      () => {
        if (this.found.get(key) === entry) this.found.delete(key);
      },
    );
    return entry.load;
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

  private evict(map: Map<string, unknown>, max: number): void {
    for (const key of map.keys()) {
      if (map.size <= max) return;
      map.delete(key);
    }
  }
}
