/**
 * Offboarding: erasing everything a deleted tenant owned, as a tracked job.
 *
 * DELETE /api/tenants/{id} removes the tenant's configuration and records a job in one D1
 * transaction (db/tenants.repo.ts deleteTenant), so the tenant stops being served at once; the
 * job then erases the rest in batches, kicked off by the request (waitUntil) and continued by
 * every cron run (scheduled/offboarding.job.ts) until done:
 * 1. conversation objects, found through the D1 conversation index, then through the customers
 *    named by the tenant's failures and dead letters — `erase()` each, then their D1 rows;
 * 2. every other D1 row with the tenant's id (db/erasure.repo.ts TENANT_TABLES);
 * 3. the tenant gate's storage and the Genesys token in KV.
 * Each step is idempotent, so a run that dies half-way is simply repeated. A lease keeps two runs
 * (the request's and a cron's) from working on one job at once. For a day after it is done, the
 * cron runs the job again: a queue item that was in flight when the tenant went can still write
 * a row or wake a conversation, and that trace is erased too.
 *
 * Kept: the job row (its counts) and the platform audit entries `tenant.delete` and
 * `tenant.offboarded` (tenant id, no customer data), until the audit log's retention.
 */
import type { Env } from '../env';
import { recordAudit } from '../db/admin.repo';
import {
  claimJob,
  deleteTenantRows,
  forgetCustomers,
  indexedCustomers,
  jobsToRun,
  type OffboardingJob,
  type OffboardingProgress,
  recordedCustomers,
  recordJobFailure,
  recordProgress,
} from '../db/erasure.repo';
import { deleteTenant } from '../db/tenants.repo';
import { conversationName } from '../domain/conversation';
import { log } from '../lib/log';
import { tokenKvKey } from '../../durable-objects/tenant-gate.do';
import { eraseParkedDeadLetters } from '../lib/parked-dead-letters';

/** Conversation objects erased at once (each is one Durable Object call). */
const CONVERSATION_BATCH = 25;
/** D1 rows deleted per table per batch. */
const ROW_BATCH = 1000;
/**
 * Batches per run: 16 × 25 conversations keeps a run well inside a Worker invocation's
 * subrequest and time limits; a larger tenant continues on the next cron run.
 */
const MAX_BATCHES_PER_RUN = 16;
/** A run holds its job this long past its last batch; a run that died frees it by then. */
const LEASE_MS = 5 * 60_000;
/** How long after it is done a job is run again, for traces written by items in flight. */
export const OFFBOARDING_SWEEP_MS = 24 * 3600_000;
/** Jobs one cron run takes up. */
const JOBS_PER_RUN = 5;

const nothing: OffboardingProgress = {
  conversationsErased: 0,
  rowsDeleted: 0,
  kvKeysDeleted: 0,
  tenantGateErased: false,
};

/** Removes the tenant's configuration and records its offboarding job; answers the job id. */
export async function startOffboarding(env: Env, tenantId: string, requestedBy: string): Promise<string> {
  const id = crypto.randomUUID();
  await deleteTenant(env, tenantId, { id, requestedBy });
  return id;
}

async function eraseConversations(env: Env, tenantId: string, waIds: string[]): Promise<OffboardingProgress> {
  await Promise.all(waIds.map((waId) => env.CONVERSATION.getByName(conversationName(tenantId, waId)).erase()));
  // Only after every object is erased: a failed erase leaves the row, so the next batch finds it again.
  const rowsDeleted = await forgetCustomers(env, tenantId, waIds);
  return { ...nothing, conversationsErased: waIds.length, rowsDeleted };
}

/** One batch of work; `finished` once nothing of the tenant is left. */
async function step(env: Env, tenantId: string): Promise<OffboardingProgress & { finished: boolean }> {
  const indexed = await indexedCustomers(env, tenantId, CONVERSATION_BATCH);
  if (indexed.length > 0) return { ...(await eraseConversations(env, tenantId, indexed)), finished: false };
  const recorded = await recordedCustomers(env, tenantId, CONVERSATION_BATCH);
  if (recorded.length > 0) return { ...(await eraseConversations(env, tenantId, recorded)), finished: false };
  const rowsDeleted = await deleteTenantRows(env, tenantId, ROW_BATCH);
  if (rowsDeleted > 0) return { ...nothing, rowsDeleted, finished: false };

  await env.TENANT_GATE.getByName(tenantId).erase();
  const key = tokenKvKey(tenantId);
  const hadToken = (await env.TOKENS.get(key)) !== null;
  await env.TOKENS.delete(key);
  const parked = await eraseParkedDeadLetters(env, tenantId);
  return { ...nothing, kvKeysDeleted: (hadToken ? 1 : 0) + parked, tenantGateErased: true, finished: true };
}

/**
 * Works on one job for up to `maxBatches` batches; answers the job as it stands after the run, or
 * undefined when another run holds it. An error is recorded on the job (status `failed`, retried by
 * the next cron run) and thrown.
 */
export async function runOffboarding(
  env: Env,
  jobId: string,
  { maxBatches = MAX_BATCHES_PER_RUN }: { maxBatches?: number } = {},
): Promise<OffboardingJob | undefined> {
  let job = await claimJob(env, jobId, Date.now(), Date.now() + LEASE_MS);
  if (!job) return undefined;
  const wasDone = job.status === 'done';
  try {
    for (let i = 0; i < maxBatches; i++) {
      const { finished, ...progress } = await step(env, job.tenantId);
      const last = finished || i === maxBatches - 1;
      const now = Date.now();
      job = (await recordProgress(env, jobId, progress, { now, leaseUntil: last ? null : now + LEASE_MS, finished }))!;
      if (finished) break;
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await recordJobFailure(env, jobId, error, Date.now());
    log.error('offboarding.failed', { jobId, tenantId: job.tenantId, error });
    throw err;
  }
  if (job.status === 'done' && !wasDone) {
    await recordAudit(env, {
      tenantId: null,
      actor: 'system:offboarding',
      action: 'tenant.offboarded',
      target: job.tenantId,
      detail: {
        jobId,
        conversationsErased: job.conversationsErased,
        rowsDeleted: job.rowsDeleted,
        kvKeysDeleted: job.kvKeysDeleted,
      },
    });
    log.info('offboarding.done', { jobId, tenantId: job.tenantId, conversations: job.conversationsErased });
  }
  return job;
}

/** The cron's part: takes up unfinished jobs (and recently finished ones, for late traces). */
export async function continueOffboarding(env: Env, now: number): Promise<{ jobs: number; failed: number }> {
  const ids = await jobsToRun(env, now, OFFBOARDING_SWEEP_MS, JOBS_PER_RUN);
  let failed = 0;
  for (const id of ids) {
    try {
      await runOffboarding(env, id);
    } catch {
      failed++; // recorded on the job; the next cron run tries again
    }
  }
  return { jobs: ids.length, failed };
}
