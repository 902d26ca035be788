/**
 * Pacing of WhatsApp sends, part of the outbound lane: each send needs a permit from the customer's
 * pair rate (a token bucket in the conversation's meta, so bursts queue instead of earning 131056)
 * and from the number (the tenant gate: messages per second and holds). Answers how long to wait.
 */
import { config } from '../workers/env';
import type { Tenant } from '../workers/db/tenants.repo';
import { conversationName } from '../workers/domain/conversation';
import { refill, take, type Bucket } from '../workers/domain/token-bucket';
import type { ConversationHost } from './conversation.types';

/** Waits, in ms, before one more send may go (0: go now, and the permits are spent). */
export async function sendPermit(host: ConversationHost, tenant: Tenant, waId: string, now: number): Promise<number> {
  const cfg = config(host.env);
  const stored = host.getMeta('pair_bucket');
  const bucket = refill(
    stored ? (JSON.parse(stored) as Bucket) : undefined,
    now,
    Math.max(1, cfg.PAIR_BURST),
    cfg.PAIR_INTERVAL_MS,
  );
  const pair = take(bucket, 1, cfg.PAIR_INTERVAL_MS);
  if (!pair.ok) return pair.waitMs;
  const waiter = { phoneNumberId: tenant.whatsapp.phoneNumberId, waiter: conversationName(tenant.id, waId) };
  const number = await host.env.TENANT_GATE.getByName(tenant.id).acquireWhatsapp(
    1,
    tenant.whatsapp.messagesPerSecond,
    waiter,
  );
  if (!number.ok) return number.waitMs;
  host.setMeta('pair_bucket', JSON.stringify(pair.bucket));
  return 0;
}
