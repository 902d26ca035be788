/**
 * Erasure in D1: one customer's rows (DELETE …/customers/{waId}), one deleted tenant's rows in
 * batches, and the offboarding jobs that track a tenant's erasure. The other repos own the rows
 * while they live; this one only removes them.
 */
import { and, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Env } from '../env';
import { getDb } from './client';
import { offboardingJobs } from './schema';

// ===== One customer

/** Rows that only name the customer inside their payload (recorded before migration 0004), as JSON strings. */
const payloadMentions = (waId: string) => [`%"${waId}"%`, `%"+${waId}"%`];

/**
 * Deletes the customer's conversation index row and every failure and dead letter of theirs:
 * by `wa_id`, and, for rows written before that column existed, by the number as a JSON string
 * in the payload. `waId` is digits only (the route checks it), so it needs no LIKE escaping.
 */
export async function eraseCustomerRows(
  env: Env,
  tenantId: string,
  waId: string,
): Promise<{ conversations: number; failures: number; deadLetters: number }> {
  const [plain, plus] = payloadMentions(waId);
  const byCustomer = (table: 'failed_messages' | 'dead_letters') =>
    env.DB.prepare(
      `DELETE FROM ${table} WHERE tenant_id = ?1 AND (wa_id = ?2 OR (wa_id IS NULL AND (payload LIKE ?3 OR payload LIKE ?4)))`,
    ).bind(tenantId, waId, plain, plus);
  const [conversations, failures, deadLetters] = await env.DB.batch([
    env.DB.prepare('DELETE FROM conversations WHERE tenant_id = ?1 AND wa_id = ?2').bind(tenantId, waId),
    byCustomer('failed_messages'),
    byCustomer('dead_letters'),
  ]);
  return {
    conversations: conversations?.meta.changes ?? 0,
    failures: failures?.meta.changes ?? 0,
    deadLetters: deadLetters?.meta.changes ?? 0,
  };
}

// ===== One tenant

/**
 * Every table with a `tenant_id` column, which offboarding empties of the tenant's rows.
 * test/offboarding.test.ts checks this list against the live schema, so a new table cannot be
 * forgotten. (`offboarding_jobs` is left out on purpose: it is the record of the erasure.)
 */
export const TENANT_TABLES = [
  'failed_messages',
  'dead_letters',
  'conversations',
  'metrics_hourly',
  'metrics_latency',
  'erased_customers',
  'audit_log',
  'api_keys',
  'admin_users',
  'custom_hostnames',
  'whatsapp_configs',
  'genesys_configs',
  'genesys_clients',
  'alert_deliveries',
  'alerts',
  'alert_channels',
] as const;

/** Customers of the tenant that still have an index row. */
export async function indexedCustomers(env: Env, tenantId: string, limit: number): Promise<string[]> {
  const rows = await env.DB.prepare('SELECT wa_id FROM conversations WHERE tenant_id = ?1 LIMIT ?2')
    .bind(tenantId, limit)
    .all<{ wa_id: string }>();
  return rows.results.map((r) => r.wa_id);
}

/** Customers named by the tenant's failures and dead letters (a conversation may have no index row yet). */
export async function recordedCustomers(env: Env, tenantId: string, limit: number): Promise<string[]> {
  const rows = await env.DB.prepare(
    `SELECT wa_id FROM failed_messages WHERE tenant_id = ?1 AND wa_id IS NOT NULL
     UNION SELECT wa_id FROM dead_letters WHERE tenant_id = ?1 AND wa_id IS NOT NULL LIMIT ?2`,
  )
    .bind(tenantId, limit)
    .all<{ wa_id: string }>();
  return rows.results.map((r) => r.wa_id);
}

/** Deletes the rows of these customers of the tenant (index, failures, dead letters); answers how many. */
export async function forgetCustomers(env: Env, tenantId: string, waIds: string[]): Promise<number> {
  if (waIds.length === 0) return 0;
  const list = JSON.stringify(waIds);
  const results = await env.DB.batch(
    ['conversations', 'failed_messages', 'dead_letters'].map((table) =>
      env.DB.prepare(`DELETE FROM ${table} WHERE tenant_id = ?1 AND wa_id IN (SELECT value FROM json_each(?2))`).bind(
        tenantId,
        list,
      ),
    ),
  );
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}

/** Deletes up to `batchSize` of the tenant's rows from each table (and its tenants row); answers how many went. */
export async function deleteTenantRows(env: Env, tenantId: string, batchSize: number): Promise<number> {
  const results = await env.DB.batch([
    ...TENANT_TABLES.map((table) =>
      env.DB.prepare(
        `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE tenant_id = ?1 LIMIT ?2)`,
      ).bind(tenantId, batchSize),
    ),
    env.DB.prepare('DELETE FROM tenants WHERE id = ?1').bind(tenantId),
  ]);
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}

// ===== Offboarding jobs

export type OffboardingJob = typeof offboardingJobs.$inferSelect;

/** Progress of one batch, added to the job's counts. */
export interface OffboardingProgress {
  conversationsErased: number;
  rowsDeleted: number;
  kvKeysDeleted: number;
  tenantGateErased: boolean;
}

export function latestOffboarding(env: Env, tenantId: string): Promise<OffboardingJob | undefined> {
  return getDb(env.DB)
    .select()
    .from(offboardingJobs)
    .where(eq(offboardingJobs.tenantId, tenantId))
    .orderBy(desc(offboardingJobs.createdAt))
    .limit(1)
    .get();
}

/**
 * Jobs a run may take up: unfinished ones, and ones finished less than `sweepMs` ago (a late
 * queue item can still write a row for the tenant then), whose lease is free.
 */
export async function jobsToRun(env: Env, now: number, sweepMs: number, limit: number): Promise<string[]> {
  const rows = await getDb(env.DB)
    .select({ id: offboardingJobs.id })
    .from(offboardingJobs)
    .where(
      and(
        or(ne(offboardingJobs.status, 'done'), gt(offboardingJobs.finishedAt, now - sweepMs)),
        or(isNull(offboardingJobs.leaseUntil), lt(offboardingJobs.leaseUntil, now)),
      ),
    )
    .orderBy(offboardingJobs.createdAt)
    .limit(limit)
    .all();
  return rows.map((r) => r.id);
}

/** Takes the job's lease until `until` when it is free; answers the job, or undefined when another run holds it. */
export function claimJob(env: Env, id: string, now: number, until: number): Promise<OffboardingJob | undefined> {
  return getDb(env.DB)
    .update(offboardingJobs)
    .set({
      leaseUntil: until,
      status: sql`CASE WHEN ${offboardingJobs.status} = 'done' THEN 'done' ELSE 'running' END`,
      updatedAt: now,
    })
    .where(and(eq(offboardingJobs.id, id), or(isNull(offboardingJobs.leaseUntil), lt(offboardingJobs.leaseUntil, now))))
    .returning()
    .get();
}

/** Adds one batch's progress and extends the lease; `finished` marks the job done (once). */
export async function recordProgress(
  env: Env,
  id: string,
  p: OffboardingProgress,
  { now, leaseUntil, finished }: { now: number; leaseUntil: number | null; finished: boolean },
): Promise<OffboardingJob | undefined> {
  const j = offboardingJobs;
  return getDb(env.DB)
    .update(j)
    .set({
      conversationsErased: sql`${j.conversationsErased} + ${p.conversationsErased}`,
      rowsDeleted: sql`${j.rowsDeleted} + ${p.rowsDeleted}`,
      kvKeysDeleted: sql`${j.kvKeysDeleted} + ${p.kvKeysDeleted}`,
      tenantGateErased: sql`${j.tenantGateErased} OR ${p.tenantGateErased ? 1 : 0}`,
      leaseUntil,
      updatedAt: now,
      ...(finished
        ? {
            status: 'done' as const,
            error: null,
            finishedAt: sql`COALESCE(${j.finishedAt}, ${now})`,
          }
        : {}),
    })
    .where(eq(j.id, id))
    .returning()
    .get();
}

/** A run stopped on an error: the job shows it and is taken up again by the next cron run. */
export async function recordJobFailure(env: Env, id: string, error: string, now: number): Promise<void> {
  const j = offboardingJobs;
  await getDb(env.DB)
    .update(j)
    .set({
      status: sql`CASE WHEN ${j.status} = 'done' THEN 'done' ELSE 'failed' END`,
      failures: sql`${j.failures} + 1`,
      error: error.slice(0, 500),
      leaseUntil: null,
      updatedAt: now,
    })
    .where(eq(j.id, id));
}
