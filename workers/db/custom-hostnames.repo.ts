/**
 * Custom hostnames of tenants (Cloudflare for SaaS) in D1: which tenant a hostname routes to (only
 * while Cloudflare reports it active), what Cloudflare last said about it, and the deletions still
 * owed to Cloudflare. Functions that touch one tenant's hostnames take its id and filter on it.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, ne, notInArray, or, sql } from 'drizzle-orm';
import type { Env } from '../env';
import {
  type HostnameState,
  isRoutable,
  ROUTABLE_STATUSES,
  SETTLED_RECHECK_MS,
  SETTLED_STATUSES,
} from '../domain/custom-hostname';
import { getDb } from './client';
import { customHostnameDeletions, customHostnames } from './schema';

export type CustomHostnameRow = typeof customHostnames.$inferSelect;

/**
 * The tenant a custom hostname routes to: its id while Cloudflare reports the hostname active, null
 * while it is a tenant's but not active (pending, moved, …: named, but not served), undefined when
 * no tenant has it.
 */
export async function tenantIdByHostname(env: Env, hostname: string): Promise<string | null | undefined> {
  const row = await getDb(env.DB)
    .select({ id: customHostnames.tenantId, status: customHostnames.status })
    .from(customHostnames)
    .where(eq(customHostnames.hostname, hostname.toLowerCase()))
    .get();
  if (!row) return undefined;
  return isRoutable(row.status) ? row.id : null;
}

export function listHostnames(env: Env, tenantId: string): Promise<CustomHostnameRow[]> {
  return getDb(env.DB)
    .select()
    .from(customHostnames)
    .where(eq(customHostnames.tenantId, tenantId))
    .orderBy(asc(customHostnames.createdAt))
    .all();
}

export async function getHostname(env: Env, tenantId: string, hostname: string): Promise<CustomHostnameRow | null> {
  const row = await getDb(env.DB)
    .select()
    .from(customHostnames)
    .where(and(eq(customHostnames.tenantId, tenantId), eq(customHostnames.hostname, hostname.toLowerCase())))
    .get();
  return row ?? null;
}

/** Whether any tenant has this hostname (the bridge's own uniqueness, before asking Cloudflare). */
export async function hostnameTaken(env: Env, hostname: string): Promise<boolean> {
  const row = await getDb(env.DB)
    .select({ h: customHostnames.hostname })
    .from(customHostnames)
    .where(eq(customHostnames.hostname, hostname.toLowerCase()))
    .get();
  return !!row;
}

const stateColumns = (state: HostnameState, now: number) => ({
  status: state.status,
  sslStatus: state.sslStatus,
  verification: JSON.stringify({ records: state.records, errors: state.errors }),
  checkedAt: now,
  error: null,
});

/** Records a hostname Cloudflare has just created for the tenant. */
export async function insertHostname(
  env: Env,
  tenantId: string,
  hostname: string,
  cfId: string,
  state: HostnameState,
  now: number,
): Promise<void> {
  await getDb(env.DB)
    .insert(customHostnames)
    .values({ tenantId, hostname: hostname.toLowerCase(), cfId, ...stateColumns(state, now) });
}

/** Cloudflare's latest view of a hostname (keyed by its Cloudflare id, so a re-added hostname is not confused). */
export async function recordHostnameState(env: Env, cfId: string, state: HostnameState, now: number): Promise<void> {
  await getDb(env.DB).update(customHostnames).set(stateColumns(state, now)).where(eq(customHostnames.cfId, cfId));
}

/** A refresh that failed: the error code is kept, the last known state stays. */
export async function recordHostnameError(env: Env, cfId: string, error: string, now: number): Promise<void> {
  await getDb(env.DB).update(customHostnames).set({ error, checkedAt: now }).where(eq(customHostnames.cfId, cfId));
}

/**
 * Hostnames to ask Cloudflare about, least recently checked first: those not yet in a settled
 * status, those routing with a certificate not yet active, and every other one not checked for
 * SETTLED_RECHECK_MS (a hostname deleted or moved at Cloudflare must stop routing).
 */
export function hostnamesToRefresh(env: Env, limit: number, now: number): Promise<CustomHostnameRow[]> {
  const c = customHostnames;
  return getDb(env.DB)
    .select()
    .from(c)
    .where(
      and(
        isNotNull(c.cfId),
        or(
          notInArray(c.status, SETTLED_STATUSES),
          and(inArray(c.status, ROUTABLE_STATUSES), or(sql`${c.sslStatus} IS NULL`, ne(c.sslStatus, 'active'))),
          and(ne(c.status, 'deleted'), or(isNull(c.checkedAt), lt(c.checkedAt, now - SETTLED_RECHECK_MS))),
        ),
      ),
    )
    .orderBy(sql`${c.checkedAt} IS NOT NULL`, asc(c.checkedAt))
    .limit(limit)
    .all();
}

/**
 * Stops routing a hostname and, when Cloudflare holds it, records the deletion owed there, in one
 * batch; answers the removed row, or null when the tenant has no such hostname.
 */
export async function removeHostname(env: Env, tenantId: string, hostname: string): Promise<CustomHostnameRow | null> {
  const row = await getHostname(env, tenantId, hostname);
  if (!row) return null;
  const db = getDb(env.DB);
  const remove = db
    .delete(customHostnames)
    .where(and(eq(customHostnames.tenantId, tenantId), eq(customHostnames.hostname, row.hostname)));
  if (row.cfId)
    await db.batch([
      db.insert(customHostnameDeletions).values({ cfId: row.cfId, hostname: row.hostname }).onConflictDoNothing(),
      remove,
    ]);
  else await remove;
  return row;
}

/**
 * For a tenant's offboarding, in the same D1 batch that deletes the tenant (its hostnames go with
 * it by cascade): every hostname Cloudflare holds for it becomes a deletion owed to Cloudflare.
 */
export function owedDeletionsOfTenant(env: Env, tenantId: string) {
  const db = getDb(env.DB);
  return db
    .insert(customHostnameDeletions)
    .select(
      db
        .select({
          cfId: sql<string>`${customHostnames.cfId}`.as('cf_id'),
          hostname: customHostnames.hostname,
          requestedAt: sql<number>`(unixepoch('subsec') * 1000)`.as('requested_at'),
          attempts: sql<number>`0`.as('attempts'),
          lastError: sql<string | null>`NULL`.as('last_error'),
        })
        .from(customHostnames)
        .where(and(eq(customHostnames.tenantId, tenantId), isNotNull(customHostnames.cfId))),
    )
    .onConflictDoNothing();
}

export type OwedDeletion = typeof customHostnameDeletions.$inferSelect;

/** Deletions still owed to Cloudflare, oldest first; `hostname` narrows to one. */
export function owedDeletions(env: Env, limit: number, hostname?: string): Promise<OwedDeletion[]> {
  const d = customHostnameDeletions;
  return getDb(env.DB)
    .select()
    .from(d)
    .where(hostname ? eq(d.hostname, hostname.toLowerCase()) : undefined)
    .orderBy(asc(d.requestedAt))
    .limit(limit)
    .all();
}

/** Records a deletion owed to Cloudflare for a hostname no row holds (the cron carries it out). */
export async function oweDeletion(env: Env, cfId: string, hostname: string, error: string): Promise<void> {
  await getDb(env.DB)
    .insert(customHostnameDeletions)
    .values({ cfId, hostname: hostname.toLowerCase(), lastError: error })
    .onConflictDoNothing();
}

export async function deletionDone(env: Env, cfIds: string[]): Promise<void> {
  if (cfIds.length === 0) return;
  await getDb(env.DB).delete(customHostnameDeletions).where(inArray(customHostnameDeletions.cfId, cfIds));
}

export async function deletionFailed(env: Env, cfId: string, error: string): Promise<void> {
  await getDb(env.DB)
    .update(customHostnameDeletions)
    .set({ attempts: sql`${customHostnameDeletions.attempts} + 1`, lastError: error })
    .where(eq(customHostnameDeletions.cfId, cfId));
}
