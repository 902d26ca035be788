/**
 * Admin-side records: dashboard users, API keys and the audit log (custom hostnames: custom-hostnames.repo.ts).
 * Every function that touches tenant data takes the tenant id and filters on it.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Env } from '../env';
import { sha256Hex, toBase64 } from '../lib/crypto';
import { getDb } from './client';
import { adminUsers, apiKeys, auditLog } from './schema';
import type { Role } from '../auth/admin-session';

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

/** Users visible to a scope: all of them for the platform (null), else one tenant's. */
export function listUsers(env: Env, tenantId: string | null) {
  const db = getDb(env.DB);
  const columns = {
    id: adminUsers.id,
    email: adminUsers.email,
    role: adminUsers.role,
    tenantId: adminUsers.tenantId,
    createdAt: adminUsers.createdAt,
  };
  return tenantId === null
    ? db.select(columns).from(adminUsers).all()
    : db.select(columns).from(adminUsers).where(eq(adminUsers.tenantId, tenantId)).all();
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

export function listApiKeys(env: Env, tenantId: string) {
  return getDb(env.DB)
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      role: apiKeys.role,
      prefix: apiKeys.prefix,
      createdAt: apiKeys.createdAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.tenantId, tenantId))
    .all();
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

export function listAudit(env: Env, tenantId: string, limit = 200) {
  return getDb(env.DB)
    .select()
    .from(auditLog)
    .where(eq(auditLog.tenantId, tenantId))
    .orderBy(desc(auditLog.createdAt))
    .limit(limit)
    .all();
}
