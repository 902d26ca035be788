/**
 * The inbound lane's table — `messages`, one row per customer message — and the reads and writes
 * that are not delivery: accepting (deduplicated by wamid), lookups for replies, scheduling,
 * purging and the timeline. Delivery is in conversation.inbound.ts, which extends this.
 */
import { config } from '../workers/env';
import type { WaMessage } from '../workers/schemas/whatsapp.schema';
import type { AcceptResult, ConversationHost, WaMessageItem } from './conversation.types';

const SNIPPET_CHARS = 80;

export type MessageRow = {
  wamid: string;
  ts: number;
  seq: number;
  state: 'pending' | 'delivered' | 'failed' | 'dead';
  genesys_id: string | null;
  snippet: string | null;
  item: string | null;
  attempts: number;
  due_at: number;
  next_attempt_at: number;
  last_error: string | null;
};

/** The first characters of a message's text or caption, to quote it later. */
export function snippetOf(message: WaMessage, chars = SNIPPET_CHARS): string | null {
  const m = message as Record<string, unknown>;
  const text = (m.text as { body?: unknown } | undefined)?.body;
  const caption = (m[message.type] as { caption?: unknown } | undefined)?.caption;
  const value = typeof text === 'string' ? text : typeof caption === 'string' ? caption : null;
  if (!value) return null;
  return value.length > chars ? `${value.slice(0, chars)}…` : value;
}

export class InboundStore {
  constructor(protected readonly host: ConversationHost) {}

  protected get sql() {
    return this.host.sql;
  }

  /**
   * Accepts customer messages for delivery. Synchronous SQL only, so two copies of one wamid
   * arriving together cannot both pass the duplicate check.
   */
  accept(items: WaMessageItem[]): AcceptResult {
    const cfg = config(this.host.env);
    const now = Date.now();
    const result: AcceptResult = { accepted: [], duplicates: [] };
    for (const item of items) {
      const wamid = item.message.id;
      const existing = this.sql
        .exec<{ state: string }>('SELECT state FROM messages WHERE wamid = ?', wamid)
        .toArray()[0];
      const replayable = item.replay === true && (existing?.state === 'dead' || existing?.state === 'failed');
      if (existing && !replayable) {
        result.duplicates.push(wamid);
        continue;
      }
      const ts = Number(item.message.timestamp);
      // The hold counts from the webhook's arrival, so the time it spent in the queue is part of it
      // (never from later than now: a clock ahead elsewhere must not lengthen it). A replayed item
      // arrived long ago and goes at once.
      const dueAt = Math.min(item.receivedAt, now) + (item.holdMs ?? cfg.INBOUND_REORDER_MS);
      this.sql.exec(
        `INSERT INTO messages (wamid, direction, ts, seq, state, item, snippet, attempts, due_at, next_attempt_at, created_at, updated_at)
         VALUES (?, 'inbound', ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages), 'pending', ?, ?, 0, ?, 0, ?, ?)
         ON CONFLICT (wamid) DO UPDATE SET state = 'pending', item = excluded.item, attempts = 0, due_at = excluded.due_at,
           next_attempt_at = 0, last_error = NULL, updated_at = excluded.updated_at`,
        wamid,
        ts,
        JSON.stringify(item),
        snippetOf(item.message),
        dueAt,
        now,
        now,
      );
      this.host.setMeta('tenant_id', item.tenantId);
      this.host.setMeta('wa_id', item.waId);
      if (item.contactName) this.host.setMeta('contact_name', item.contactName);
      const last = Number(this.host.getMeta('last_customer_ts') ?? 0);
      if (ts * 1000 >= last) {
        this.host.setMeta('last_customer_ts', String(ts * 1000));
        this.host.setMeta('last_inbound_wamid', wamid);
      }
      result.accepted.push(wamid);
    }
    return result;
  }

  /** A customer message by its wamid or the Genesys id it got (an agent replying to it). */
  customerMessage(ref: string): { wamid: string } | undefined {
    return this.sql
      .exec<{ wamid: string }>('SELECT wamid FROM messages WHERE wamid = ? OR genesys_id = ? LIMIT 1', ref, ref)
      .toArray()[0];
  }

  // ===== Scheduling, housekeeping, reading

  /** Messages waiting to go, and since when the oldest has waited (epoch ms). */
  backlog(): { count: number; oldestAt: number | null } {
    const row = this.sql
      .exec<{ n: number; oldest: number | null }>(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM messages WHERE state = 'pending'",
      )
      .one();
    return { count: row.n, oldestAt: row.oldest };
  }

  /** When the head may move next: only the earliest message moves first, once a message is due. */
  nextDue(): number | null {
    const head = this.sql
      .exec<{ next: number }>(
        "SELECT next_attempt_at AS next FROM messages WHERE state = 'pending' ORDER BY ts, seq LIMIT 1",
      )
      .toArray()[0];
    const firstDue = this.sql
      .exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM messages WHERE state = 'pending'")
      .one().at;
    return head && firstDue !== null ? Math.max(head.next, firstDue) : null;
  }

  /**
   * Customer messages that may go to Genesys by `until` (one call each): sizes a lease of permits.
   * None while the head waits past `until`, since the rest wait behind it.
   */
  genesysDue(until: number): number {
    const head = this.sql
      .exec<{ next: number }>(
        "SELECT next_attempt_at AS next FROM messages WHERE state = 'pending' ORDER BY ts, seq LIMIT 1",
      )
      .toArray()[0];
    if (!head || head.next > until) return 0;
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE state = 'pending' AND due_at <= ?", until)
      .one().n;
  }

  /** When the oldest settled message was last touched (it may be purged DEDUP_RETENTION_MS later). */
  oldestSettled(): number | null {
    return this.sql
      .exec<{ at: number | null }>("SELECT MIN(updated_at) AS at FROM messages WHERE state != 'pending'")
      .one().at;
  }

  purge(cutoff: number): void {
    this.sql.exec("DELETE FROM messages WHERE state != 'pending' AND updated_at < ?", cutoff);
  }

  /** The newest `limit` customer messages, newest first, for the timeline. */
  recent(limit: number): Array<Pick<MessageRow, 'wamid' | 'ts' | 'state' | 'item' | 'last_error'>> {
    return this.sql
      .exec<MessageRow>(
        'SELECT wamid, ts, state, item, last_error FROM messages ORDER BY ts DESC, seq DESC LIMIT ?',
        limit,
      )
      .toArray();
  }
}
