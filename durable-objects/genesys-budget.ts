/**
 * One OAuth client's Genesys budget as the tenant gate keeps it (in memory, no I/O): permits handed
 * out in short leases, counted over a sliding window of GENESYS_WINDOW_MS.
 *
 * A conversation object takes a lease of several permits and spends them without asking again, so
 * the gate's load is one call per lease, not one per message. Accounting:
 * - A lease's permits count against the window from the moment it is granted until its expiry
 *   plus one window. A permit may be spent at any moment before the lease expires, and Genesys
 *   counts it when it arrives, so counting it until `expiresAt + windowMs` never lets more calls
 *   into any window of Genesys than the budget.
 * - Permits a holder did not spend are given back (when it goes idle, or with its next lease after
 *   the last one expired) and stop counting at once: they were never sent.
 * - A lease is at most what the holder has due, at most a fair share (budget ÷ conversations
 *   holding live leases), at most {@link MAX_LEASE_PERMITS}: one busy conversation cannot park the
 *   budget, and a quiet one takes only what it needs.
 * An evicted gate forgets its window; that errs towards Genesys' own 429, which is retried.
 */

/** The most permits one lease carries. */
export const MAX_LEASE_PERMITS = 50;

/** How long a lease lives: a twelfth of the window (5 s of a minute), between 200 ms and 5 s. */
export function leaseDuration(windowMs: number): number {
  return Math.min(5000, Math.max(200, Math.round(windowMs / 12)));
}

/**
 * How long before its expiry a holder stops spending a lease: a call started then still reaches
 * Genesys while the lease is valid (a fifth of the lease, at most one second).
 */
export function leaseSpendMargin(windowMs: number): number {
  return Math.min(1000, Math.round(leaseDuration(windowMs) / 5));
}

export type LeaseGrant =
  | { ok: true; leaseId: string; permits: number; expiresAt: number }
  | { ok: false; waitMs: number };

interface Lease {
  holder: string;
  permits: number;
  expiresAt: number;
}

export class GenesysBudget {
  private readonly leases = new Map<string, Lease>();
  /** Lease ids of an evicted gate never match a new one's. */
  private readonly prefix = crypto.randomUUID().slice(0, 8);
  private next = 0;
  readonly leaseMs: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.leaseMs = leaseDuration(windowMs);
  }

  /** Permits counted in the window now: granted, not given back, not yet a window past their lease. */
  used(now: number): number {
    let used = 0;
    for (const [id, lease] of this.leases) {
      if (lease.expiresAt + this.windowMs <= now) this.leases.delete(id);
      else used += lease.permits;
    }
    return used;
  }

  /** A lease of up to `want` permits for `holder`, or how long to wait before asking again. */
  grant(holder: string, want: number, now: number): LeaseGrant {
    const available = this.limit - this.used(now);
    const holders = new Set([holder]);
    for (const lease of this.leases.values()) if (lease.expiresAt > now) holders.add(lease.holder);
    const share = Math.max(1, Math.floor(this.limit / holders.size));
    const permits = Math.min(Math.max(1, want), share, MAX_LEASE_PERMITS, available);
    if (permits < 1) return { ok: false, waitMs: this.waitMs(now) };
    const leaseId = `${this.prefix}-${++this.next}`;
    const expiresAt = now + this.leaseMs;
    this.leases.set(leaseId, { holder, permits, expiresAt });
    return { ok: true, leaseId, permits, expiresAt };
  }

  /** The holder did not spend `unused` permits of a lease: they no longer count. */
  giveBack(leaseId: string, unused: number): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    lease.permits = Math.max(0, lease.permits - Math.max(0, unused));
  }

  /**
   * When the budget is spent: until the oldest permits leave the window, but no longer than one
   * lease while other leases are live, since their holders may give permits back before then.
   */
  private waitMs(now: number): number {
    let freeAt = Number.POSITIVE_INFINITY;
    let live = false;
    for (const lease of this.leases.values()) {
      if (lease.permits > 0) freeAt = Math.min(freeAt, lease.expiresAt + this.windowMs);
      if (lease.expiresAt > now) live = true;
    }
    const untilFree = Number.isFinite(freeAt) ? freeAt - now : this.leaseMs;
    return Math.max(1, live ? Math.min(untilFree, this.leaseMs) : untilFree);
  }

  forget(): void {
    this.leases.clear();
  }
}
