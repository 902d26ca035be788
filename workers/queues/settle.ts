/**
 * How a consumer finishes one queue message: acked once its work is done, retried alone (with
 * backoff) when it could not be — never by failing the whole batch, which would redeliver other
 * tenants' messages with it.
 */
import { config, type Env } from '../env';
import { backoffMs } from '../domain/retry';
import { log } from '../lib/log';

/** Runs `work` for `msg`: ack when it succeeds, retry only this message when it throws. */
export async function settle(env: Env, msg: Message<unknown>, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
    msg.ack();
  } catch (err) {
    log.warn('queue.message_retry', {
      attempts: msg.attempts,
      error: err instanceof Error ? err.message : String(err),
    });
    retryLater(env, msg);
  }
}

/** Retries one message after a backoff that grows with its attempts (at least a second: the queue's unit). */
export function retryLater(env: Env, msg: Message<unknown>): void {
  msg.retry({ delaySeconds: Math.max(1, Math.ceil(backoffMs(msg.attempts, config(env).RETRY_BASE_MS) / 1000)) });
}

/**
 * Runs a call to a conversation object, and once more at once if it fails: a stub that broke (its
 * object restarted, was evicted or moved) is replaced by a new one, as Cloudflare advises, instead
 * of waiting for the queue's retry (a second at least), during which later messages of the same
 * customer would overtake this one. `call` must get its stub itself and be safe to repeat (the
 * objects deduplicate what they accept). An object that says it is overloaded is not asked again.
 */
export async function withFreshStub<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if ((err as { overloaded?: unknown } | null)?.overloaded === true) throw err;
    log.warn('queue.conversation_retried', { error: err instanceof Error ? err.message : String(err) });
    return call();
  }
}
