/**
 * Re-sealing tenant secrets with the newest key of the keyring (POST /api/keyring/reencrypt), so
 * an older key can leave it. Opens and seals secrets like tenants.repo.ts, with the same
 * associated data ({@link secretAad}); nothing decrypted leaves this module.
 */
import { and, asc, eq, getTableColumns, gt, inArray } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { isSealedWithNewest, seal, unseal } from '../lib/keyring';
import type { Env } from '../env';
import { getDb } from './client';
import { alertChannelContext } from './alerts.repo';
import { poolSecretContext } from './genesys-clients.repo';
import { alertChannels, genesysClients, genesysConfigs, tenants, whatsappConfigs } from './schema';
import { secretAad } from './tenants.repo';

export interface ReencryptReport {
  tenants: number;
  /** Secrets now sealed with the newest key that were not before. */
  reencrypted: number;
  /** Secrets that already were. */
  current: number;
  /** Secrets no key of the keyring opens (left as they are; the tenant needs new credentials). */
  unreadable: number;
  /** The last tenant id of this page, to pass as `after`; null once every tenant was seen. */
  next: string | null;
}

/** Every table with sealed columns, one row per tenant: each column with the field its associated data binds. */
const SEALED = [
  {
    table: whatsappConfigs,
    columns: {
      accessTokenEnc: 'wa.accessToken',
      appSecretEnc: 'wa.appSecret',
      verifyTokenEnc: 'wa.verifyToken',
    },
  },
  {
    table: genesysConfigs,
    columns: {
      clientSecretEnc: 'gc.clientSecret',
      outboundWebhookSecretEnc: 'gc.outboundWebhookSecret',
      previousSecretEnc: 'gc.previousSecret',
    },
  },
] as const;

/**
 * Re-seals one page of tenants' secrets with the newest key. Each row is updated only if its
 * ciphertexts are still the ones read (a credential set meanwhile is sealed with the newest key
 * already), so it is safe to run while the bridge works.
 */
export async function reencryptTenantSecrets(
  env: Env,
  page: { after?: string; limit: number },
): Promise<ReencryptReport & { perTenant: Map<string, number> }> {
  const db = getDb(env.DB);
  const ids = (
    await db
      .select({ id: tenants.id })
      .from(tenants)
      .where(page.after ? gt(tenants.id, page.after) : undefined)
      .orderBy(asc(tenants.id))
      .limit(page.limit)
      .all()
  ).map((r) => r.id);
  const report = {
    tenants: ids.length,
    reencrypted: 0,
    current: 0,
    unreadable: 0,
    perTenant: new Map<string, number>(),
  };
  if (ids.length === 0) return { ...report, next: null };

  const statements = [];
  const sizes: Array<{ tenantId: string; n: number }> = [];
  for (const { table, columns } of SEALED) {
    const all: Record<string, SQLiteColumn> = getTableColumns(table);
    const sealedColumns = Object.entries(columns).map(([name, field]) => ({ name, field, column: all[name]! }));
    const rows = await db
      .select({
        tenantId: table.tenantId,
        ...Object.fromEntries(sealedColumns.map((c) => [c.name, c.column])),
      })
      .from(table)
      .where(inArray(table.tenantId, ids))
      .all();
    for (const row of rows as Array<Record<string, string | null> & { tenantId: string }>) {
      const changes: Array<{ name: string; column: SQLiteColumn; from: string; to: string }> = [];
      for (const { name, field, column } of sealedColumns) {
        const sealed = row[name];
        if (sealed == null) continue;
        if (isSealedWithNewest(env, sealed)) {
          report.current++;
          continue;
        }
        const aad = secretAad(row.tenantId, field);
        try {
          changes.push({ name, column, from: sealed, to: await seal(env, await unseal(env, sealed, aad), aad) });
        } catch {
          report.unreadable++;
        }
      }
      if (changes.length === 0) continue;
      statements.push(
        db
          .update(table)
          .set(Object.fromEntries(changes.map((c) => [c.name, c.to])))
          .where(and(eq(table.tenantId, row.tenantId), ...changes.map((c) => eq(c.column, c.from)))),
      );
      sizes.push({ tenantId: row.tenantId, n: changes.length });
    }
  }
  // Pool clients: several rows per tenant, each bound to its own entry id.
  for (const row of await db.select().from(genesysClients).where(inArray(genesysClients.tenantId, ids)).all()) {
    const sealed = row.clientSecretEnc;
    if (isSealedWithNewest(env, sealed)) {
      report.current++;
      continue;
    }
    const aad = poolSecretContext(row.tenantId, row.id);
    try {
      const resealed = await seal(env, await unseal(env, sealed, aad), aad);
      statements.push(
        db
          .update(genesysClients)
          .set({ clientSecretEnc: resealed })
          .where(and(eq(genesysClients.id, row.id), eq(genesysClients.clientSecretEnc, sealed))),
      );
      sizes.push({ tenantId: row.tenantId, n: 1 });
    } catch {
      report.unreadable++;
    }
  }
  // Alert channels: several rows per tenant, two sealed fields each, bound to the channel's id.
  for (const row of await db.select().from(alertChannels).where(inArray(alertChannels.tenantId, ids)).all()) {
    const changes: { urlEnc?: string; secretEnc?: string } = {};
    for (const [name, field] of [
      ['urlEnc', 'url'],
      ['secretEnc', 'secret'],
    ] as const) {
      const sealed = row[name];
      if (isSealedWithNewest(env, sealed)) {
        report.current++;
        continue;
      }
      const aad = alertChannelContext(row.tenantId, row.id, field);
      try {
        changes[name] = await seal(env, await unseal(env, sealed, aad), aad);
      } catch {
        report.unreadable++;
      }
    }
    const n = Object.keys(changes).length;
    if (n === 0) continue;
    statements.push(
      db
        .update(alertChannels)
        .set(changes)
        .where(
          and(
            eq(alertChannels.id, row.id),
            eq(alertChannels.urlEnc, row.urlEnc),
            eq(alertChannels.secretEnc, row.secretEnc),
          ),
        ),
    );
    sizes.push({ tenantId: row.tenantId, n });
  }
  const [first, ...rest] = statements;
  const results = first ? await db.batch([first, ...rest]) : [];
  results.forEach((result, i) => {
    const { tenantId, n } = sizes[i]!;
    // Not updated: the row changed after it was read, and whatever was written is sealed with the newest key.
    if (result.meta.changes === 0) report.current += n;
    else {
      report.reencrypted += n;
      report.perTenant.set(tenantId, (report.perTenant.get(tenantId) ?? 0) + n);
    }
  });
  return { ...report, next: ids.length < page.limit ? null : ids[ids.length - 1]! };
}
