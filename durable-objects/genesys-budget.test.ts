/**
 * One client's Genesys budget in leases (pure; times are given, not waited for).
 */
import { describe, expect, it } from 'vitest';
import { GenesysBudget, leaseDuration, MAX_LEASE_PERMITS } from './genesys-budget';

const WINDOW = 60_000;
const T0 = 1_000_000;

function spend(budget: GenesysBudget, holder: string, want: number, now = T0) {
  const lease = budget.grant(holder, want, now);
  if (!lease.ok) throw new Error(`refused: wait ${lease.waitMs}`);
  return lease;
}

describe('leases of Genesys permits', () => {
  it('carry what the holder has due, at most 50, and live a twelfth of the window (5 s of a minute)', () => {
    const budget = new GenesysBudget(300, WINDOW);
    expect(spend(budget, 'a', 3)).toMatchObject({ permits: 3, expiresAt: T0 + 5000 });
    expect(spend(budget, 'b', 0).permits).toBe(1);
    expect(spend(budget, 'c', 500).permits).toBe(MAX_LEASE_PERMITS);
    expect(leaseDuration(6000)).toBe(500);
    expect(leaseDuration(1000)).toBe(200);
  });

  it('hand out the whole window budget and no more, then say to come back within one lease', () => {
    const budget = new GenesysBudget(300, WINDOW);
    for (let i = 0; i < 6; i++) spend(budget, `c${i}`, 50);
    expect(budget.used(T0)).toBe(300);
    const refused = budget.grant('late', 1, T0 + 10);
    expect(refused).toEqual({ ok: false, waitMs: leaseDuration(WINDOW) });
  });

  it('count each permit until one window after its lease ends, since it may be spent at the last moment', () => {
    const budget = new GenesysBudget(300, WINDOW);
    for (let i = 0; i < 6; i++) spend(budget, `c${i}`, 50);
    const end = T0 + leaseDuration(WINDOW);
    expect(budget.grant('late', 1, end + WINDOW - 1)).toMatchObject({ ok: false });
    expect(budget.grant('late', 1, end + WINDOW - 1)).toEqual({ ok: false, waitMs: 1 });
    expect(budget.grant('late', 1, end + WINDOW)).toMatchObject({ ok: true, permits: 1 });
  });

  it('permits given back stop counting at once, so another conversation can use them', () => {
    const budget = new GenesysBudget(300, WINDOW);
    const leases = Array.from({ length: 6 }, (_, i) => spend(budget, `c${i}`, 50));
    expect(budget.grant('other', 10, T0 + 1).ok).toBe(false);
    budget.giveBack(leases[0]!.leaseId, 48);
    expect(budget.used(T0 + 2)).toBe(252);
    expect(spend(budget, 'other', 10, T0 + 2).permits).toBe(10);
    budget.giveBack('unknown-lease', 50);
    budget.giveBack(leases[1]!.leaseId, 500);
    expect(budget.used(T0 + 3)).toBe(262 - 50);
  });

  it('split the budget between the conversations holding live leases, so one busy conversation cannot take it all', () => {
    const budget = new GenesysBudget(300, WINDOW);
    for (let i = 0; i < 9; i++) spend(budget, `quiet-${i}`, 1);
    expect(spend(budget, 'busy', 500).permits).toBe(30);
    // Once those leases have ended, a conversation alone may take a full lease again.
    expect(spend(budget, 'busy', 500, T0 + leaseDuration(WINDOW)).permits).toBe(MAX_LEASE_PERMITS);
  });
});
