/**
 * How many sign-in attempts may be made, and how long to wait after that. Pure policy: each
 * counter's state lives in its own Durable Object (durable-objects/auth-guard.do.ts), and
 * {@link admit} only talks to counters through {@link ThrottleCounter}.
 *
 * An attempt counts when it starts, before the password is checked: each counter is
 * single-threaded, so a hundred parallel guesses cannot all pass before the first failure is
 * recorded. Attempts that turn out fine are forgiven (a success, or an attempt another limit refused).
 *
 * Three limits, every one with a lock that doubles on each repeat (up to an hour):
 * - Per email and client address (the pair): 5 a minute. This is what a stranger meets when they
 *   guess one account's password from one place, and all they lock is their own pair: the owner,
 *   signing in from anywhere else, does not share it. (Someone behind the owner's own address, an
 *   office NAT or the same IPv6 /64, does share it.)
 * - Per client address: 20 a minute (an office shares one address). Stops one source from guessing
 *   across many emails.
 * - Per email: 100 a ten-minute window, a ceiling against guessing spread over many addresses
 *   (each pair staying under its own limit). This one does lock the owner out wherever they are,
 *   for 10 minutes, then 20, 40, 60: the trade-off for not letting a botnet guess without bound.
 *   A single address cannot reach it, since its pair locks first and refused attempts are forgiven.
 */

export interface ThrottlePolicy {
  /** Attempts allowed per window. */
  limit: number;
  windowMs: number;
}

export interface ThrottleState {
  count: number;
  windowStart: number;
  lockedUntil: number;
  /** Locks so far; forgotten after {@link STRIKE_MEMORY_MS} of quiet. */
  strikes: number;
  lastAt: number;
}

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number };

export const PAIR_POLICY: ThrottlePolicy = { limit: 5, windowMs: 60_000 };
export const ADDRESS_POLICY: ThrottlePolicy = { limit: 20, windowMs: 60_000 };
export const EMAIL_POLICY: ThrottlePolicy = { limit: 100, windowMs: 10 * 60_000 };
export const MAX_LOCK_MS = 3600_000;
export const STRIKE_MEMORY_MS = 6 * 3600_000;

export const FRESH: ThrottleState = { count: 0, windowStart: 0, lockedUntil: 0, strikes: 0, lastAt: 0 };

/**
 * Counts an attempt starting at `now`, or refuses it with how long to wait. Over the limit, the key
 * is locked for windowMs · 2^(strikes−1), capped at {@link MAX_LOCK_MS}.
 */
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

/** When the state no longer matters and can be dropped: its strikes are forgotten by then. */
export function forgetAt(state: ThrottleState, policy: ThrottlePolicy): number {
  return Math.max(state.lockedUntil, state.windowStart + policy.windowMs, state.lastAt) + STRIKE_MEMORY_MS;
}

// ===== One sign-in attempt against all three limits

/** One key's counter: an AuthGuardDO stub in the Worker, a plain object over {@link attempt} in tests. */
export interface ThrottleCounter {
  attempt(policy: ThrottlePolicy): Promise<Verdict>;
  forgive(policy: ThrottlePolicy): Promise<void>;
  /** Forgets the key's count and strikes. */
  reset(): Promise<void>;
}

export type SignInLimit = 'pair' | 'address' | 'email';

export const SIGN_IN_POLICIES: Readonly<Record<SignInLimit, ThrottlePolicy>> = {
  pair: PAIR_POLICY,
  address: ADDRESS_POLICY,
  email: EMAIL_POLICY,
};

export type Admission =
  | {
      ok: true;
      /** The password was right: the pair starts over, and the attempt is taken back from the others. */
      succeeded(): Promise<void>;
    }
  | { ok: false; retryAfterMs: number; refusedBy: SignInLimit[] };

/**
 * Counts one sign-in attempt against each limit, or refuses it (for as long as the longest lock)
 * and takes it back from the limits that let it through: an attempt refused before the password
 * check was no guess. A wrong password needs no call afterwards; a right one calls `succeeded()`.
 */
export async function admit(counters: Readonly<Record<SignInLimit, ThrottleCounter>>): Promise<Admission> {
  const limits = Object.keys(SIGN_IN_POLICIES) as SignInLimit[];
  const verdicts = await Promise.all(limits.map((l) => counters[l].attempt(SIGN_IN_POLICIES[l])));
  const refusedBy = limits.filter((_, i) => !verdicts[i]!.ok);
  if (refusedBy.length === 0)
    return {
      ok: true,
      succeeded: async () => {
        await Promise.all([
          counters.pair.reset(),
          counters.address.forgive(ADDRESS_POLICY),
          counters.email.forgive(EMAIL_POLICY),
        ]);
      },
    };
  await Promise.all(limits.filter((l) => !refusedBy.includes(l)).map((l) => counters[l].forgive(SIGN_IN_POLICIES[l])));
  const retryAfterMs = Math.max(...verdicts.map((v) => (v.ok ? 0 : v.retryAfterMs)));
  return { ok: false, retryAfterMs, refusedBy };
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
