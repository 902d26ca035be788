/**
 * Consumer of the `outbound` queue: hands agent messages to their conversation object (the
 * customer is `channel.to.id`), one RPC per conversation per batch, in arrival order.
 * A conversation that cannot be reached, at once nor with a fresh stub, retries only its own messages.
 */
import type { Env } from '../env';
import { log } from '../lib/log';
import { OutboundQueueMessage } from '../schemas/queue.schema';
import { retryLater, settle, withFreshStub } from './settle';
import { setAsideUnreadable } from './unreadable';
import { conversationName } from '../domain/conversation';

export async function handleOutbound(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const groups = new Map<string, Array<{ msg: Message<unknown>; body: OutboundQueueMessage }>>();
  for (const msg of batch.messages) {
    const parsed = OutboundQueueMessage.safeParse(msg.body);
    const waId = parsed.success ? parsed.data.message.channel.to.id.replace(/\D/g, '') : '';
    if (!parsed.success || !waId) {
      const detail = parsed.success ? 'no customer number in channel.to.id' : parsed.error.message;
      await settle(env, msg, () => setAsideUnreadable(env, msg, 'outbound', detail));
      continue;
    }
    const key = conversationName(parsed.data.tenantId, waId);
    const group = groups.get(key) ?? [];
    group.push({ msg, body: parsed.data });
    groups.set(key, group);
  }
  await Promise.all(
    [...groups].map(async ([name, group]) => {
      try {
        await withFreshStub(() => env.CONVERSATION.getByName(name).acceptOutbound(group.map((g) => g.body)));
        for (const { msg } of group) msg.ack();
      } catch (err) {
        log.error('queue.outbound.conversation_unavailable', {
          tenantId: name.split(':')[0],
          error: err instanceof Error ? err.message : String(err),
        });
        for (const { msg } of group) retryLater(env, msg);
      }
    }),
  );
}
