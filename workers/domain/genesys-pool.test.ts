import { describe, expect, it } from 'vitest';
import { budgetShardName, clientEntryFor, DEFAULT_CLIENT_ENTRY } from './genesys-pool';

const conversations = Array.from({ length: 3000 }, (_, i) => `tenant-1:4477009${String(i).padStart(5, '0')}`);

describe('which OAuth client a conversation uses', () => {
  it('is the default one while the tenant has no other', () => {
    expect(clientEntryFor('tenant-1:447700900123', [DEFAULT_CLIENT_ENTRY])).toBe(DEFAULT_CLIENT_ENTRY);
    expect(clientEntryFor('tenant-1:447700900123', [])).toBe(DEFAULT_CLIENT_ENTRY);
  });

  it('is stable: the same conversation always gets the same client, whatever the order of the list', () => {
    const entries = [DEFAULT_CLIENT_ENTRY, 'a1', 'b2'];
    for (const name of conversations.slice(0, 200))
      expect(clientEntryFor(name, entries)).toBe(clientEntryFor(name, [...entries].reverse()));
  });

  it('spreads conversations evenly over the clients', () => {
    const entries = [DEFAULT_CLIENT_ENTRY, 'a1', 'b2'];
    const counts = new Map<string, number>();
    for (const name of conversations) {
      const entry = clientEntryFor(name, entries);
      counts.set(entry, (counts.get(entry) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...entries].sort());
    for (const n of counts.values()) expect(n / conversations.length).toBeGreaterThan(0.28);
  });

  it('moves only the conversations of a removed client, and to a new client only its share', () => {
    const before = new Map(conversations.map((n) => [n, clientEntryFor(n, [DEFAULT_CLIENT_ENTRY, 'a1', 'b2'])]));
    for (const name of conversations) {
      const after = clientEntryFor(name, [DEFAULT_CLIENT_ENTRY, 'b2']);
      if (before.get(name) !== 'a1') expect(after).toBe(before.get(name));
    }
    let moved = 0;
    for (const name of conversations) {
      const after = clientEntryFor(name, [DEFAULT_CLIENT_ENTRY, 'a1', 'b2', 'c3']);
      if (after !== before.get(name)) {
        expect(after).toBe('c3');
        moved++;
      }
    }
    expect(moved / conversations.length).toBeGreaterThan(0.18);
    expect(moved / conversations.length).toBeLessThan(0.32);
  });
});

describe('where a client budget is kept', () => {
  it("the default client's in the tenant's own gate, every other client's in a gate of its own", () => {
    expect(budgetShardName('t1', DEFAULT_CLIENT_ENTRY)).toBe('t1');
    expect(budgetShardName('t1', 'a1')).toBe('t1:genesys:a1');
    expect(budgetShardName('t1', 'a1')).not.toBe(budgetShardName('t1', 'b2'));
  });
});
