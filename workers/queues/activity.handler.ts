/**
 * Consumer of the `activity` queue: summaries from many conversation objects, folded into one D1
 * transaction per batch (conversation index, hourly metrics, latency histogram, backlog). The
 * transaction is all or nothing, so a batch D1 refuses is retried whole without counting twice.
 */
import type { Env } from '../env';
import { applyActivity } from '../db/conversations.repo';
import { log } from '../lib/log';
import { ActivityMessage } from '../schemas/queue.schema';

export async function handleActivity(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const reports: ActivityMessage[] = [];
  for (const msg of batch.messages) {
    const parsed = ActivityMessage.safeParse(msg.body);
    // Metrics only: a summary no version of this consumer can read is dropped with a log line.
    if (parsed.success) reports.push(parsed.data);
    else log.error('queue.activity.unreadable', { error: parsed.error.message.slice(0, 300) });
  }
  try {
    if (reports.length > 0) await applyActivity(env, reports);
    batch.ackAll();
  } catch (err) {
    log.warn('queue.activity.retry', {
      reports: reports.length,
      error: err instanceof Error ? err.message : String(err),
    });
    batch.retryAll();
  }
}
