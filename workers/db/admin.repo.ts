/**
 * Admin-side records: dashboard users, API keys and the audit log (custom hostnames: custom-hostnames.repo.ts).
 * Every function that touches tenant data takes the tenant id and filters on it.
 */
import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { Env } from '../env';
import { sha256Hex, toBase64 } from '../lib/crypto';
import { getDb } from './client';
import { adminUsers, apiKeys, auditLog } from './schema';
import type { Role } from '../auth/admin-session';
import { after, likeEscaped, type PageRequest, pageOrder, paged } from './paging';

// ===== Users

export function findUserByEmail(env: Env, email: string) {
  return getDb(env.DB).select().from(adminUsers).where(eq(adminUsers.email, email.toLowerCase())).get();
}

export function findUser(env: Env, id: string) {
  return getDb(env.DB).select().from(adminUsers).where(eq(adminUsers.id, id)).get();
}

export async function createUser(
  env: Env,
  user: { email: string; passwordHash: string; role: Role; tenantId: string | null },
): Promise<string> {
  const id = crypto.randomUUID();
  await getDb(env.DB)
    .insert(adminUsers)
    .values({ id, ...user, email: user.email.toLowerCase() });
  return id;
}

/** One page of the users visible to a scope (all for the platform, null), oldest first. */
export function pageUsers(env: Env, tenantId: string | null, request: PageRequest) {
  const t = adminUsers;
  return paged(
    `users:${tenantId ?? 'platform'}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select({ id: t.id, email: t.email, role: t.role, tenantId: t.tenantId, createdAt: t.createdAt })
        .from(t)
        .where(
          and(tenantId === null ? undefined : eq(t.tenantId, tenantId), after('oldest', t.createdAt, t.id, cursor)),
        )
        .orderBy(...pageOrder('oldest', t.createdAt, t.id))
        .limit(rows)
        .all(),
    (r) => ({ at: r.createdAt, id: r.id }),
  );
}

export async function deleteUser(env: Env, id: string): Promise<void> {
  await getDb(env.DB).delete(adminUsers).where(eq(adminUsers.id, id));
}

// ===== API keys

export const API_KEY_PREFIX = 'wgb_';

/** Creates a key and answers it in clear, once; only its hash is kept. */
export async function createApiKey(env: Env, tenantId: string, name: string, role: 'tenant-admin' | 'viewer') {
  const secret =
    API_KEY_PREFIX +
    toBase64(crypto.getRandomValues(new Uint8Array(32))).replace(
      /[+/=]/g,
      (c) => ({ '+': '-', '/': '_', '=': '' })[c]!,
    );
  const id = crypto.randomUUID();
  const row = { id, tenantId, name, role, prefix: secret.slice(0, 12), keyHash: await sha256Hex(secret) };
  await getDb(env.DB).insert(apiKeys).values(row);
  return { id, key: secret, prefix: row.prefix, name, role };
}

/** Live (unrevoked) key by its clear text. A 256-bit random key needs no slow hash. */
export async function findApiKey(env: Env, key: string) {
  return getDb(env.DB)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, await sha256Hex(key)), isNull(apiKeys.revokedAt)))
    .get();
}

/** One page of a tenant's API keys (revoked ones too), oldest first. */
export function pageApiKeys(env: Env, tenantId: string, request: PageRequest) {
  const t = apiKeys;
  return paged(
    `api-keys:${tenantId}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select({
          id: t.id,
          name: t.name,
          role: t.role,
          prefix: t.prefix,
          createdAt: t.createdAt,
          revokedAt: t.revokedAt,
        })
        .from(t)
        .where(and(eq(t.tenantId, tenantId), after('oldest', t.createdAt, t.id, cursor)))
        .orderBy(...pageOrder('oldest', t.createdAt, t.id))
        .limit(rows)
        .all(),
    (r) => ({ at: r.createdAt, id: r.id }),
  );
}

export async function revokeApiKey(env: Env, tenantId: string, id: string): Promise<boolean> {
  const rows = await getDb(env.DB)
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

// ===== Audit log

export interface AuditEntry {
  tenantId: string | null;
  actor: string;
  action: string;
  target?: string;
  /** Field names and non-secret values only; callers never pass credentials here. */
  detail?: Record<string, unknown>;
}

export async function recordAudit(env: Env, entry: AuditEntry): Promise<void> {
  await getDb(env.DB)
    .insert(auditLog)
    .values({
      id: crypto.randomUUID(),
      tenantId: entry.tenantId,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    });
}

/** What the audit list can be narrowed to. */
export interface AuditFilter {
  /** An action (`tenant.update`) or a dotted prefix of one (`deadletter` finds `deadletter.replay` and `deadletter.replay.bulk`). */
  action?: string | undefined;
  /** The actor, whole (`operator`, `user:<id>`, `apikey:<id>`, `agent:<id>`). */
  actor?: string | undefined;
}

/** One page of a tenant's audit log, newest first, narrowed by `filter`. */
export function pageAudit(env: Env, tenantId: string, request: PageRequest, filter: AuditFilter = {}) {
  const t = auditLog;
  const action: SQL | undefined = filter.action
    ? sql`(${t.action} = ${filter.action} OR ${t.action} LIKE ${`${likeEscaped(filter.action)}.%`} ESCAPE '\\')`
    : undefined;
  return paged(
    `audit:${tenantId}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select()
        .from(t)
        .where(
          and(
            eq(t.tenantId, tenantId),
            action,
            filter.actor ? eq(t.actor, filter.actor) : undefined,
            after('newest', t.createdAt, t.id, cursor),
          ),
        )
        .orderBy(...pageOrder('newest', t.createdAt, t.id))
        .limit(rows)
        .all(),
    (r) => ({ at: r.createdAt, id: r.id }),
  );
}
