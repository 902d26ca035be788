import { describe, expect, it } from 'vitest';
import {
  ADDRESS_POLICY,
  addressKey,
  admit,
  attempt,
  EMAIL_POLICY,
  FRESH,
  forgive,
  MAX_LOCK_MS,
  PAIR_POLICY,
  type ThrottleCounter,
  type ThrottlePolicy,
  type ThrottleState,
  type Verdict,
} from './sign-in-throttle';

/** Runs `n` attempts at `now`, answering the last verdict and the state after them. */
function tries(state: ThrottleState, policy: ThrottlePolicy, n: number, now: number) {
  let verdict: Verdict = { ok: true };
  for (let i = 0; i < n; i++) ({ state, verdict } = attempt(state, policy, now));
  return { state, verdict };
}

/**
 * The guard's counters in memory, all on one clock the test moves: `signIn(email, address)` is
 * what the Worker's sign-in guard does with its Durable Objects.
 */
function world(start: number) {
  const clock = { now: start };
  const states = new Map<string, ThrottleState>();
  const counter = (key: string): ThrottleCounter => ({
    attempt: async (policy) => {
      const next = attempt(states.get(key) ?? FRESH, policy, clock.now);
      states.set(key, next.state);
      return next.verdict;
    },
    forgive: async () => {
      const state = states.get(key);
      if (state) states.set(key, forgive(state));
    },
    reset: async () => {
      states.delete(key);
    },
  });
  const signIn = (email: string, address: string) =>
    admit({
      pair: counter(`pair:${email}:${address}`),
      address: counter(`address:${address}`),
      email: counter(`email:${email}`),
    });
  return { clock, signIn };
}

describe('sign-in throttling per email and address', () => {
  it('lets five attempts through in a minute and refuses the sixth for a minute', () => {
    const t0 = 1_000_000;
    const five = tries(FRESH, PAIR_POLICY, 5, t0);
    expect(five.verdict).toEqual({ ok: true });
    const sixth = attempt(five.state, PAIR_POLICY, t0 + 10_000);
    expect(sixth.verdict).toEqual({ ok: false, retryAfterMs: 60_000 });
  });

  it('an attempt forgiven (a success) does not count', () => {
    const t0 = 1_000_000;
    let { state } = tries(FRESH, PAIR_POLICY, 5, t0);
    state = forgive(state);
    expect(attempt(state, PAIR_POLICY, t0 + 1).verdict).toEqual({ ok: true });
  });

  it('a sustained attack from one address, firing again whenever Retry-After says, never locks the owner out', async () => {
    const { clock, signIn } = world(1_000_000);
    const waits: number[] = [];
    // Twelve rounds reach the hour-long locks: more than six hours of attack.
    for (let round = 0; round < 12; round++) {
      let guesses = 0;
      let refused = await signIn('owner@example.com', '203.0.113.66');
      while (refused.ok) {
        guesses++;
        refused = await signIn('owner@example.com', '203.0.113.66');
      }
      expect(guesses).toBeLessThanOrEqual(PAIR_POLICY.limit);
      expect(refused.refusedBy).toEqual(['pair']);
      waits.push(refused.retryAfterMs / 60_000);

      // Meanwhile, the owner from their own address: admitted, and the right password goes through.
      const owner = await signIn('owner@example.com', '198.51.100.7');
      expect(owner.ok).toBe(true);
      if (owner.ok) await owner.succeeded();

      clock.now += refused.retryAfterMs;
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]);
  });

  it('locks for a minute, then two, then four…, up to an hour, while the pair keeps going', () => {
    let now = 1_000_000;
    let state = FRESH;
    const locks: number[] = [];
    for (let round = 0; round < 9; round++) {
      const burst = tries(state, PAIR_POLICY, PAIR_POLICY.limit, now);
      expect(burst.verdict).toEqual({ ok: true });
      const refused = attempt(burst.state, PAIR_POLICY, now);
      const wait = (refused.verdict as { retryAfterMs: number }).retryAfterMs;
      locks.push(wait / 60_000);
      state = refused.state;
      now += wait;
    }
    expect(locks).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(Math.max(...locks) * 60_000).toBe(MAX_LOCK_MS);
  });
});

describe('the per-email ceiling (guessing spread over many addresses)', () => {
  it('refuses the email from every address, the owner’s too, once a hundred attempts fail in ten minutes — the trade-off', async () => {
    const { clock, signIn } = world(1_000_000);
    for (let i = 0; i < EMAIL_POLICY.limit; i++) {
      clock.now += 1000;
      expect((await signIn('owner@example.com', `192.0.2.${i}`)).ok).toBe(true);
    }
    const owner = await signIn('owner@example.com', '198.51.100.7');
    expect(owner).toEqual({ ok: false, retryAfterMs: 10 * 60_000, refusedBy: ['email'] });
    // Other emails are not affected, and neither is the owner once the lock is over.
    expect((await signIn('colleague@example.com', '198.51.100.7')).ok).toBe(true);
    clock.now += 10 * 60_000;
    expect((await signIn('owner@example.com', '198.51.100.7')).ok).toBe(true);
  });

  it('is never reached from one address: refused attempts are no guesses', async () => {
    const { clock, signIn } = world(1_000_000);
    let guesses = 0;
    // One try a second for a thousand seconds, whatever Retry-After says.
    for (let i = 0; i < 1000; i++) {
      const result = await signIn('owner@example.com', '203.0.113.66');
      if (result.ok) guesses++;
      else expect(result.refusedBy).toEqual(['pair']);
      clock.now += 1000;
    }
    // Bursts of five at 0, 1, 3, 7 and 15 minutes.
    expect(guesses).toBe(25);
  });
});

describe('sign-in throttling per client address', () => {
  it('stops one address guessing across many emails, and other addresses are not affected', async () => {
    const { signIn } = world(1_000_000);
    for (let i = 0; i < ADDRESS_POLICY.limit; i++)
      expect((await signIn(`user${i}@example.com`, '203.0.113.9')).ok).toBe(true);
    expect(await signIn('owner@example.com', '203.0.113.9')).toEqual({
      ok: false,
      retryAfterMs: 60_000,
      refusedBy: ['address'],
    });
    expect((await signIn('owner@example.com', '198.51.100.7')).ok).toBe(true);
  });

  it('starts over at one minute after six quiet hours', () => {
    let now = 1_000_000;
    let { state } = tries(FRESH, ADDRESS_POLICY, ADDRESS_POLICY.limit + 1, now);
    now += 60_000;
    ({ state } = tries(state, ADDRESS_POLICY, ADDRESS_POLICY.limit + 1, now));
    expect(state.strikes).toBe(2);
    now += 7 * 3600_000;
    const again = tries(state, ADDRESS_POLICY, ADDRESS_POLICY.limit + 1, now);
    expect(again.verdict).toEqual({ ok: false, retryAfterMs: 60_000 });
  });

  it('counts IPv4 per address and IPv6 per /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:12::1')).toBe('2001:db8:0:12::/64');
    expect(addressKey('2001:0db8:0000:0012:abcd:ef01:2345:6789')).toBe('2001:db8:0:12::/64');
    expect(addressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
