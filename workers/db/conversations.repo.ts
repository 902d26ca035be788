/**
 * The conversation index and hourly metrics the dashboard and agent widget read. Written from the
 * conversation objects' reports, a batch at a time (queues/activity.handler.ts; never on the
 * webhook path); every read is scoped by tenant.
 */
import { and, eq, gt, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Env } from '../env';
import { SERVICE_WINDOW_MS } from '../domain/conversation';
import { getDb } from './client';
import { after, type Cursor, likeEscaped, type PageRequest, pageOrder, paged, startsWithDigits } from './paging';
import { foldActivity } from '../domain/activity-fold';
import type { ActivityMessage } from '../schemas/queue.schema';
import { sha256Hex } from '../lib/crypto';
import { conversations, erasedCustomers, genesysConfigs, metricsHourly, metricsLatency, tenants } from './schema';
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

/** What the conversation list can be narrowed to; every field optional, all ANDed. */
export interface ConversationFilter {
  /** Digits (`+` ignored): a prefix of the customer's number; anything else: part of the contact name. */
  q?: string | undefined;
  /** `open`: the customer wrote in the last 24 hours (WhatsApp's service window); `closed`: not. */
  window?: 'open' | 'closed' | undefined;
  /** Only conversations holding messages back now (either direction). */
  backlog?: boolean | undefined;
}

function conversationFilter(filter: ConversationFilter, now: number): SQL | undefined {
  const t = conversations;
  const number = filter.q?.trim().replace(/^\+/, '');
  const opensAfter = now - SERVICE_WINDOW_MS;
  return and(
    number && /^\d+$/.test(number)
      ? startsWithDigits(t.waId, number)
      : filter.q
        ? sql`${t.contactName} LIKE ${`%${likeEscaped(filter.q.trim())}%`} ESCAPE '\\'`
        : undefined,
    filter.window === 'open' ? gt(t.lastCustomerMessageAt, opensAfter) : undefined,
    filter.window === 'closed'
      ? or(isNull(t.lastCustomerMessageAt), lte(t.lastCustomerMessageAt, opensAfter))
      : undefined,
    filter.backlog === true ? sql`(${t.backlogIn} + ${t.backlogOut}) > 0` : undefined,
    filter.backlog === false ? sql`(${t.backlogIn} + ${t.backlogOut}) = 0` : undefined,
  );
}

/** One page of a tenant's conversations, most recent message first (ties by number), narrowed by `filter`. */
export function pageConversations(
  env: Env,
  tenantId: string,
  request: PageRequest,
  filter: ConversationFilter = {},
  now = Date.now(),
) {
  const t = conversations;
  return paged(
    `conversations:${tenantId}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select()
        .from(t)
        .where(
          and(
            eq(t.tenantId, tenantId),
            conversationFilter(filter, now),
            after('newest', t.lastMessageAt, t.waId, cursor),
          ),
        )
        .orderBy(...pageOrder('newest', t.lastMessageAt, t.waId))
        .limit(rows)
        .all(),
    (r) => ({ at: r.lastMessageAt, id: r.waId }),
  );
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

/** The backlog aggregates over a set of conversation rows: one definition for a tenant, each tenant and all. */
const backlogColumns = {
  inbound: sql<number>`COALESCE(SUM(${conversations.backlogIn}), 0)`,
  inboundOldestAt: sql<number | null>`MIN(${conversations.backlogInOldestAt})`,
  outbound: sql<number>`COALESCE(SUM(${conversations.backlogOut}), 0)`,
  outboundOldestAt: sql<number | null>`MIN(${conversations.backlogOutOldestAt})`,
};

export interface Backlog {
  inbound: { count: number; oldestAt: number | null };
  outbound: { count: number; oldestAt: number | null };
}

function backlogOf(
  row:
    | { inbound: number; inboundOldestAt: number | null; outbound: number; outboundOldestAt: number | null }
    | undefined,
): Backlog {
  return {
    inbound: { count: row?.inbound ?? 0, oldestAt: row?.inboundOldestAt ?? null },
    outbound: { count: row?.outbound ?? 0, oldestAt: row?.outboundOldestAt ?? null },
  };
}

/** What the tenant's conversations hold back, per direction: how many messages, since when the oldest. */
export async function tenantBacklog(env: Env, tenantId: string): Promise<Backlog> {
  const row = await getDb(env.DB)
    .select(backlogColumns)
    .from(conversations)
    .where(eq(conversations.tenantId, tenantId))
    .get();
  return backlogOf(row);
}

/** One page of every tenant's backlog (tenants oldest first, each with its name), platform-wide. */
export function pageTenantBacklogs(env: Env, request: PageRequest) {
  return paged(
    'backlog:platform',
    request,
    async (cursor: Cursor | undefined, rows: number) =>
      (
        await getDb(env.DB)
          .select({ tenantId: tenants.id, name: tenants.name, createdAt: tenants.createdAt, ...backlogColumns })
          .from(tenants)
          .leftJoin(conversations, eq(conversations.tenantId, tenants.id))
          .where(after('oldest', tenants.createdAt, tenants.id, cursor))
          .groupBy(tenants.id)
          .orderBy(...pageOrder('oldest', tenants.createdAt, tenants.id))
          .limit(rows)
          .all()
      ).map((r) => ({ tenantId: r.tenantId, name: r.name, createdAt: r.createdAt, ...backlogOf(r) })),
    (r) => ({ at: r.createdAt, id: r.tenantId }),
  );
}

/** The backlog of every tenant's conversations together (tenants that still exist). */
export async function platformBacklog(env: Env): Promise<Backlog> {
  const row = await getDb(env.DB)
    .select(backlogColumns)
    .from(conversations)
    .innerJoin(tenants, eq(tenants.id, conversations.tenantId))
    .get();
  return backlogOf(row);
}

export async function setGenesysOrgId(env: Env, tenantId: string, orgId: string): Promise<void> {
  await getDb(env.DB).update(genesysConfigs).set({ orgId }).where(eq(genesysConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
}
