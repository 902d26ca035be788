/**
 * Sending a dead letter through the bridge again: its item goes back on the queue it came from
 * (marked `replay`, so the conversation object lets it past deduplication once) and the row is
 * marked replayed. The one replay used by the single and the bulk admin routes.
 */
import type { Env } from '../env';
import { markReplayed } from '../db/records.repo';
import { DeadLetterMessage, ReplayableItem } from '../schemas/queue.schema';

export type ReplayOutcome = 'replayed' | 'not_replayable';

/** Re-queues the dead letter `row` of `tenantId`; `not_replayable` when it holds no item of this tenant. */
export async function replayDeadLetter(
  env: Env,
  tenantId: string,
  row: { id: string; payload: string },
): Promise<ReplayOutcome> {
  let stored: unknown;
  try {
    stored = JSON.parse(row.payload);
  } catch {
    return 'not_replayable';
  }
  // A dead letter holds either the original queue item, or the item wrapped with its error.
  const wrapped = DeadLetterMessage.safeParse(stored);
  const item = ReplayableItem.safeParse(wrapped.success ? wrapped.data.item : stored);
  if (!item.success || item.data.tenantId !== tenantId) return 'not_replayable';
  const data = item.data;
  if (data.kind === 'gc_message') await env.OUTBOUND_QUEUE.send({ ...data, replay: true }, { contentType: 'json' });
  else
    await env.INBOUND_QUEUE.send(data.kind === 'wa_message' ? { ...data, replay: true } : data, {
      contentType: 'json',
    });
  await markReplayed(env, tenantId, row.id);
  return 'replayed';
}
