/**
 * Per-tenant request budgets on Cloudflare's Rate Limiting binding (fixed windows, counted at the
 * edge location). Keys are tenant ids, so each tenant has its own budget.
 */
import { AppError } from '../domain/errors';

/** Seconds in the binding's window (wrangler.toml `simple.period`); what Retry-After tells callers. */
const PERIOD_SECONDS = 60;

export async function enforceTenantBudget(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) {
    throw new AppError('rate_limited', 429, 'too many requests for this tenant; retry later', undefined, {
      'retry-after': String(PERIOD_SECONDS),
    });
  }
}
