/**
 * Consumer of the `inbound` queue. Hands each customer message to its conversation object (one
 * RPC per conversation per batch, in timestamp order) and records notices in D1. Acks or retries
 * every message explicitly, so one failure never fails the batch: a conversation object that cannot
 * be reached at once nor with a fresh stub, or a notice D1 refused, retries only its own messages,
 * with backoff; after max_retries the queue moves them to `inbound-dlq`.
 *
 * Meta counts customer messages against the number's throughput like sends, so each batch's new
 * messages are debited from the number's budget in the tenant gate: one call per tenant per batch.
 * The same call tells the gate a genuine webhook arrived (the `webhook_silent` alert's signal), so
 * it is made for every tenant the batch has items of, statuses and notices included.
 */
import type { Env } from '../env';
import { recordFailure } from '../db/records.repo';
import { loadTenant } from '../db/tenants.repo';
import { log } from '../lib/log';
import { InboundQueueMessage } from '../schemas/queue.schema';
import { retryLater, settle, withFreshStub } from './settle';
import { setAsideUnreadable } from './unreadable';
import { conversationName } from '../domain/conversation';

export async function handleInbound(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  /** New (not duplicate) customer messages per tenant in this batch; every tenant with items is listed. */
  const arrived = new Map<string, number>();
  const groups = new Map<string, Array<{ msg: Message<unknown>; body: InboundQueueMessage }>>();
  for (const msg of batch.messages) {
    const parsed = InboundQueueMessage.safeParse(msg.body);
    if (!parsed.success) {
      await settle(env, msg, () => setAsideUnreadable(env, msg, 'inbound', parsed.error.message));
      continue;
    }
    const body = parsed.data;
    if (!arrived.has(body.tenantId)) arrived.set(body.tenantId, 0);
    if (body.kind === 'wa_notice') {
      const first = body.errors?.[0];
      await settle(env, msg, () =>
        recordFailure(env, {
          tenantId: body.tenantId,
          direction: 'inbound',
          code: body.errors ? 'whatsapp_error' : 'unhandled_webhook_field',
          detail: first
            ? `${first.code}: ${first.title ?? first.message ?? ''}`
            : `field "${body.field}" is not acted on`,
          payload: body,
        }),
      );
      continue;
    }
    const key = conversationName(body.tenantId, body.waId);
    const group = groups.get(key) ?? [];
    group.push({ msg, body });
    groups.set(key, group);
  }

  await Promise.all(
    [...groups].map(async ([name, group]) => {
      try {
        const messages = group
          .flatMap(({ body }) => (body.kind === 'wa_message' ? [body] : []))
          .sort((a, b) => Number(a.message.timestamp) - Number(b.message.timestamp));
        await withFreshStub(async () => {
          const stub = env.CONVERSATION.getByName(name);
          if (messages.length > 0) {
            const { accepted } = await stub.acceptInbound(messages);
            const tenantId = messages[0]!.tenantId;
            arrived.set(tenantId, (arrived.get(tenantId) ?? 0) + accepted.length);
          }
          for (const { body } of group) if (body.kind === 'wa_status') await stub.recordStatus(body);
        });
        for (const { msg } of group) msg.ack();
      } catch (err) {
        log.error('queue.inbound.conversation_unavailable', {
          conversation: name.split(':')[0],
          error: err instanceof Error ? err.message : String(err),
        });
        for (const { msg } of group) retryLater(env, msg);
      }
    }),
  );
  const arrivedAt = Date.now();
  await Promise.all([...arrived].map(([tenantId, count]) => debitNumber(env, tenantId, count, arrivedAt)));
}

/**
 * Takes `count` customer messages from the number's WhatsApp budget and notes the webhook's
 * arrival; pacing and an alert signal only, so a failure is logged, not retried.
 */
async function debitNumber(env: Env, tenantId: string, count: number, arrivedAt: number): Promise<void> {
  try {
    const tenant = await loadTenant(env, tenantId);
    if (!tenant) return;
    await env.TENANT_GATE.getByName(tenantId).debitWhatsapp(count, tenant.whatsapp.messagesPerSecond, arrivedAt);
  } catch (err) {
    log.warn('queue.inbound.debit_failed', { tenantId, error: err instanceof Error ? err.message : String(err) });
  }
}
