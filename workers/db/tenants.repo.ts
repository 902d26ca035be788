/**
 * Tenant configuration in D1. Secrets are sealed with the newest key of the keyring before they are
 * written and opened only here (and in reseal.repo.ts, which re-seals them after a key rotation);
 * the decrypted {@link Tenant} never leaves the Worker (no API returns it). Every secret is bound to
 * its tenant id as AES-GCM associated data ({@link secretAad}).
 */
import { and, eq, or, sql } from 'drizzle-orm';
import { sha256Hex } from '../lib/crypto';
import { seal, unseal } from '../lib/keyring';
import { config, type Env } from '../env';
import { getDb } from './client';
import { after, likeEscaped, type PageRequest, pageOrder, paged } from './paging';
import { owedDeletionsOfTenant } from './custom-hostnames.repo';
import { forgetTenant, tenantCache } from './tenant-cache';
import { genesysConfigs, offboardingJobs, tenants, whatsappConfigs } from './schema';
import { type GenesysPoolClient, readGenesysPool } from './genesys-clients.repo';

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
  /** Further Genesys OAuth clients (the token pool), oldest first; the default client is `genesys`. */
  genesysClients: GenesysPoolClient[];
}

/** How long Genesys may keep signing with the old secret after a rotation. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3600_000;

/** The associated data a tenant secret is sealed with: it opens only as that field of that tenant. */
export const secretAad = (tenantId: string, field: string) => `tenant:${tenantId}:${field}`;

async function whatsappRow(env: Env, tenantId: string, w: NewTenant['whatsapp']) {
  return {
    tenantId,
    phoneNumberId: w.phoneNumberId,
    wabaId: w.wabaId,
    accessTokenEnc: await seal(env, w.accessToken, secretAad(tenantId, 'wa.accessToken')),
    appSecretEnc: await seal(env, w.appSecret, secretAad(tenantId, 'wa.appSecret')),
    verifyTokenEnc: await seal(env, w.verifyToken, secretAad(tenantId, 'wa.verifyToken')),
    verifyTokenHash: await sha256Hex(w.verifyToken),
    messagesPerSecond: w.messagesPerSecond ?? 80,
    credentialStatus: 'ok' as const,
    updatedAt: Date.now(),
  };
}

async function genesysRow(env: Env, tenantId: string, g: NewTenant['genesys']) {
  return {
    tenantId,
    region: g.region,
    clientId: g.clientId,
    clientSecretEnc: await seal(env, g.clientSecret, secretAad(tenantId, 'gc.clientSecret')),
    integrationId: g.integrationId,
    outboundWebhookSecretEnc: await seal(env, g.outboundWebhookSecret, secretAad(tenantId, 'gc.outboundWebhookSecret')),
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
        previousSecretEnc: await seal(env, previous.outboundWebhookSecret, secretAad(tenantId, 'gc.previousSecret')),
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
  // D1 enforces foreign keys, so the tenant's configs, users, keys and hostnames go with it; the
  // hostnames Cloudflare holds are first recorded as deletions owed to Cloudflare (settled by the
  // offboarding request and the cron, lib/custom-hostname-sync.ts).
  await db.batch([
    db.insert(offboardingJobs).values({ id: job.id, tenantId, requestedBy: job.requestedBy }),
    owedDeletionsOfTenant(env, tenantId),
    db.delete(whatsappConfigs).where(eq(whatsappConfigs.tenantId, tenantId)),
    db.delete(genesysConfigs).where(eq(genesysConfigs.tenantId, tenantId)),
    db.delete(tenants).where(eq(tenants.id, tenantId)),
  ]);
  forgetTenant(tenantId);
}

/** One page of the tenant ids visible to a scope, oldest tenant first. */
/** One page of the tenants in `scope` (all for the platform), oldest first; `q` matches part of the name or slug. */
export function pageTenantIds(env: Env, scope: string | null, request: PageRequest, q?: string) {
  const like = q ? `%${likeEscaped(q.toLowerCase())}%` : undefined;
  return paged(
    `tenants:${scope ?? 'platform'}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select({ id: tenants.id, createdAt: tenants.createdAt })
        .from(tenants)
        .where(
          and(
            scope === null ? undefined : eq(tenants.id, scope),
            like
              ? or(sql`lower(${tenants.name}) LIKE ${like} ESCAPE '\\'`, sql`${tenants.slug} LIKE ${like} ESCAPE '\\'`)
              : undefined,
            after('oldest', tenants.createdAt, tenants.id, cursor),
          ),
        )
        .orderBy(...pageOrder('oldest', tenants.createdAt, tenants.id))
        .limit(rows)
        .all(),
    (r) => ({ at: r.createdAt, id: r.id }),
  );
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
      accessToken: await unseal(env, w.accessTokenEnc, secretAad(tenantId, 'wa.accessToken')),
      appSecret: await unseal(env, w.appSecretEnc, secretAad(tenantId, 'wa.appSecret')),
      verifyToken: await unseal(env, w.verifyTokenEnc, secretAad(tenantId, 'wa.verifyToken')),
      credentialStatus: w.credentialStatus,
      messagesPerSecond: w.messagesPerSecond,
    },
    genesys: {
      region: g.region,
      clientId: g.clientId,
      clientSecret: await unseal(env, g.clientSecretEnc, secretAad(tenantId, 'gc.clientSecret')),
      integrationId: g.integrationId,
      outboundWebhookSecret: await unseal(
        env,
        g.outboundWebhookSecretEnc,
        secretAad(tenantId, 'gc.outboundWebhookSecret'),
      ),
      ...(g.orgId ? { orgId: g.orgId } : {}),
      ...(g.previousSecretEnc && (g.previousSecretUntil ?? 0) > Date.now()
        ? {
            previousOutboundWebhookSecret: await unseal(
              env,
              g.previousSecretEnc,
              secretAad(tenantId, 'gc.previousSecret'),
            ),
            previousOutboundWebhookSecretUntil: g.previousSecretUntil!,
          }
        : {}),
    },
    genesysClients: await readGenesysPool(env, tenantId),
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

// ===== Key rotation (re-sealing every secret: reseal.repo.ts)

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
