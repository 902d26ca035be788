/**
 * The outbound lane's tables — `outbound` (one row per Genesys message) and `outbound_parts` (one
 * row per WhatsApp message sent for it) — and the reads and writes that are not delivery:
 * accepting, lookups for taps and replies, scheduling, purging and the timeline. Delivery is in
 * conversation.outbound.ts, which extends this.
 */
import type { ReferencedMessage } from '../workers/domain/inbound.translate';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import type { AcceptResult, ConversationHost } from './conversation.types';

/** What the timeline shows of an agent message. */
export type OutboundTimelineRow = {
  genesys_id: string;
  created_at: number;
  state: string;
  item: string | null;
  receipt: string | null;
  last_error: string | null;
};

export type OutboundRow = {
  genesys_id: string;
  seq: number;
  item: string;
  parts_sent: number;
  attempts: number;
  next_attempt_at: number;
};

export class OutboundStore {
  constructor(protected readonly host: ConversationHost) {}

  protected get sql() {
    return this.host.sql;
  }

  /** Persists agent messages once each (by Genesys id). Synchronous SQL: duplicates cannot race. */
  accept(items: OutboundQueueMessage[]): AcceptResult {
    const now = Date.now();
    const result: AcceptResult = { accepted: [], duplicates: [] };
    for (const item of items) {
      const id = item.message.id;
      const existing = this.sql
        .exec<{ state: string }>('SELECT state FROM outbound WHERE genesys_id = ?', id)
        .toArray()[0];
      const replayable = item.replay === true && (existing?.state === 'dead' || existing?.state === 'failed');
      if (existing && !replayable) {
        result.duplicates.push(id);
        continue;
      }
      this.sql.exec(
        `INSERT INTO outbound (genesys_id, seq, state, item, parts_sent, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbound), 'pending', ?, 0, 0, 0, ?, ?)
         ON CONFLICT (genesys_id) DO UPDATE SET state = 'pending', item = excluded.item, parts_sent = 0, attempts = 0,
           next_attempt_at = 0, last_error = NULL, receipt = NULL, genesys_receipt = NULL, updated_at = excluded.updated_at`,
        id,
        JSON.stringify(item),
        now,
        now,
      );
      result.accepted.push(id);
    }
    return result;
  }

  /** The agent message a WhatsApp id was sent for, with its quick replies (full payloads) and snippet. */
  agentMessage(wamid: string): ReferencedMessage | undefined {
    const part = this.sql
      .exec<{ genesys_id: string; snippet: string | null }>(
        'SELECT genesys_id, snippet FROM outbound_parts WHERE wamid = ?',
        wamid,
      )
      .toArray()[0];
    if (!part) return undefined;
    const row = this.sql
      .exec<{ item: string | null }>('SELECT item FROM outbound WHERE genesys_id = ?', part.genesys_id)
      .toArray()[0];
    const item = row?.item ? (JSON.parse(row.item) as OutboundQueueMessage) : undefined;
    // A tap carries only the short id WhatsApp allows; the full payloads are in the agent's message.
    const quickReplies = item?.message.content?.filter((c) => c.quickReply).map((c) => c.quickReply!) ?? [];
    return {
      genesysId: part.genesys_id,
      ...(part.snippet ? { snippet: part.snippet } : {}),
      ...(quickReplies.length ? { quickReplies } : {}),
    };
  }

  /** The gate released a hold: the held head message may go now instead of at its next re-check. */
  wake(): void {
    this.sql.exec(
      "UPDATE outbound SET next_attempt_at = 0 WHERE state = 'pending' AND next_attempt_at > ?",
      Date.now(),
    );
  }

  protected finish(genesysId: string, state: 'sent' | 'ignored'): void {
    // The item stays (until purge) for the timeline and the agent widget's history.
    this.sql.exec('UPDATE outbound SET state = ?, updated_at = ? WHERE genesys_id = ?', state, Date.now(), genesysId);
  }

  // ===== Scheduling, housekeeping, reading

  /** Messages waiting to go, and since when the oldest has waited (epoch ms). */
  backlog(): { count: number; oldestAt: number | null } {
    const row = this.sql
      .exec<{ n: number; oldest: number | null }>(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbound WHERE state = 'pending'",
      )
      .one();
    return { count: row.n, oldestAt: row.oldest };
  }

  /** When the head may move next (only the head moves: order is kept). */
  nextDue(): number | null {
    return (
      this.sql
        .exec<{ at: number }>("SELECT next_attempt_at AS at FROM outbound WHERE state = 'pending' ORDER BY seq LIMIT 1")
        .toArray()[0]?.at ?? null
    );
  }

  oldestSettled(): number | null {
    return this.sql
      .exec<{ at: number | null }>("SELECT MIN(updated_at) AS at FROM outbound WHERE state != 'pending'")
      .one().at;
  }

  /** Forgets settled agent messages (and the parts sent for them) past the retention. */
  purge(cutoff: number): void {
    this.sql.exec(
      "DELETE FROM outbound_parts WHERE genesys_id IN (SELECT genesys_id FROM outbound WHERE state != 'pending' AND updated_at < ?)",
      cutoff,
    );
    this.sql.exec("DELETE FROM outbound WHERE state != 'pending' AND updated_at < ?", cutoff);
  }

  /** The newest `limit` agent messages shown in the timeline, newest first. */
  recent(limit: number) {
    return this.sql
      .exec<OutboundTimelineRow>(
        "SELECT genesys_id, created_at, state, item, receipt, last_error FROM outbound WHERE state != 'ignored' ORDER BY seq DESC LIMIT ?",
        limit,
      )
      .toArray();
  }
}
