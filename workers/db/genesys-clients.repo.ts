/**
 * A tenant's further Genesys OAuth clients (the token pool), in D1 `genesys_clients`. Each secret
 * is sealed with the newest key of the keyring, bound to the tenant id and the entry's id, and
 * opened only when the tenant is loaded (tenants.repo.ts); no API returns it.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Env } from '../env';
import { seal, unseal } from '../lib/keyring';
import { getDb } from './client';
import { genesysClients } from './schema';
import { forgetTenant } from './tenant-cache';

/** One client of the pool, opened. */
export interface GenesysPoolClient {
  id: string;
  clientId: string;
  clientSecret: string;
  label: string | null;
}

/** The associated data a pool client's secret is sealed with: its tenant and its own entry. */
export const poolSecretContext = (tenantId: string, entryId: string) =>
  `tenant:${tenantId}:gc.pool.${entryId}.clientSecret`;

export type GenesysClientRow = typeof genesysClients.$inferSelect;

/** The pool's rows, oldest first, secrets still sealed. */
export function listGenesysClientRows(env: Env, tenantId: string): Promise<GenesysClientRow[]> {
  return getDb(env.DB)
    .select()
    .from(genesysClients)
    .where(eq(genesysClients.tenantId, tenantId))
    .orderBy(asc(genesysClients.createdAt), asc(genesysClients.id))
    .all();
}

/** The pool, opened (for the tenant's gate objects, which request the tokens). */
export async function readGenesysPool(env: Env, tenantId: string): Promise<GenesysPoolClient[]> {
  const rows = await listGenesysClientRows(env, tenantId);
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      clientId: row.clientId,
      clientSecret: await unseal(env, row.clientSecretEnc, poolSecretContext(tenantId, row.id)),
      label: row.label,
    })),
  );
}

/** Adds a client to the pool; a client id the tenant already has violates a UNIQUE index. */
export async function addGenesysClient(
  env: Env,
  tenantId: string,
  client: { id: string; clientId: string; clientSecret: string; label?: string | undefined },
): Promise<GenesysClientRow> {
  const row = await getDb(env.DB)
    .insert(genesysClients)
    .values({
      id: client.id,
      tenantId,
      clientId: client.clientId,
      clientSecretEnc: await seal(env, client.clientSecret, poolSecretContext(tenantId, client.id)),
      label: client.label ?? null,
    })
    .returning()
    .get();
  forgetTenant(tenantId);
  return row;
}

/** Removes a client from the pool; false when the tenant has no such entry. */
export async function removeGenesysClient(env: Env, tenantId: string, entryId: string): Promise<boolean> {
  const removed = await getDb(env.DB)
    .delete(genesysClients)
    .where(and(eq(genesysClients.tenantId, tenantId), eq(genesysClients.id, entryId)))
    .returning({ id: genesysClients.id })
    .all();
  forgetTenant(tenantId);
  return removed.length > 0;
}
