/**
 * Age-based deletes for the retention job (scheduled/retention.job.ts): one statement per kind of
 * row, across all tenants, each run in batches so a backlog never makes one long D1 query.
 * Every statement walks an index on its age column (migration 0004).
 */
import type { Env } from '../env';

/** What the retention job purges, and the SQL of one batch (`?1` the cutoff in epoch ms, `?2` the batch size). */
export const PURGES = {
  failedMessages:
    'DELETE FROM failed_messages WHERE rowid IN (SELECT rowid FROM failed_messages WHERE created_at < ?1 LIMIT ?2)',
  /** Replayed dead letters, by replay time (a replay is never before the row, so created_at narrows it first). */
  replayedDeadLetters:
    'DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters WHERE created_at < ?1 AND replayed_at IS NOT NULL AND replayed_at < ?1 LIMIT ?2)',
  /** Dead letters nobody replayed: they expire. */
  expiredDeadLetters:
    'DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters WHERE created_at < ?1 AND replayed_at IS NULL LIMIT ?2)',
  auditLog: 'DELETE FROM audit_log WHERE rowid IN (SELECT rowid FROM audit_log WHERE created_at < ?1 LIMIT ?2)',
  /** Finished offboardings are part of the audit trail and go with it. */
  offboardingJobs:
    "DELETE FROM offboarding_jobs WHERE rowid IN (SELECT rowid FROM offboarding_jobs WHERE status = 'done' AND finished_at < ?1 LIMIT ?2)",
  metricsHourly:
    'DELETE FROM metrics_hourly WHERE rowid IN (SELECT rowid FROM metrics_hourly WHERE hour < ?1 LIMIT ?2)',
  metricsLatency:
    'DELETE FROM metrics_latency WHERE rowid IN (SELECT rowid FROM metrics_latency WHERE hour < ?1 LIMIT ?2)',
  /** Erasure markers outlive any report that could still be queued (queue retention is at most days). */
  erasedCustomers:
    'DELETE FROM erased_customers WHERE rowid IN (SELECT rowid FROM erased_customers WHERE erased_at < ?1 LIMIT ?2)',
  /** Resolved incidents, by resolve time; their deliveries go with them (`alertDeliveries`, next). */
  resolvedAlerts:
    "DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts WHERE state = 'resolved' AND resolved_at < ?1 LIMIT ?2)",
  /** Deliveries as old, whose incident is gone (purged just before: kinds run in this order). */
  alertDeliveries:
    'DELETE FROM alert_deliveries WHERE rowid IN (SELECT rowid FROM alert_deliveries d WHERE created_at < ?1 AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = d.alert_id) LIMIT ?2)',
  conversationIndex:
    'DELETE FROM conversations WHERE rowid IN (SELECT rowid FROM conversations WHERE last_message_at < ?1 LIMIT ?2)',
} as const;
export type PurgeKind = keyof typeof PURGES;

/**
 * Deletes rows of `kind` older than `cutoff`, `batchSize` at a time, for at most `maxBatches`
 * batches (the next run takes the rest). Answers how many rows went.
 */
export async function purgeOlderThan(
  env: Env,
  kind: PurgeKind,
  cutoff: number,
  { batchSize = 1000, maxBatches = 10 } = {},
): Promise<number> {
  const statement = env.DB.prepare(PURGES[kind]);
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const result = await statement.bind(cutoff, batchSize).run();
    const changes = result.meta.changes ?? 0;
    deleted += changes;
    if (changes < batchSize) break;
  }
  return deleted;
}
