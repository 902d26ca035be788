/**
 * Retention: deletes D1 rows past their age, per kind, with ages from the RETENTION_* vars
 * (workers/env.ts; 0 keeps a kind forever). What each kind is and why its age counts from where
 * it does is in README "Retention". Conversation objects clear their own storage; this job only
 * removes index rows old enough that their object must have cleared itself already.
 */
import { config, type Env } from '../env';
import { type PurgeKind, purgeOlderThan } from '../db/retention.repo';
import type { ScheduledJob } from './jobs';

const DAY_MS = 24 * 3600_000;
/** Longer than a report can wait on the activity queue (its retries and retention are days). */
const ERASURE_MARKER_DAYS = 14;

/** The age setting (days) each kind of row is purged by. */
function agesInDays(env: Env): Record<PurgeKind, number> {
  const cfg = config(env);
  return {
    failedMessages: cfg.RETENTION_FAILED_DAYS,
    replayedDeadLetters: cfg.RETENTION_DEAD_LETTER_REPLAYED_DAYS,
    expiredDeadLetters: cfg.RETENTION_DEAD_LETTER_DAYS,
    auditLog: cfg.RETENTION_AUDIT_DAYS,
    offboardingJobs: cfg.RETENTION_AUDIT_DAYS,
    resolvedAlerts: cfg.RETENTION_AUDIT_DAYS,
    alertDeliveries: cfg.RETENTION_AUDIT_DAYS,
    metricsHourly: cfg.RETENTION_METRICS_DAYS,
    metricsLatency: cfg.RETENTION_METRICS_DAYS,
    erasedCustomers: ERASURE_MARKER_DAYS,
    conversationIndex: cfg.RETENTION_CONVERSATION_INDEX_DAYS,
  };
}

export const retentionJob: ScheduledJob = {
  name: 'retention',
  async run(env, _ctx, now) {
    const deleted: Partial<Record<PurgeKind, number>> = {};
    for (const [kind, days] of Object.entries(agesInDays(env)) as Array<[PurgeKind, number]>) {
      if (days === 0) continue;
      deleted[kind] = await purgeOlderThan(env, kind, now - days * DAY_MS);
    }
    return deleted;
  },
};
