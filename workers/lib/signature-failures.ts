/**
 * Counting forged WhatsApp webhooks per tenant for the `signature_failures` alert without a write
 * per forged request: each isolate counts in memory and reports the count to the tenant's gate at
 * most once per ALERT_SIGNATURE_FLUSH_MS per tenant (the report carries everything counted since
 * the last one). What an isolate counted after its last report is lost if it is evicted and no
 * further forged request comes; an alert about a spike does not need every request.
 */
import { config, type Env } from '../env';
import { log } from './log';

/** Tenants tracked per isolate; past this, the oldest entry goes (its unreported count with it). */
const MAX_TENANTS = 1000;

/** Per tenant: forged requests not yet reported, and when the last report went. */
export class SignatureFailureCounter {
  private readonly entries = new Map<string, { pending: number; reportedAt: number }>();

  constructor(private readonly intervalMs: number) {}

  /** Counts one forged request; answers the count to report now, or 0 to keep counting. */
  add(tenantId: string, now: number): number {
    let entry = this.entries.get(tenantId);
    if (!entry) {
      if (this.entries.size >= MAX_TENANTS) this.entries.delete(this.entries.keys().next().value!);
      entry = { pending: 0, reportedAt: Number.NEGATIVE_INFINITY };
      this.entries.set(tenantId, entry);
    }
    entry.pending++;
    if (now - entry.reportedAt < this.intervalMs) return 0;
    const count = entry.pending;
    entry.pending = 0;
    entry.reportedAt = now;
    return count;
  }
}

let counter: SignatureFailureCounter | undefined;

/** Counts a webhook that `tenantId`'s app secret did not sign; reports to its gate when due. Never throws. */
export async function countSignatureFailure(env: Env, tenantId: string): Promise<void> {
  counter ??= new SignatureFailureCounter(config(env).ALERT_SIGNATURE_FLUSH_MS);
  const count = counter.add(tenantId, Date.now());
  if (count === 0) return;
  try {
    await env.TENANT_GATE.getByName(tenantId).countSignatureFailures(count);
  } catch (err) {
    log.warn('webhook.whatsapp.signature_count_failed', {
      tenantId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
