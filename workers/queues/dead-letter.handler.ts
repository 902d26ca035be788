/**
 * Consumer of `inbound-dlq` and `outbound-dlq`: writes every dead letter to D1 (where an operator lists and replays
 * it) and acks. Two producers feed it: conversation objects that gave up on an upstream (their
 * message says why), and the queue itself after max_retries (the original item, reason unknown).
 */
import type { Env } from '../env';
import { recordDeadLetter } from '../db/records.repo';
import { DeadLetterMessage, ReplayableItem } from '../schemas/queue.schema';

/** `queue` is the queue the dead letters came from: `inbound` or `outbound`. */
export async function handleDeadLetters(
  batch: MessageBatch<unknown>,
  env: Env,
  queue: 'inbound' | 'outbound',
): Promise<void> {
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
      const item = ReplayableItem.safeParse(msg.body);
      const tenantId = item.success ? item.data.tenantId : 'unknown';
      const externalId = !item.success
        ? undefined
        : item.data.kind === 'wa_message' || item.data.kind === 'gc_message'
          ? item.data.message.id
          : undefined;
      await recordDeadLetter(env, msg.id, {
        tenantId,
        queue,
        externalId,
        errorCode: 'queue_retries_exhausted',
        errorDetail: `the ${queue} consumer could not hand this item over before the queue gave up`,
        attempts: msg.attempts,
        payload: msg.body,
      });
    }
    // Failing here (D1 down) throws, and the queue redelivers the whole batch; the insert is idempotent by message id.
    msg.ack();
  }
}
