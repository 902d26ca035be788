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
import { DeadLetterMessage, ReplayableItem } from '../schemas/queue.schema';

const PARKED_PREFIX = 'parked-dead-letter:';

interface Parked {
  id: string;
  record: DeadLetterRecord;
}

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
    if (msg.attempts >= cfg.DEAD_LETTER_MAX_ATTEMPTS && (await park(env, { id: msg.id, record }))) {
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

/** Keeps a dead letter in KV (no expiry) until D1 takes it; answers whether KV took it. */
async function park(env: Env, parked: Parked): Promise<boolean> {
  try {
    await env.TOKENS.put(`${PARKED_PREFIX}${parked.id}`, JSON.stringify(parked));
    log.error('dead_letter.parked', { tenantId: parked.record.tenantId, id: parked.id });
    return true;
  } catch (err) {
    log.error('dead_letter.park_failed', { id: parked.id, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

/**
 * Scheduled job: moves dead letters parked in KV into D1, where an operator sees them. Stops at the
 * first refusal (D1 still down); the next run carries on. Answers how many moved.
 */
export async function restoreParkedDeadLetters(env: Env): Promise<number> {
  let moved = 0;
  let cursor: string | undefined;
  do {
    const page = await env.TOKENS.list({ prefix: PARKED_PREFIX, ...(cursor ? { cursor } : {}) });
    for (const key of page.keys) {
      const parked = await env.TOKENS.get<Parked>(key.name, 'json');
      if (parked) await recordDeadLetter(env, parked.id, parked.record);
      await env.TOKENS.delete(key.name);
      moved++;
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  if (moved > 0) log.info('dead_letter.restored', { moved });
  return moved;
}
