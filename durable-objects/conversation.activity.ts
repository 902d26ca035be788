/**
 * What the conversation tells the dashboard: outcomes and backlog, reported in summaries instead
 * of one D1 write per message. Owns the `activity` table: each outcome is kept there (local,
 * synchronous, survives an eviction) until a report carries it. A report goes at most every
 * ACTIVITY_REPORT_MS (2 s; the dashboard lags by about that) on the `activity` queue, whose consumer writes a whole batch of reports from
 * many conversations in one D1 transaction. A report whose send fails stays and goes next time.
 */
import { config } from '../workers/env';
import { bucketOf } from '../workers/domain/latency-histogram';
import { log } from '../workers/lib/log';
import type { ActivityMessage } from '../workers/schemas/queue.schema';
import type { ConversationHost } from './conversation.types';

const HOUR = 3600_000;

export interface Outcome {
  direction: 'inbound' | 'outbound';
  outcome: 'delivered' | 'failed';
  at: number;
  latencyMs?: number;
  contactName?: string | null;
  /** Meta timestamp of the customer's message (ms), for inbound. */
  customerAt?: number;
  genesysConversationId?: string;
}

export type Backlog = ActivityMessage['backlog'];

type OutcomeRow = {
  id: number;
  direction: 'inbound' | 'outbound';
  outcome: 'delivered' | 'failed';
  at: number;
  latency_ms: number | null;
  customer_at: number | null;
  contact_name: string | null;
  genesys_conversation_id: string | null;
};

export class ConversationActivity {
  constructor(private readonly host: ConversationHost) {}

  private get sql() {
    return this.host.sql;
  }

  add(o: Outcome): void {
    this.sql.exec(
      'INSERT INTO activity (direction, outcome, at, latency_ms, customer_at, contact_name, genesys_conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      o.direction,
      o.outcome,
      o.at,
      o.latencyMs ?? null,
      o.customerAt ?? null,
      o.contactName ?? null,
      o.genesysConversationId ?? null,
    );
  }

  /** When the next report is due: there are outcomes to report or the backlog changed; null if neither. */
  nextDue(backlog: Backlog): number | null {
    const pending = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM activity').one().n;
    if (pending === 0 && JSON.stringify(backlog) === (this.host.getMeta('backlog_reported') ?? emptyBacklog))
      return null;
    return Number(this.host.getMeta('activity_reported_at') ?? 0) + config(this.host.env).ACTIVITY_REPORT_MS;
  }

  /** Sends one report if one is due; keeps the outcomes when the send fails. */
  async report(backlog: Backlog, now = Date.now()): Promise<void> {
    const due = this.nextDue(backlog);
    if (due === null || due > now) return;
    const tenantId = this.host.getMeta('tenant_id');
    const waId = this.host.getMeta('wa_id');
    if (!tenantId || !waId) return;
    const rows = this.sql.exec<OutcomeRow>('SELECT * FROM activity ORDER BY id').toArray();
    const message = summarise(rows, backlog, {
      tenantId,
      waId,
      now,
      contactName: this.host.getMeta('contact_name'),
    });
    try {
      await this.host.env.ACTIVITY_QUEUE.send(message);
    } catch (err) {
      log.warn('conversation.activity_deferred', { tenantId, error: err instanceof Error ? err.message : String(err) });
      this.host.setMeta('activity_reported_at', String(now));
      return;
    }
    const last = rows.at(-1);
    if (last) this.sql.exec('DELETE FROM activity WHERE id <= ?', last.id);
    this.host.setMeta('activity_reported_at', String(now));
    this.host.setMeta('backlog_reported', JSON.stringify(backlog));
  }
}

const emptyBacklog = JSON.stringify({
  inbound: { count: 0, oldestAt: null },
  outbound: { count: 0, oldestAt: null },
} satisfies Backlog);

function summarise(
  rows: OutcomeRow[],
  backlog: Backlog,
  who: { tenantId: string; waId: string; now: number; contactName: string | null },
): ActivityMessage {
  const hours = new Map<string, ActivityMessage['hours'][number]>();
  for (const r of rows) {
    const hour = Math.floor(r.at / HOUR) * HOUR;
    const key = `${hour}:${r.direction}`;
    const h = hours.get(key) ?? { hour, direction: r.direction, delivered: 0, failed: 0, latencySumMs: 0, buckets: [] };
    if (r.outcome === 'failed') h.failed++;
    else {
      h.delivered++;
      const latency = Math.max(0, r.latency_ms ?? 0);
      h.latencySumMs += latency;
      const bound = bucketOf(latency);
      const bucket = h.buckets.find(([b]) => b === bound);
      if (bucket) bucket[1]++;
      else h.buckets.push([bound, 1]);
    }
    hours.set(key, h);
  }
  const last = rows.at(-1);
  const waiting = [
    { direction: 'inbound' as const, at: backlog.inbound.oldestAt },
    { direction: 'outbound' as const, at: backlog.outbound.oldestAt },
  ].filter((w): w is { direction: 'inbound' | 'outbound'; at: number } => w.at !== null);
  const firstWaiting = waiting.sort((a, b) => a.at - b.at)[0];
  const customerAt = rows.reduce<number | null>(
    (m, r) => (r.customer_at !== null ? Math.max(m ?? 0, r.customer_at) : m),
    null,
  );
  const delivered = (direction: string) =>
    rows.filter((r) => r.direction === direction && r.outcome === 'delivered').length;
  return {
    v: 1,
    kind: 'activity',
    tenantId: who.tenantId,
    waId: who.waId,
    reportedAt: who.now,
    contactName: [...rows].reverse().find((r) => r.contact_name)?.contact_name ?? who.contactName,
    genesysConversationId: [...rows].reverse().find((r) => r.genesys_conversation_id)?.genesys_conversation_id ?? null,
    lastMessageAt: last?.at ?? firstWaiting?.at ?? who.now,
    lastDirection: last?.direction ?? firstWaiting?.direction ?? 'inbound',
    lastCustomerMessageAt: customerAt,
    messagesIn: delivered('inbound'),
    messagesOut: delivered('outbound'),
    hours: [...hours.values()],
    backlog,
  };
}
