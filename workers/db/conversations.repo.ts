/**
 * The conversation index and hourly metrics the dashboard and agent widget read. Written from the
 * conversation objects' reports, a batch at a time (queues/activity.handler.ts; never on the
 * webhook path); every read is scoped by tenant.
 */
import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Env } from '../env';
import { getDb } from './client';
import { foldActivity } from '../domain/activity-fold';
import type { ActivityMessage } from '../schemas/queue.schema';
import { sha256Hex } from '../lib/crypto';
import { conversations, erasedCustomers, genesysConfigs, metricsHourly, metricsLatency } from './schema';
import { forgetTenant } from './tenants.repo';

/**
 * Writes a batch of conversation reports (queue `activity`) in one D1 transaction: the index rows
 * (counts added, newest facts kept, backlog replaced only by a newer report), the hourly metrics and
 * their latency histogram.
 */
export async function applyActivity(env: Env, reports: ActivityMessage[]): Promise<void> {
  const db = getDb(env.DB);
  const folded = foldActivity(await withoutErased(env, reports));
  const statements = [
    ...folded.conversations.map((c) =>
      db
        .insert(conversations)
        .values({
          tenantId: c.tenantId,
          waId: c.waId,
          contactName: c.contactName,
          genesysConversationId: c.genesysConversationId,
          lastMessageAt: c.lastMessageAt,
          lastDirection: c.lastDirection,
          lastCustomerMessageAt: c.lastCustomerMessageAt,
          messagesIn: c.messagesIn,
          messagesOut: c.messagesOut,
          backlogIn: c.backlog.inbound.count,
          backlogInOldestAt: c.backlog.inbound.oldestAt,
          backlogOut: c.backlog.outbound.count,
          backlogOutOldestAt: c.backlog.outbound.oldestAt,
          backlogAt: c.backlogAt,
        })
        .onConflictDoUpdate({
          target: [conversations.tenantId, conversations.waId],
          set: {
            contactName: sql`COALESCE(excluded.contact_name, ${conversations.contactName})`,
            genesysConversationId: sql`COALESCE(excluded.genesys_conversation_id, ${conversations.genesysConversationId})`,
            lastDirection: sql`CASE WHEN excluded.last_message_at >= ${conversations.lastMessageAt} THEN excluded.last_direction ELSE ${conversations.lastDirection} END`,
            lastMessageAt: sql`MAX(excluded.last_message_at, ${conversations.lastMessageAt})`,
            lastCustomerMessageAt: sql`MAX(COALESCE(excluded.last_customer_message_at, 0), COALESCE(${conversations.lastCustomerMessageAt}, 0))`,
            messagesIn: sql`${conversations.messagesIn} + excluded.messages_in`,
            messagesOut: sql`${conversations.messagesOut} + excluded.messages_out`,
            ...newerBacklog(),
          },
        }),
    ),
    ...folded.hours.map((h) =>
      db
        .insert(metricsHourly)
        .values(h)
        .onConflictDoUpdate({
          target: [metricsHourly.tenantId, metricsHourly.hour, metricsHourly.direction],
          set: {
            delivered: sql`${metricsHourly.delivered} + excluded.delivered`,
            failed: sql`${metricsHourly.failed} + excluded.failed`,
            latencySumMs: sql`${metricsHourly.latencySumMs} + excluded.latency_sum_ms`,
          },
        }),
    ),
    ...folded.buckets.map((b) =>
      db
        .insert(metricsLatency)
        .values(b)
        .onConflictDoUpdate({
          target: [metricsLatency.tenantId, metricsLatency.hour, metricsLatency.direction, metricsLatency.leMs],
          set: { count: sql`${metricsLatency.count} + excluded.count` },
        }),
    ),
  ];
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/**
 * Records that a customer was erased now, by a hash of their number: reports sent before the erasure
 * but still on the activity queue must not write their index row back.
 */
export async function rememberErasedCustomer(env: Env, tenantId: string, waId: string): Promise<void> {
  const row = { tenantId, waIdHash: await sha256Hex(`${tenantId}:${waId}`), erasedAt: Date.now() };
  await getDb(env.DB)
    .insert(erasedCustomers)
    .values(row)
    .onConflictDoUpdate({
      target: [erasedCustomers.tenantId, erasedCustomers.waIdHash],
      set: { erasedAt: row.erasedAt },
    });
}

/** Drops reports of customers erased after the report was sent. */
async function withoutErased(env: Env, reports: ActivityMessage[]): Promise<ActivityMessage[]> {
  const tenantIds = [...new Set(reports.map((r) => r.tenantId))];
  const erased = await getDb(env.DB)
    .select()
    .from(erasedCustomers)
    .where(inArray(erasedCustomers.tenantId, tenantIds))
    .all();
  if (erased.length === 0) return reports;
  const erasedAt = new Map(erased.map((e) => [`${e.tenantId}:${e.waIdHash}`, e.erasedAt]));
  const kept: ActivityMessage[] = [];
  for (const r of reports) {
    const at = erasedAt.get(`${r.tenantId}:${await sha256Hex(`${r.tenantId}:${r.waId}`)}`);
    if (at === undefined || r.reportedAt > at) kept.push(r);
  }
  return kept;
}

/** Backlog columns take the report's values only when it is newer than the one they hold. */
function newerBacklog() {
  const newer = sql`excluded.backlog_at >= ${conversations.backlogAt}`;
  const pick = (column: string, current: unknown) =>
    sql`CASE WHEN ${newer} THEN ${sql.raw(`excluded.${column}`)} ELSE ${current} END`;
  return {
    backlogIn: pick('backlog_in', conversations.backlogIn),
    backlogInOldestAt: pick('backlog_in_oldest_at', conversations.backlogInOldestAt),
    backlogOut: pick('backlog_out', conversations.backlogOut),
    backlogOutOldestAt: pick('backlog_out_oldest_at', conversations.backlogOutOldestAt),
    backlogAt: sql`MAX(excluded.backlog_at, ${conversations.backlogAt})`,
  };
}

/** Removes a conversation from the index once its object has cleared itself, unless it saw activity after `before`. */
export async function deleteConversationIndex(env: Env, tenantId: string, waId: string, before: number): Promise<void> {
  await getDb(env.DB)
    .delete(conversations)
    .where(
      and(eq(conversations.tenantId, tenantId), eq(conversations.waId, waId), lt(conversations.lastMessageAt, before)),
    );
}

export function listConversations(env: Env, tenantId: string, limit = 100) {
  return getDb(env.DB)
    .select()
    .from(conversations)
    .where(eq(conversations.tenantId, tenantId))
    .orderBy(desc(conversations.lastMessageAt))
    .limit(limit)
    .all();
}

export function getConversation(env: Env, tenantId: string, waId: string) {
  return getDb(env.DB)
    .select()
    .from(conversations)
    .where(and(eq(conversations.tenantId, tenantId), eq(conversations.waId, waId)))
    .get();
}

export function conversationByGenesysId(env: Env, tenantId: string, genesysConversationId: string) {
  return getDb(env.DB)
    .select()
    .from(conversations)
    .where(and(eq(conversations.tenantId, tenantId), eq(conversations.genesysConversationId, genesysConversationId)))
    .get();
}

export function metricsSince(env: Env, tenantId: string, since: number) {
  return getDb(env.DB)
    .select()
    .from(metricsHourly)
    .where(and(eq(metricsHourly.tenantId, tenantId), gte(metricsHourly.hour, since)))
    .orderBy(metricsHourly.hour)
    .all();
}

export function latencySince(env: Env, tenantId: string, since: number) {
  return getDb(env.DB)
    .select()
    .from(metricsLatency)
    .where(and(eq(metricsLatency.tenantId, tenantId), gte(metricsLatency.hour, since)))
    .all();
}

/** What the tenant's conversations hold back, per direction: how many messages, since when the oldest. */
export async function tenantBacklog(env: Env, tenantId: string) {
  const row = await getDb(env.DB)
    .select({
      inbound: sql<number>`COALESCE(SUM(${conversations.backlogIn}), 0)`,
      inboundOldestAt: sql<number | null>`MIN(${conversations.backlogInOldestAt})`,
      outbound: sql<number>`COALESCE(SUM(${conversations.backlogOut}), 0)`,
      outboundOldestAt: sql<number | null>`MIN(${conversations.backlogOutOldestAt})`,
    })
    .from(conversations)
    .where(eq(conversations.tenantId, tenantId))
    .get();
  return {
    inbound: { count: row?.inbound ?? 0, oldestAt: row?.inboundOldestAt ?? null },
    outbound: { count: row?.outbound ?? 0, oldestAt: row?.outboundOldestAt ?? null },
  };
}

export async function setGenesysOrgId(env: Env, tenantId: string, orgId: string): Promise<void> {
  await getDb(env.DB).update(genesysConfigs).set({ orgId }).where(eq(genesysConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
}
