/**
 * Per-tenant request budgets on Cloudflare's Rate Limiting binding (fixed windows, counted at the
 * edge location). Keys name the tenant, so each tenant has its own budget.
 *
 * Webhooks are budgeted by the tenant's WhatsApp number (domain/webhook-budget.ts): one binding per
 * throughput tier, because a binding's limit is fixed in wrangler.toml. Counting in a Durable Object
 * instead would let the limit follow `messagesPerSecond` exactly, but it would put one object on the
 * path of every webhook of a number — up to 4 000 a second at 1000 mps, beyond what one object
 * serves (about 1000 requests a second) — and add a round trip to every acknowledgement. The
 * bindings answer locally and scale with the edge; a tier's budget only errs on the generous side.
 */
import { AppError } from '../domain/errors';
import { webhookTier, type WebhookTier } from '../domain/webhook-budget';
import type { Env } from '../env';

/** Seconds in the bindings' window (wrangler.toml `simple.period`); what Retry-After tells callers. */
const PERIOD_SECONDS = 60;

export async function enforceTenantBudget(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) {
    throw new AppError('rate_limited', 429, 'too many requests for this tenant; retry later', undefined, {
      'retry-after': String(PERIOD_SECONDS),
    });
  }
}

/**
 * The webhook budget of a number sending `messagesPerSecond`. WhatsApp and Genesys webhooks count
 * under different keys of it (`whatsapp:` / `genesys:` + tenant id), so agents' traffic never eats
 * into what Meta may legitimately send.
 */
export function webhookLimiter(env: Env, messagesPerSecond: number): RateLimit {
  const limiters: Record<WebhookTier, RateLimit> = {
    80: env.WEBHOOK_RATE_LIMIT_80,
    250: env.WEBHOOK_RATE_LIMIT_250,
    500: env.WEBHOOK_RATE_LIMIT_500,
    1000: env.WEBHOOK_RATE_LIMIT_1000,
  };
  return limiters[webhookTier(messagesPerSecond)];
}
