import { describe, expect, it } from 'vitest';
import { WEBHOOK_TIERS, webhookBudgetPerMinute, webhookTier } from './webhook-budget';

describe("a number's webhook budget", () => {
  it('is the smallest throughput tier at or above the number, so it never falls below what Meta can send', () => {
    expect(webhookTier(1)).toBe(80);
    expect(webhookTier(80)).toBe(80);
    expect(webhookTier(81)).toBe(250);
    expect(webhookTier(250)).toBe(250);
    expect(webhookTier(400)).toBe(500);
    expect(webhookTier(1000)).toBe(1000);
    for (let mps = 1; mps <= 1000; mps++)
      expect(webhookBudgetPerMinute(webhookTier(mps))).toBeGreaterThanOrEqual(4 * mps * 60);
  });

  it('allows four webhooks per message of throughput a minute: three statuses of a send, or a customer message', () => {
    expect(WEBHOOK_TIERS.map(webhookBudgetPerMinute)).toEqual([19_200, 60_000, 120_000, 240_000]);
  });
});
