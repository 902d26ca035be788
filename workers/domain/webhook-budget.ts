/**
 * How many webhooks a tenant's WhatsApp number may legitimately cause, per minute. Pure; the
 * limiter bindings that enforce it are picked in lib/tenant-budget.ts and configured in wrangler.toml.
 *
 * Meta caps a number at `messagesPerSecond` (80 by default, up to 1000), inbound included. Each
 * message the number sends can come back as up to three status webhooks (sent, delivered, read)
 * and each customer message is one more, so a number at full throughput makes Meta post up to
 * 4 × mps webhooks a second. The budget never goes below that, or the bridge would refuse Meta
 * traffic it cannot avoid (and Meta would retry it, adding to the next minute).
 */

/** Webhooks Meta may post per message of throughput: three statuses of a send, or one customer message. */
export const WEBHOOKS_PER_MESSAGE = 4;

/**
 * Throughput tiers, in messages per second. A Rate Limiting binding's limit is fixed in config,
 * so each tier is one binding (wrangler.toml `WEBHOOK_RATE_LIMIT_<tier>`); a number uses the
 * smallest tier at or above its own throughput, so its budget is never below what it can cause.
 */
export const WEBHOOK_TIERS = [80, 250, 500, 1000] as const;
export type WebhookTier = (typeof WEBHOOK_TIERS)[number];

/** The tier whose budget covers a number sending `messagesPerSecond` (the largest beyond it). */
export function webhookTier(messagesPerSecond: number): WebhookTier {
  return WEBHOOK_TIERS.find((tier) => tier >= messagesPerSecond) ?? WEBHOOK_TIERS[WEBHOOK_TIERS.length - 1]!;
}

/** The fewest webhooks per minute a tier's binding must allow: 4 × mps × 60 (80 mps → 19 200). */
export function webhookBudgetPerMinute(tier: WebhookTier): number {
  return WEBHOOKS_PER_MESSAGE * tier * 60;
}
