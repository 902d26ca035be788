/**
 * Folds a batch of conversation reports (queue `activity`) into the rows D1 keeps: one per
 * conversation, one per tenant-hour-direction, one per latency bucket. Pure; the consumer writes
 * the result in one transaction.
 */
import type { ActivityMessage } from '../schemas/queue.schema';

type Direction = 'inbound' | 'outbound';

export interface ConversationRow {
  tenantId: string;
  waId: string;
  contactName: string | null;
  genesysConversationId: string | null;
  lastMessageAt: number;
  lastDirection: Direction;
  lastCustomerMessageAt: number | null;
  messagesIn: number;
  messagesOut: number;
  backlog: ActivityMessage['backlog'];
  backlogAt: number;
}

export interface HourRow {
  tenantId: string;
  hour: number;
  direction: Direction;
  delivered: number;
  failed: number;
  latencySumMs: number;
}

export interface BucketRow {
  tenantId: string;
  hour: number;
  direction: Direction;
  leMs: number;
  count: number;
}

export function foldActivity(reports: ActivityMessage[]): {
  conversations: ConversationRow[];
  hours: HourRow[];
  buckets: BucketRow[];
} {
  const conversations = new Map<string, ConversationRow>();
  const hours = new Map<string, HourRow>();
  const buckets = new Map<string, BucketRow>();
  for (const r of [...reports].sort((a, b) => a.reportedAt - b.reportedAt)) {
    const key = `${r.tenantId}:${r.waId}`;
    const c = conversations.get(key);
    if (!c) {
      conversations.set(key, {
        tenantId: r.tenantId,
        waId: r.waId,
        contactName: r.contactName,
        genesysConversationId: r.genesysConversationId,
        lastMessageAt: r.lastMessageAt,
        lastDirection: r.lastDirection,
        lastCustomerMessageAt: r.lastCustomerMessageAt,
        messagesIn: r.messagesIn,
        messagesOut: r.messagesOut,
        backlog: r.backlog,
        backlogAt: r.reportedAt,
      });
    } else {
      c.contactName = r.contactName ?? c.contactName;
      c.genesysConversationId = r.genesysConversationId ?? c.genesysConversationId;
      if (r.lastMessageAt >= c.lastMessageAt) {
        c.lastMessageAt = r.lastMessageAt;
        c.lastDirection = r.lastDirection;
      }
      c.lastCustomerMessageAt = maxOrNull(c.lastCustomerMessageAt, r.lastCustomerMessageAt);
      c.messagesIn += r.messagesIn;
      c.messagesOut += r.messagesOut;
      c.backlog = r.backlog;
      c.backlogAt = r.reportedAt;
    }
    for (const h of r.hours) {
      const hourKey = `${r.tenantId}:${h.hour}:${h.direction}`;
      const row = hours.get(hourKey) ?? {
        tenantId: r.tenantId,
        hour: h.hour,
        direction: h.direction,
        delivered: 0,
        failed: 0,
        latencySumMs: 0,
      };
      row.delivered += h.delivered;
      row.failed += h.failed;
      row.latencySumMs += h.latencySumMs;
      hours.set(hourKey, row);
      for (const [leMs, count] of h.buckets) {
        const bucketKey = `${hourKey}:${leMs}`;
        const bucket = buckets.get(bucketKey) ?? {
          tenantId: r.tenantId,
          hour: h.hour,
          direction: h.direction,
          leMs,
          count: 0,
        };
        bucket.count += count;
        buckets.set(bucketKey, bucket);
      }
    }
  }
  return { conversations: [...conversations.values()], hours: [...hours.values()], buckets: [...buckets.values()] };
}

const maxOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
