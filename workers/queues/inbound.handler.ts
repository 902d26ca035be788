/**
 * Consumer of the `inbound` queue. Hands each customer message to its conversation object (one
 * RPC per conversation per batch, in timestamp order) and records notices in D1. Acks or retries
 * every message explicitly, so one failure never fails the batch: a conversation object that cannot
 * be reached at once nor with a fresh stub, or a notice D1 refused, retries only its own messages,
 * with backoff; after max_retries the queue moves them to `inbound-dlq`.
 */
import type { Env } from '../env';
import { recordFailure } from '../db/records.repo';
import { log } from '../lib/log';
import { InboundQueueMessage } from '../schemas/queue.schema';
import { retryLater, settle, withFreshStub } from './settle';
import { setAsideUnreadable } from './unreadable';
import { conversationName } from '../domain/conversation';

export async function handleInbound(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const groups = new Map<string, Array<{ msg: Message<unknown>; body: InboundQueueMessage }>>();
  for (const msg of batch.messages) {
    const parsed = InboundQueueMessage.safeParse(msg.body);
    if (!parsed.success) {
      await settle(env, msg, () => setAsideUnreadable(env, msg, 'inbound', parsed.error.message));
      continue;
    }
    const body = parsed.data;
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
          if (messages.length > 0) await stub.acceptInbound(messages);
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
}
