/**
 * Consumer of `inbound-dlq` and `outbound-dlq`: writes every dead letter to D1 (where an operator lists and replays
 * it) and acks. Two producers feed it: conversation objects that gave up on an upstream (their
 * message says why), and the queue itself after max_retries (the original item, reason unknown).
 *
 * A dead letter is the last copy of a message, so it is acked only once it is kept somewhere:
 * while D1 refuses it, it is retried alone with a backoff of minutes to an hour; after
 * DEAD_LETTER_MAX_ATTEMPTS it is parked in KV, and the scheduled job moves it into D1 when D1 answers.
 */
import { config, type Env } from '../env';
import { type DeadLetterRecord, recordDeadLetter } from '../db/records.repo';
import { backoffMs } from '../domain/retry';
import { log } from '../lib/log';
import { parkDeadLetter } from '../lib/parked-dead-letters';
import { DeadLetterMessage, ReplayableItem } from '../schemas/queue.schema';

/** `queue` is the queue the dead letters came from: `inbound` or `outbound`. */
export async function handleDeadLetters(
  batch: MessageBatch<unknown>,
  env: Env,
  queue: 'inbound' | 'outbound',
): Promise<void> {
  const cfg = config(env);
  for (const msg of batch.messages) {
    const record = deadLetterRecord(msg, queue);
    try {
      // Idempotent by message id: a redelivered dead letter writes the same row once.
      await recordDeadLetter(env, msg.id, record);
      msg.ack();
      continue;
    } catch (err) {
      log.error('dead_letter.store_failed', {
        tenantId: record.tenantId,
        attempts: msg.attempts,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    if (msg.attempts >= cfg.DEAD_LETTER_MAX_ATTEMPTS && (await parkDeadLetter(env, msg.id, record))) {
      msg.ack();
      continue;
    }
    const delayMs = Math.max(
      cfg.DEAD_LETTER_RETRY_BASE_MS,
      backoffMs(msg.attempts, cfg.DEAD_LETTER_RETRY_BASE_MS, undefined, cfg.DEAD_LETTER_RETRY_CAP_MS),
    );
    msg.retry({ delaySeconds: Math.max(1, Math.ceil(delayMs / 1000)) });
  }
}

function deadLetterRecord(msg: Message<unknown>, queue: 'inbound' | 'outbound'): DeadLetterRecord {
  const wrapped = DeadLetterMessage.safeParse(msg.body);
  if (wrapped.success) {
    const d = wrapped.data;
    return {
      tenantId: d.tenantId,
      queue: d.queue,
      externalId: d.externalId,
      errorCode: d.errorCode,
      errorDetail: d.errorDetail,
      attempts: d.attempts,
      payload: d,
    };
  }
  const item = ReplayableItem.safeParse(msg.body);
  const externalId = !item.success
    ? undefined
    : item.data.kind === 'wa_message' || item.data.kind === 'gc_message'
      ? item.data.message.id
      : undefined;
  return {
    tenantId: item.success ? item.data.tenantId : 'unknown',
    queue,
    externalId,
    errorCode: 'queue_retries_exhausted',
    errorDetail: `the ${queue} consumer could not hand this item over before the queue gave up`,
    attempts: msg.attempts,
    payload: msg.body,
  };
}
