/**
 * How many sign-in attempts a key (an email, a client address) may make, and how long it waits
 * after that. Pure: the state lives in one Durable Object per key (durable-objects/auth-guard.do.ts).
 *
 * An attempt counts when it starts, before the password is checked: the object is single-threaded,
 * so a hundred parallel guesses cannot all pass before the first failure is recorded. Attempts that
 * turn out fine are forgiven (a success, or an attempt another limit refused).
 *
 * - Per email: a fixed window and no backoff. Anyone can type a known email, so its lock never
 *   outlasts the window the failures happened in: a stranger can delay its owner by a minute at
 *   most, never lock them out.
 * - Per client address: a higher limit (an office shares one address) and a lock that doubles with
 *   each repeat, up to an hour. This is what stops one source from guessing across many emails.
 */

export interface ThrottlePolicy {
  /** Attempts allowed per window. */
  limit: number;
  windowMs: number;
  /** Lock for windowMs · 2^(strikes−1), capped at {@link MAX_LOCK_MS}, instead of the window's rest. */
  backoff: boolean;
}

export interface ThrottleState {
  count: number;
  windowStart: number;
  lockedUntil: number;
  /** Locks so far (backoff only); forgotten after {@link STRIKE_MEMORY_MS} of quiet. */
  strikes: number;
  lastAt: number;
}

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number };

export const EMAIL_POLICY: ThrottlePolicy = { limit: 5, windowMs: 60_000, backoff: false };
export const ADDRESS_POLICY: ThrottlePolicy = { limit: 20, windowMs: 60_000, backoff: true };
export const MAX_LOCK_MS = 3600_000;
export const STRIKE_MEMORY_MS = 6 * 3600_000;

export const FRESH: ThrottleState = { count: 0, windowStart: 0, lockedUntil: 0, strikes: 0, lastAt: 0 };

/** Counts an attempt starting at `now`, or refuses it with how long to wait. */
export function attempt(
  state: ThrottleState,
  policy: ThrottlePolicy,
  now: number,
): { state: ThrottleState; verdict: Verdict } {
  if (now < state.lockedUntil) return { state, verdict: { ok: false, retryAfterMs: state.lockedUntil - now } };
  let s = state;
  if (now - s.windowStart >= policy.windowMs) s = { ...s, count: 0, windowStart: now };
  if (now - Math.max(s.lastAt, s.lockedUntil) > STRIKE_MEMORY_MS) s = { ...s, strikes: 0 };
  if (s.count < policy.limit) return { state: { ...s, count: s.count + 1, lastAt: now }, verdict: { ok: true } };

  if (!policy.backoff) {
    const until = s.windowStart + policy.windowMs;
    return { state: { ...s, lockedUntil: until }, verdict: { ok: false, retryAfterMs: until - now } };
  }
  const strikes = s.strikes + 1;
  const until = now + Math.min(MAX_LOCK_MS, policy.windowMs * 2 ** (strikes - 1));
  // The next window starts when the lock ends, with a clean count.
  return {
    state: { count: 0, windowStart: until, lockedUntil: until, strikes, lastAt: now },
    verdict: { ok: false, retryAfterMs: until - now },
  };
}

/** Takes back one counted attempt (it succeeded, or it never reached the password check). */
export function forgive(state: ThrottleState): ThrottleState {
  return { ...state, count: Math.max(0, state.count - 1) };
}

/** When the state no longer matters and can be dropped. */
export function forgetAt(state: ThrottleState, policy: ThrottlePolicy): number {
  const settled = Math.max(state.lockedUntil, state.windowStart + policy.windowMs);
  return policy.backoff ? Math.max(settled, state.lastAt) + STRIKE_MEMORY_MS : settled;
}

/** Retry-After in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The throttling key of a client address. IPv6 counts per /64: one subscriber usually holds a
 * whole /64, so per-address keys would hand an attacker 2^64 fresh budgets.
 */
export function addressKey(ip: string | undefined): string {
  const address = ip?.trim().toLowerCase() ?? '';
  if (!address) return 'unknown';
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '') || '0')
    .join(':')}::/64`;
}
