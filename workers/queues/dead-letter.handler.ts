/**
 * Consumer of `inbound-dlq`: writes every dead letter to D1 (where an operator lists and replays
 * it) and acks. Two producers feed it: conversation objects that gave up on an upstream (their
 * message says why), and the queue itself after max_retries (the original item, reason unknown).
 */
import type { Env } from '../env';
import { recordDeadLetter } from '../db/records.repo';
import { DeadLetterMessage, InboundQueueMessage } from '../schemas/queue.schema';

export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const wrapped = DeadLetterMessage.safeParse(msg.body);
    if (wrapped.success) {
      const d = wrapped.data;
      await recordDeadLetter(env, msg.id, {
        tenantId: d.tenantId,
        queue: d.queue,
        externalId: d.externalId,
        errorCode: d.errorCode,
        errorDetail: d.errorDetail,
        attempts: d.attempts,
        payload: d,
      });
    } else {
      const item = InboundQueueMessage.safeParse(msg.body);
      const tenantId = item.success ? item.data.tenantId : 'unknown';
      const externalId = item.success && item.data.kind === 'wa_message' ? item.data.message.id : undefined;
      await recordDeadLetter(env, msg.id, {
        tenantId,
        queue: 'inbound',
        externalId,
        errorCode: 'queue_retries_exhausted',
        errorDetail: 'the inbound consumer could not hand this item over before the queue gave up',
        attempts: msg.attempts,
        payload: msg.body,
      });
    }
    // Failing here (D1 down) throws, and the queue redelivers the whole batch; the insert is idempotent by message id.
    msg.ack();
  }
}
