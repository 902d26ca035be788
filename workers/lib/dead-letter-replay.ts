/**
 * Sending a dead letter through the bridge again: its item goes back on the queue it came from
 * (marked `replay`, so the conversation object lets it past deduplication once) and the row is
 * marked replayed. The one replay used by the single and the bulk admin routes.
 */
import type { Env } from '../env';
import { claimReplay, releaseReplay } from '../db/records.repo';
import { DeadLetterMessage, ReplayableItem } from '../schemas/queue.schema';

export type ReplayOutcome = 'replayed' | 'not_replayable' | 'already_replayed';

/**
 * Re-queues the dead letter `row` of `tenantId`; `not_replayable` when it holds no item of this
 * tenant; `already_replayed` when another replay claimed it since `row` was read (the row is
 * claimed before the item is queued, so two replays racing never send it twice).
 */
export async function replayDeadLetter(
  env: Env,
  tenantId: string,
  row: { id: string; payload: string; replayedAt: number | null },
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
  const at = Date.now();
  if (!(await claimReplay(env, tenantId, row.id, row.replayedAt, at))) return 'already_replayed';
  try {
    if (data.kind === 'gc_message') await env.OUTBOUND_QUEUE.send({ ...data, replay: true }, { contentType: 'json' });
    else
      await env.INBOUND_QUEUE.send(data.kind === 'wa_message' ? { ...data, replay: true } : data, {
        contentType: 'json',
      });
  } catch (err) {
    await releaseReplay(env, tenantId, row.id, row.replayedAt, at);
    throw err;
  }
  return 'replayed';
}
