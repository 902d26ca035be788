import { describe, expect, it } from 'vitest';
import {
  ADDRESS_POLICY,
  addressKey,
  attempt,
  EMAIL_POLICY,
  FRESH,
  forgive,
  MAX_LOCK_MS,
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

describe('sign-in throttling per email', () => {
  it('lets five attempts through in a minute and refuses the sixth until the minute is over', () => {
    const t0 = 1_000_000;
    const five = tries(FRESH, EMAIL_POLICY, 5, t0);
    expect(five.verdict).toEqual({ ok: true });
    const sixth = attempt(five.state, EMAIL_POLICY, t0 + 10_000);
    expect(sixth.verdict).toEqual({ ok: false, retryAfterMs: 50_000 });
  });

  it('never locks an email beyond the window, however many attempts a stranger keeps making', () => {
    const t0 = 1_000_000;
    let { state } = tries(FRESH, EMAIL_POLICY, 5, t0);
    for (let s = 1; s < 60; s++) {
      const refused = attempt(state, EMAIL_POLICY, t0 + s * 1000);
      expect(refused.verdict).toEqual({ ok: false, retryAfterMs: 60_000 - s * 1000 });
      state = refused.state;
    }
    expect(attempt(state, EMAIL_POLICY, t0 + 60_000).verdict).toEqual({ ok: true });
  });

  it('an attempt forgiven (a success) does not count', () => {
    const t0 = 1_000_000;
    let { state } = tries(FRESH, EMAIL_POLICY, 5, t0);
    state = forgive(state);
    expect(attempt(state, EMAIL_POLICY, t0 + 1).verdict).toEqual({ ok: true });
  });
});

describe('sign-in throttling per client address', () => {
  it('locks for a minute, then two, then four…, up to an hour, while the address keeps flooding', () => {
    let now = 1_000_000;
    let state = FRESH;
    const locks: number[] = [];
    for (let round = 0; round < 9; round++) {
      const flood = tries(state, ADDRESS_POLICY, ADDRESS_POLICY.limit, now);
      expect(flood.verdict).toEqual({ ok: true });
      const refused = attempt(flood.state, ADDRESS_POLICY, now);
      expect(refused.verdict.ok).toBe(false);
      const wait = (refused.verdict as { retryAfterMs: number }).retryAfterMs;
      locks.push(wait / 60_000);
      state = refused.state;
      now += wait;
    }
    expect(locks).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(Math.max(...locks) * 60_000).toBe(MAX_LOCK_MS);
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
