/**
 * Tenant configuration in D1. Secrets are sealed with the newest key of the keyring before they are
 * written and opened only here; the decrypted {@link Tenant} never leaves the Worker (no API returns
 * it). Every secret is bound to its tenant id as AES-GCM associated data.
 */
import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import { sha256Hex } from '../lib/crypto';
import { isSealedWithNewest, seal, unseal } from '../lib/keyring';
import { config, type Env } from '../env';
import { getDb } from './client';
import { forgetTenant, tenantCache } from './tenant-cache';
import { genesysConfigs, offboardingJobs, tenants, whatsappConfigs } from './schema';

export interface NewTenant {
  name: string;
  slug: string;
  whatsapp: {
    phoneNumberId: string;
    wabaId: string;
    accessToken: string;
    appSecret: string;
    verifyToken: string;
    messagesPerSecond?: number;
  };
  genesys: {
    region: string;
    clientId: string;
    clientSecret: string;
    integrationId: string;
    outboundWebhookSecret: string;
  };
}

export type GenesysReceipts = 'all' | 'failed';

/** What an admin may change on a tenant besides its credentials. */
export interface TenantSettingsPatch {
  name?: string;
  status?: 'active' | 'suspended';
  markRead?: boolean;
  genesysReceipts?: GenesysReceipts;
  /** null: back to the deployment's INBOUND_REORDER_MS. */
  inboundReorderMs?: number | null;
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  markRead: boolean;
  /** Genesys receipts for agent messages: Delivered and Failed (`all`), or Failed only. */
  genesysReceipts: GenesysReceipts;
  /**
   * How long a customer message is held, from the webhook's arrival, so that an earlier-timestamped
   * sibling Meta delivers late can still go first: the tenant's own setting, else INBOUND_REORDER_MS.
   */
  inboundReorderMs: number;
  whatsapp: NewTenant['whatsapp'] & { credentialStatus: 'ok' | 'broken'; messagesPerSecond: number };
  genesys: NewTenant['genesys'] & {
    /** The signing secret before the last rotation, while Genesys may still use it. */
    previousOutboundWebhookSecret?: string;
    /** When the grace of {@link previousOutboundWebhookSecret} ends (epoch ms): checked on use, not only on read. */
    previousOutboundWebhookSecretUntil?: number;
    /** The Genesys organization of the OAuth client, once learned. */
    orgId?: string;
  };
}

/** How long Genesys may keep signing with the old secret after a rotation. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3600_000;

const aad = (tenantId: string, field: string) => `tenant:${tenantId}:${field}`;

async function whatsappRow(env: Env, tenantId: string, w: NewTenant['whatsapp']) {
  const key = env;
  return {
    tenantId,
    phoneNumberId: w.phoneNumberId,
    wabaId: w.wabaId,
    accessTokenEnc: await seal(key, w.accessToken, aad(tenantId, 'wa.accessToken')),
    appSecretEnc: await seal(key, w.appSecret, aad(tenantId, 'wa.appSecret')),
    verifyTokenEnc: await seal(key, w.verifyToken, aad(tenantId, 'wa.verifyToken')),
    verifyTokenHash: await sha256Hex(w.verifyToken),
    messagesPerSecond: w.messagesPerSecond ?? 80,
    credentialStatus: 'ok' as const,
    updatedAt: Date.now(),
  };
}

async function genesysRow(env: Env, tenantId: string, g: NewTenant['genesys']) {
  const key = env;
  return {
    tenantId,
    region: g.region,
    clientId: g.clientId,
    clientSecretEnc: await seal(key, g.clientSecret, aad(tenantId, 'gc.clientSecret')),
    integrationId: g.integrationId,
    outboundWebhookSecretEnc: await seal(key, g.outboundWebhookSecret, aad(tenantId, 'gc.outboundWebhookSecret')),
    updatedAt: Date.now(),
  };
}

export async function createTenant(env: Env, input: NewTenant, id: string = crypto.randomUUID()): Promise<string> {
  const db = getDb(env.DB);
  // One batch = one transaction: a tenant never exists half-configured.
  await db.batch([
    db.insert(tenants).values({ id, slug: input.slug, name: input.name }),
    db.insert(whatsappConfigs).values(await whatsappRow(env, id, input.whatsapp)),
    db.insert(genesysConfigs).values(await genesysRow(env, id, input.genesys)),
  ]);
  forgetTenant(id);
  return id;
}

/** Replaces the WhatsApp credentials (a rotation); the caller merges unchanged fields in first. */
export async function setWhatsappConfig(env: Env, tenantId: string, w: NewTenant['whatsapp']): Promise<void> {
  const row = await whatsappRow(env, tenantId, w);
  await getDb(env.DB).update(whatsappConfigs).set(row).where(eq(whatsappConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
}

/**
 * Replaces the Genesys credentials. When the outbound webhook secret changes, the old one stays
 * valid for {@link SECRET_ROTATION_GRACE_MS}: Genesys may still sign with it while the change spreads.
 */
export async function setGenesysConfig(
  env: Env,
  tenantId: string,
  g: NewTenant['genesys'],
  previous?: Tenant['genesys'],
): Promise<void> {
  const row = await genesysRow(env, tenantId, g);
  const rotated = previous && previous.outboundWebhookSecret !== g.outboundWebhookSecret;
  const grace = rotated
    ? {
        previousSecretEnc: await seal(env, previous.outboundWebhookSecret, aad(tenantId, 'gc.previousSecret')),
        previousSecretUntil: Date.now() + SECRET_ROTATION_GRACE_MS,
      }
    : {};
  await getDb(env.DB)
    .update(genesysConfigs)
    .set({ ...row, ...grace })
    .where(eq(genesysConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
}

/** Marks the WhatsApp token as refused by Meta (error 190) so operators see it. */
export async function markWhatsappCredential(env: Env, tenantId: string, status: 'ok' | 'broken'): Promise<void> {
  await getDb(env.DB)
    .update(whatsappConfigs)
    .set({ credentialStatus: status })
    .where(eq(whatsappConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
}

export async function updateTenant(env: Env, tenantId: string, patch: TenantSettingsPatch): Promise<void> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as TenantSettingsPatch;
  if (Object.keys(set).length === 0) return;
  await getDb(env.DB).update(tenants).set(set).where(eq(tenants.id, tenantId));
  forgetTenant(tenantId);
}

/**
 * Deletes the tenant's configuration and records the offboarding job that erases everything else
 * it owns (workers/erasure/offboarding.ts), in one transaction: from then on no lookup finds the
 * tenant, so its webhooks are refused and nothing more is sent for it.
 */
export async function deleteTenant(
  env: Env,
  tenantId: string,
  job: { id: string; requestedBy: string },
): Promise<void> {
  const db = getDb(env.DB);
  // D1 enforces foreign keys, so the tenant's configs, users, keys and hostnames go with it.
  await db.batch([
    db.insert(offboardingJobs).values({ id: job.id, tenantId, requestedBy: job.requestedBy }),
    db.delete(whatsappConfigs).where(eq(whatsappConfigs.tenantId, tenantId)),
    db.delete(genesysConfigs).where(eq(genesysConfigs.tenantId, tenantId)),
    db.delete(tenants).where(eq(tenants.id, tenantId)),
  ]);
  forgetTenant(tenantId);
}

/** Tenant ids visible to a scope: every tenant for the platform (null), else just its own. */
export async function listTenantIds(env: Env, scope: string | null): Promise<string[]> {
  const db = getDb(env.DB);
  const rows =
    scope === null
      ? await db.select({ id: tenants.id }).from(tenants).all()
      : await db
          .select({ id: tenants.id })
          .from(tenants)
          .where(inArray(tenants.id, [scope]))
          .all();
  return rows.map((r) => r.id);
}

// ===== Lookups on the hot path
// Every webhook resolves a tenant; answers are remembered per isolate, bounded (tenant-cache.ts).

export { forgetTenant };

export function loadTenant(env: Env, tenantId: string): Promise<Tenant | null> {
  return tenantCache.byId.lookup(tenantId, () => readTenant(env, tenantId));
}

async function readTenant(env: Env, tenantId: string): Promise<Tenant | null> {
  const db = getDb(env.DB);
  const row = await db
    .select()
    .from(tenants)
    .innerJoin(whatsappConfigs, eq(whatsappConfigs.tenantId, tenants.id))
    .innerJoin(genesysConfigs, eq(genesysConfigs.tenantId, tenants.id))
    .where(eq(tenants.id, tenantId))
    .get();
  if (!row) return null;
  const key = env;
  const w = row.whatsapp_configs;
  const g = row.genesys_configs;
  return {
    id: row.tenants.id,
    slug: row.tenants.slug,
    name: row.tenants.name,
    status: row.tenants.status,
    markRead: row.tenants.markRead,
    genesysReceipts: row.tenants.genesysReceipts,
    inboundReorderMs: row.tenants.inboundReorderMs ?? config(env).INBOUND_REORDER_MS,
    whatsapp: {
      phoneNumberId: w.phoneNumberId,
      wabaId: w.wabaId,
      accessToken: await unseal(key, w.accessTokenEnc, aad(tenantId, 'wa.accessToken')),
      appSecret: await unseal(key, w.appSecretEnc, aad(tenantId, 'wa.appSecret')),
      verifyToken: await unseal(key, w.verifyTokenEnc, aad(tenantId, 'wa.verifyToken')),
      credentialStatus: w.credentialStatus,
      messagesPerSecond: w.messagesPerSecond,
    },
    genesys: {
      region: g.region,
      clientId: g.clientId,
      clientSecret: await unseal(key, g.clientSecretEnc, aad(tenantId, 'gc.clientSecret')),
      integrationId: g.integrationId,
      outboundWebhookSecret: await unseal(key, g.outboundWebhookSecretEnc, aad(tenantId, 'gc.outboundWebhookSecret')),
      ...(g.orgId ? { orgId: g.orgId } : {}),
      ...(g.previousSecretEnc && (g.previousSecretUntil ?? 0) > Date.now()
        ? {
            previousOutboundWebhookSecret: await unseal(key, g.previousSecretEnc, aad(tenantId, 'gc.previousSecret')),
            previousOutboundWebhookSecretUntil: g.previousSecretUntil!,
          }
        : {}),
    },
  };
}

/** phone_number_id → tenant id: every webhook asks, and the answer almost never changes. */
export function tenantIdByPhoneNumberId(env: Env, phoneNumberId: string): Promise<string | null> {
  return tenantCache.byPhoneNumberId.lookup(phoneNumberId, async () => {
    const row = await getDb(env.DB)
      .select({ id: whatsappConfigs.tenantId })
      .from(whatsappConfigs)
      .where(eq(whatsappConfigs.phoneNumberId, phoneNumberId))
      .get();
    return row?.id ?? null;
  });
}

export function tenantIdBySlug(env: Env, slug: string): Promise<string | null> {
  return tenantCache.bySlug.lookup(slug, async () => {
    const row = await getDb(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, slug)).get();
    return row?.id ?? null;
  });
}

/** Tenants whose WhatsApp verify token hashes to this value (normally one). */
export async function tenantIdsByVerifyToken(env: Env, verifyToken: string): Promise<string[]> {
  const rows = await getDb(env.DB)
    .select({ id: whatsappConfigs.tenantId })
    .from(whatsappConfigs)
    .where(eq(whatsappConfigs.verifyTokenHash, await sha256Hex(verifyToken)))
    .all();
  return rows.map((r) => r.id);
}

// ===== Key rotation

/** Ends the grace of the outbound webhook secret before the last rotation: only the current one signs from now on. */
export async function revokePreviousWebhookSecret(env: Env, tenantId: string): Promise<boolean> {
  const db = getDb(env.DB);
  const row = await db
    .select({ until: genesysConfigs.previousSecretUntil })
    .from(genesysConfigs)
    .where(eq(genesysConfigs.tenantId, tenantId))
    .get();
  const live = (row?.until ?? 0) > Date.now();
  await db
    .update(genesysConfigs)
    .set({ previousSecretEnc: null, previousSecretUntil: null })
    .where(eq(genesysConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
  return live;
}

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

/** Every sealed column, with the field name its associated data binds. */
const WA_SEALED = [
  ['accessTokenEnc', 'wa.accessToken'],
  ['appSecretEnc', 'wa.appSecret'],
  ['verifyTokenEnc', 'wa.verifyToken'],
] as const;
const GC_SEALED = [
  ['clientSecretEnc', 'gc.clientSecret'],
  ['outboundWebhookSecretEnc', 'gc.outboundWebhookSecret'],
  ['previousSecretEnc', 'gc.previousSecret'],
] as const;

/**
 * Re-seals one page of tenants' secrets with the newest key, so older keys can leave the keyring.
 * Each row is updated only if its ciphertexts are still the ones read (a credential set meanwhile
 * is sealed with the newest key already), so it is safe to run while the bridge works.
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

  async function reseal<K extends string>(
    tenantId: string,
    row: Record<K, string | null>,
    fields: ReadonlyArray<readonly [K, string]>,
  ): Promise<Partial<Record<K, { from: string; to: string }>>> {
    const changes: Partial<Record<K, { from: string; to: string }>> = {};
    for (const [column, field] of fields) {
      const sealed = row[column];
      if (sealed === null) continue;
      if (isSealedWithNewest(env, sealed)) {
        report.current++;
        continue;
      }
      try {
        const plain = await unseal(env, sealed, aad(tenantId, field));
        changes[column] = { from: sealed, to: await seal(env, plain, aad(tenantId, field)) };
      } catch {
        report.unreadable++;
      }
    }
    return changes;
  }

  const statements = [];
  const sizes: Array<{ tenantId: string; n: number }> = [];
  for (const row of await db.select().from(whatsappConfigs).where(inArray(whatsappConfigs.tenantId, ids)).all()) {
    const changes = await reseal(row.tenantId, row, WA_SEALED);
    const columns = Object.keys(changes) as Array<(typeof WA_SEALED)[number][0]>;
    if (columns.length === 0) continue;
    const same: SQL[] = columns.map((c) => eq(whatsappConfigs[c], changes[c]!.from));
    statements.push(
      db
        .update(whatsappConfigs)
        .set(Object.fromEntries(columns.map((c) => [c, changes[c]!.to])))
        .where(and(eq(whatsappConfigs.tenantId, row.tenantId), ...same)),
    );
    sizes.push({ tenantId: row.tenantId, n: columns.length });
  }
  for (const row of await db.select().from(genesysConfigs).where(inArray(genesysConfigs.tenantId, ids)).all()) {
    const changes = await reseal(row.tenantId, row, GC_SEALED);
    const columns = Object.keys(changes) as Array<(typeof GC_SEALED)[number][0]>;
    if (columns.length === 0) continue;
    const same: SQL[] = columns.map((c) => eq(genesysConfigs[c], changes[c]!.from));
    statements.push(
      db
        .update(genesysConfigs)
        .set(Object.fromEntries(columns.map((c) => [c, changes[c]!.to])))
        .where(and(eq(genesysConfigs.tenantId, row.tenantId), ...same)),
    );
    sizes.push({ tenantId: row.tenantId, n: columns.length });
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
