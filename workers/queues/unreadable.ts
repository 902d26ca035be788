/**
 * A queue message no consumer can use (written by an older or broken producer): kept for an
 * operator as a failure record, so the queue does not retry it forever. Throws when D1 refuses the
 * record; the caller retries the message then.
 */
import type { Env } from '../env';
import { recordFailure } from '../db/records.repo';

export async function setAsideUnreadable(
  env: Env,
  msg: Message<unknown>,
  direction: 'inbound' | 'outbound',
  detail: string,
): Promise<void> {
  const claimed = (msg.body as { tenantId?: unknown } | null)?.tenantId;
  const tenantId = typeof claimed === 'string' ? claimed : 'unknown';
  await recordFailure(env, {
    tenantId,
    direction,
    code: 'invalid_queue_message',
    detail: detail.slice(0, 300),
    payload: msg.body,
  });
}
