/**
 * The conversation index and hourly metrics the dashboard and agent widget read. Written by the
 * conversation objects after each delivery outcome (never on the webhook path); every read is
 * scoped by tenant.
 */
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Env } from '../env';
import { getDb } from './client';
import { conversations, genesysConfigs, metricsHourly } from './schema';
import { forgetTenant } from './tenants.repo';

export interface Activity {
  tenantId: string;
  waId: string;
  direction: 'inbound' | 'outbound';
  outcome: 'delivered' | 'failed';
  at: number;
  contactName?: string | null;
  /** Meta timestamp of the customer's message (ms), for inbound. */
  customerAt?: number;
  genesysConversationId?: string;
  latencyMs?: number;
}

const HOUR = 3600_000;

export async function recordActivity(env: Env, a: Activity): Promise<void> {
  const db = getDb(env.DB);
  const delivered = a.outcome === 'delivered' ? 1 : 0;
  await db.batch([
    db
      .insert(conversations)
      .values({
        tenantId: a.tenantId,
        waId: a.waId,
        contactName: a.contactName ?? null,
        genesysConversationId: a.genesysConversationId ?? null,
        lastMessageAt: a.at,
        lastDirection: a.direction,
        lastCustomerMessageAt: a.customerAt ?? null,
        messagesIn: a.direction === 'inbound' ? delivered : 0,
        messagesOut: a.direction === 'outbound' ? delivered : 0,
      })
      .onConflictDoUpdate({
        target: [conversations.tenantId, conversations.waId],
        set: {
          contactName: sql`COALESCE(excluded.contact_name, ${conversations.contactName})`,
          genesysConversationId: sql`COALESCE(excluded.genesys_conversation_id, ${conversations.genesysConversationId})`,
          lastMessageAt: sql`MAX(excluded.last_message_at, ${conversations.lastMessageAt})`,
          lastDirection: sql`excluded.last_direction`,
          lastCustomerMessageAt: sql`MAX(COALESCE(excluded.last_customer_message_at, 0), COALESCE(${conversations.lastCustomerMessageAt}, 0))`,
          messagesIn: sql`${conversations.messagesIn} + excluded.messages_in`,
          messagesOut: sql`${conversations.messagesOut} + excluded.messages_out`,
        },
      }),
    db
      .insert(metricsHourly)
      .values({
        tenantId: a.tenantId,
        hour: Math.floor(a.at / HOUR) * HOUR,
        direction: a.direction,
        delivered,
        failed: 1 - delivered,
        latencySumMs: Math.round(a.latencyMs ?? 0),
      })
      .onConflictDoUpdate({
        target: [metricsHourly.tenantId, metricsHourly.hour, metricsHourly.direction],
        set: {
          delivered: sql`${metricsHourly.delivered} + excluded.delivered`,
          failed: sql`${metricsHourly.failed} + excluded.failed`,
          latencySumMs: sql`${metricsHourly.latencySumMs} + excluded.latency_sum_ms`,
        },
      }),
  ]);
}

/** Removes a conversation from the index (its object has cleared itself, or the customer was erased). */
export async function deleteConversationIndex(env: Env, tenantId: string, waId: string): Promise<void> {
  await getDb(env.DB)
    .delete(conversations)
    .where(and(eq(conversations.tenantId, tenantId), eq(conversations.waId, waId)));
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

export async function setGenesysOrgId(env: Env, tenantId: string, orgId: string): Promise<void> {
  await getDb(env.DB).update(genesysConfigs).set({ orgId }).where(eq(genesysConfigs.tenantId, tenantId));
  forgetTenant(tenantId);
}
