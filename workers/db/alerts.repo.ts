/**
 * Alerts in D1: a tenant's channels (URL and signing secret sealed, bound to the tenant id and the
 * channel's id), its incidents, and each notice's delivery to each channel. Every function takes
 * the tenant id and every query is scoped by it.
 */
import { and, asc, eq, inArray, lt } from 'drizzle-orm';
import type { Env } from '../env';
import type { AlertType } from '../domain/alert-rules';
import { seal, unseal } from '../lib/keyring';
import { getDb } from './client';
import { after, type PageRequest, pageOrder, paged } from './paging';
import { alertChannels, alertDeliveries, alerts } from './schema';

/** The associated data a channel's sealed field is bound to: its tenant and its own id. */
export const alertChannelContext = (tenantId: string, channelId: string, field: 'url' | 'secret') =>
  `tenant:${tenantId}:alert.${channelId}.${field}`;

export interface AlertChannel {
  id: string;
  url: string;
  secret: string;
  label: string | null;
  createdAt: number;
}

export type AlertRow = typeof alerts.$inferSelect;
export type DeliveryRow = typeof alertDeliveries.$inferSelect;

// ===== Channels

export async function addAlertChannel(
  env: Env,
  tenantId: string,
  channel: { id: string; url: string; secret: string; label: string | null },
): Promise<AlertChannel> {
  const row = await getDb(env.DB)
    .insert(alertChannels)
    .values({
      id: channel.id,
      tenantId,
      urlEnc: await seal(env, channel.url, alertChannelContext(tenantId, channel.id, 'url')),
      secretEnc: await seal(env, channel.secret, alertChannelContext(tenantId, channel.id, 'secret')),
      label: channel.label,
    })
    .returning()
    .get();
  return { ...channel, createdAt: row.createdAt };
}

/** The tenant's channels, opened, oldest first. */
export async function listAlertChannels(env: Env, tenantId: string): Promise<AlertChannel[]> {
  const rows = await getDb(env.DB)
    .select()
    .from(alertChannels)
    .where(eq(alertChannels.tenantId, tenantId))
    .orderBy(asc(alertChannels.createdAt), asc(alertChannels.id))
    .all();
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      url: await unseal(env, row.urlEnc, alertChannelContext(tenantId, row.id, 'url')),
      secret: await unseal(env, row.secretEnc, alertChannelContext(tenantId, row.id, 'secret')),
      label: row.label,
      createdAt: row.createdAt,
    })),
  );
}

/** Removes a channel and the notices still waiting for it; false when the tenant has no such channel. */
export async function removeAlertChannel(env: Env, tenantId: string, channelId: string): Promise<boolean> {
  const db = getDb(env.DB);
  const [removed] = await db.batch([
    db
      .delete(alertChannels)
      .where(and(eq(alertChannels.tenantId, tenantId), eq(alertChannels.id, channelId)))
      .returning({ id: alertChannels.id }),
    db
      .delete(alertDeliveries)
      .where(
        and(
          eq(alertDeliveries.tenantId, tenantId),
          eq(alertDeliveries.channelId, channelId),
          eq(alertDeliveries.status, 'pending'),
        ),
      ),
  ]);
  return removed.length > 0;
}

/** Tenants with at least one channel: the ones the alerts job evaluates. */
export async function tenantsWithAlertChannels(env: Env): Promise<string[]> {
  const rows = await getDb(env.DB)
    .selectDistinct({ tenantId: alertChannels.tenantId })
    .from(alertChannels)
    .orderBy(asc(alertChannels.tenantId))
    .all();
  return rows.map((r) => r.tenantId);
}

// ===== Incidents

export function openAlertsOf(env: Env, tenantId: string): Promise<AlertRow[]> {
  return getDb(env.DB)
    .select()
    .from(alerts)
    .where(and(eq(alerts.tenantId, tenantId), eq(alerts.state, 'open')))
    .all();
}

/**
 * Opens an incident with a `firing` notice due to each channel. Answers false when the tenant
 * already has an open one of this type (two ticks at once meet `alerts_open_uq`).
 */
export async function openAlert(
  env: Env,
  tenantId: string,
  alert: { id: string; type: AlertType; detail: string; at: number },
  channelIds: string[],
): Promise<boolean> {
  const db = getDb(env.DB);
  const inserted = await db
    .insert(alerts)
    .values({ id: alert.id, tenantId, type: alert.type, state: 'open', detail: alert.detail, openedAt: alert.at })
    .onConflictDoNothing()
    .returning({ id: alerts.id })
    .all();
  if (inserted.length === 0) return false;
  if (channelIds.length > 0)
    await db
      .insert(alertDeliveries)
      .values(channelIds.map((channelId) => ({ alertId: alert.id, channelId, tenantId, notice: 'firing' as const })));
  return true;
}

/** Resolves an open incident with a `resolved` notice due to each channel; false if it was not open. */
export async function resolveAlert(
  env: Env,
  tenantId: string,
  alertId: string,
  at: number,
  channelIds: string[],
): Promise<boolean> {
  const db = getDb(env.DB);
  const resolved = await db
    .update(alerts)
    .set({ state: 'resolved', resolvedAt: at })
    .where(and(eq(alerts.tenantId, tenantId), eq(alerts.id, alertId), eq(alerts.state, 'open')))
    .returning({ id: alerts.id })
    .all();
  if (resolved.length === 0) return false;
  if (channelIds.length > 0)
    await db
      .insert(alertDeliveries)
      .values(channelIds.map((channelId) => ({ alertId, channelId, tenantId, notice: 'resolved' as const })))
      .onConflictDoNothing();
  return true;
}

/** One page of a tenant's incidents, newest first, each with its deliveries. */
export function pageAlerts(env: Env, tenantId: string, request: PageRequest) {
  return paged(
    `alerts:${tenantId}`,
    request,
    async (cursor, limit) =>
      withDeliveries(
        env,
        tenantId,
        await getDb(env.DB)
          .select()
          .from(alerts)
          .where(and(eq(alerts.tenantId, tenantId), after('newest', alerts.openedAt, alerts.id, cursor)))
          .orderBy(...pageOrder('newest', alerts.openedAt, alerts.id))
          .limit(limit)
          .all(),
      ),
    (r) => ({ at: r.openedAt, id: r.id }),
  );
}

async function withDeliveries(
  env: Env,
  tenantId: string,
  rows: AlertRow[],
): Promise<Array<AlertRow & { deliveries: DeliveryRow[] }>> {
  const db = getDb(env.DB);
  if (rows.length === 0) return [];
  const deliveries = await db
    .select()
    .from(alertDeliveries)
    .where(
      and(
        eq(alertDeliveries.tenantId, tenantId),
        inArray(
          alertDeliveries.alertId,
          rows.map((r) => r.id),
        ),
      ),
    )
    .orderBy(asc(alertDeliveries.createdAt))
    .all();
  return rows.map((row) => ({ ...row, deliveries: deliveries.filter((d) => d.alertId === row.id) }));
}

// ===== Deliveries

/** Notices still to send (oldest first, a firing before its resolve), with their incident. */
export async function dueDeliveries(
  env: Env,
  tenantId: string,
  maxAttempts: number,
): Promise<Array<{ delivery: DeliveryRow; alert: AlertRow }>> {
  const rows = await getDb(env.DB)
    .select({ delivery: alertDeliveries, alert: alerts })
    .from(alertDeliveries)
    .innerJoin(alerts, and(eq(alerts.id, alertDeliveries.alertId), eq(alerts.tenantId, alertDeliveries.tenantId)))
    .where(
      and(
        eq(alertDeliveries.tenantId, tenantId),
        eq(alertDeliveries.status, 'pending'),
        lt(alertDeliveries.attempts, maxAttempts),
      ),
    )
    .orderBy(asc(alertDeliveries.createdAt), asc(alertDeliveries.notice))
    .all();
  return rows;
}

/** Records one attempt: sent, or failed (given up once `maxAttempts` is reached, else retried next tick). */
export async function recordDelivery(
  env: Env,
  delivery: DeliveryRow,
  result: { ok: true } | { ok: false; error: string },
  at: number,
  maxAttempts: number,
): Promise<void> {
  const attempts = delivery.attempts + 1;
  await getDb(env.DB)
    .update(alertDeliveries)
    .set(
      result.ok
        ? { status: 'sent', attempts, sentAt: at, lastError: null }
        : { status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, lastError: result.error },
    )
    .where(
      and(
        eq(alertDeliveries.tenantId, delivery.tenantId),
        eq(alertDeliveries.alertId, delivery.alertId),
        eq(alertDeliveries.channelId, delivery.channelId),
        eq(alertDeliveries.notice, delivery.notice),
      ),
    );
}
