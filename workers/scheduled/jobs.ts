/**
 * The Cron Trigger's work (wrangler.toml `[triggers] crons`): every job runs on every tick, one
 * after another, each in its own try so one failing job does not stop the others. A job is small
 * and bounded per run (batches); what it leaves is taken up on the next tick. To add a job, write
 * `<name>.job.ts` exporting a {@link ScheduledJob} and list it in {@link SCHEDULED_JOBS}.
 *
 * Locally `wrangler dev` never fires crons; the sandbox starts the bridge with `--test-scheduled`
 * and calls /cdn-cgi/handler/scheduled (sandbox/sandbox.mjs).
 */
import type { Env } from '../env';
import { log } from '../lib/log';
import { alertsJob } from './alerts.job';
import { customHostnamesJob } from './custom-hostnames.job';
import { offboardingJob } from './offboarding.job';
import { parkedDeadLettersJob } from './parked-dead-letters.job';
import { retentionJob } from './retention.job';

export interface ScheduledJob {
  name: string;
  /** `now` is the tick's scheduled time (epoch ms). Answers counts for the log line. */
  run(env: Env, ctx: ExecutionContext, now: number): Promise<Record<string, number | boolean>>;
}

export const SCHEDULED_JOBS: ScheduledJob[] = [
  offboardingJob,
  customHostnamesJob,
  parkedDeadLettersJob,
  retentionJob,
  alertsJob,
];

/** Runs every job; throws after the last one if any failed, so the invocation shows as failed. */
export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const failed: unknown[] = [];
  for (const job of SCHEDULED_JOBS) {
    try {
      const counts = await job.run(env, ctx, controller.scheduledTime);
      log.info('scheduled.job_done', { job: job.name, cron: controller.cron, ...counts });
    } catch (err) {
      failed.push(err);
      log.error('scheduled.job_failed', { job: job.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (failed.length > 0) throw new AggregateError(failed, `${failed.length} scheduled job(s) failed`);
}
