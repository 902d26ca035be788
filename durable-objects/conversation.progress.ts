/**
 * What happened to an agent message after WhatsApp took it: part of the outbound lane's room.
 * Owns the `statuses` table and the progress columns of `outbound` (`receipt`, `genesys_receipt`).
 *
 * The conversation keeps WhatsApp's whole progress (Sent → Delivered → Read, or Failed, never
 * backwards; a split message at the pace of its slowest part) for the timeline. Genesys accepts
 * only Delivered and Failed ("There are 2 supported receipt statuses for this endpoint"), so each
 * agent message costs Genesys at most one receipt call — none when it was delivered and the tenant
 * asked for Failed receipts only (`genesysReceipts`, applied by conversation.followups.ts).
 */
import { explainSendFailure } from '../workers/domain/send-failure';
import type { OpenInboundReceipt } from '../workers/schemas/genesys.schema';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import type { FollowUps } from './conversation.followups';
import type { WaStatusItem } from './conversation.types';

const PROGRESS = ['Sent', 'Delivered', 'Read'] as const;
const STATUS_RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3 };

export class OutboundProgress {
  constructor(
    private readonly sql: SqlStorage,
    private readonly followUps: FollowUps,
  ) {}

  /** Keeps a WhatsApp status once (Meta repeats and reorders them) and applies what is new. */
  record(item: WaStatusItem): void {
    const s = item.status;
    this.sql.exec(
      'INSERT INTO statuses (wamid, status, ts, errors, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (wamid, status) DO NOTHING',
      s.id,
      s.status,
      Number(s.timestamp),
      s.errors ? JSON.stringify(s.errors) : null,
      Date.now(),
    );
    this.apply();
  }

  /** Turns statuses not yet applied into progress and receipts. */
  apply(genesysId?: string): void {
    const rows = this.sql
      .exec<{ wamid: string; genesys_id: string }>(
        `SELECT DISTINCT s.wamid, p.genesys_id FROM statuses s JOIN outbound_parts p ON p.wamid = s.wamid
         WHERE s.applied = 0 AND (? IS NULL OR p.genesys_id = ?)`,
        genesysId ?? null,
        genesysId ?? null,
      )
      .toArray();
    for (const id of new Set(rows.map((r) => r.genesys_id))) this.progressOf(id);
    for (const r of rows) this.sql.exec('UPDATE statuses SET applied = 1 WHERE wamid = ?', r.wamid);
  }

  /** The agent message was handed to WhatsApp: its progress starts at Sent. */
  sent(genesysId: string): void {
    this.sql.exec("UPDATE outbound SET receipt = COALESCE(receipt, 'Sent') WHERE genesys_id = ?", genesysId);
    this.apply(genesysId);
  }

  /**
   * The message's progress is the least advanced of its parts; a failed part fails it. Genesys hears
   * once: Delivered when every part reached the phone (a `read` before `delivered` counts), or Failed.
   */
  private progressOf(genesysId: string): void {
    const row = this.sql
      .exec<{ receipt: string | null; genesys_receipt: string | null; parts_sent: number; state: string }>(
        'SELECT receipt, genesys_receipt, parts_sent, state FROM outbound WHERE genesys_id = ?',
        genesysId,
      )
      .toArray()[0];
    // Until every part is sent, "delivered" of the first would overstate the whole.
    if (!row || row.receipt === 'Failed' || row.state !== 'sent') return;
    const parts = this.sql
      .exec<{ wamid: string }>('SELECT wamid FROM outbound_parts WHERE genesys_id = ?', genesysId)
      .toArray();
    if (parts.length < row.parts_sent) return;
    let rank = Infinity;
    let failure: { code: number; title: string } | undefined;
    let time = 0;
    for (const { wamid } of parts) {
      const statuses = this.sql
        .exec<{ status: string; ts: number; errors: string | null }>(
          'SELECT status, ts, errors FROM statuses WHERE wamid = ?',
          wamid,
        )
        .toArray();
      const failed = statuses.find((s) => s.status === 'failed');
      if (failed) {
        const first = (
          JSON.parse(failed.errors ?? '[]') as Array<{ code: number; title?: string; message?: string }>
        )[0];
        failure = { code: first?.code ?? 0, title: first?.title ?? first?.message ?? 'failed' };
        time = Math.max(time, failed.ts);
      }
      rank = Math.min(rank, Math.max(0, ...statuses.map((s) => STATUS_RANK[s.status] ?? 0)));
      time = Math.max(time, ...statuses.map((s) => s.ts));
    }
    if (failure) {
      const reason = explainSendFailure({
        waCode: failure.code,
        detail: `${failure.code}: ${failure.title}`,
        retryable: false,
      });
      this.settle(genesysId, 'Failed', time, [reason]);
      return;
    }
    const previous = row.receipt ? PROGRESS.indexOf(row.receipt as (typeof PROGRESS)[number]) + 1 : 0;
    // Never backwards: a late `delivered` after `read` changes nothing.
    if (rank > previous && rank <= PROGRESS.length)
      this.sql.exec('UPDATE outbound SET receipt = ? WHERE genesys_id = ?', PROGRESS[rank - 1]!, genesysId);
    if (rank >= STATUS_RANK.delivered! && row.genesys_receipt === null) this.settle(genesysId, 'Delivered', time);
  }

  /** Records the outcome and, once per message, tells Genesys (templates sent from the widget have no Genesys message). */
  settle(
    genesysId: string,
    status: OpenInboundReceipt['status'],
    unixSeconds: number,
    reasons?: OpenInboundReceipt['reasons'],
  ): void {
    const row = this.sql
      .exec<{ item: string; genesys_receipt: string | null }>(
        'SELECT item, genesys_receipt FROM outbound WHERE genesys_id = ?',
        genesysId,
      )
      .toArray()[0];
    this.sql.exec(
      "UPDATE outbound SET receipt = CASE WHEN ? = 'Failed' THEN 'Failed' ELSE COALESCE(receipt, ?) END WHERE genesys_id = ?",
      status,
      status,
      genesysId,
    );
    const item = row ? (JSON.parse(row.item) as OutboundQueueMessage) : undefined;
    if (!item || row!.genesys_receipt !== null || item.origin === 'widget') return;
    // "channel.to": the original message's `to` id and idType, as Genesys' receipt examples show.
    const to = item.message.channel.to;
    this.followUps.receipt({
      id: genesysId,
      channel: {
        to: { id: to.id, ...(to.idType ? { idType: to.idType } : {}) },
        time: new Date((unixSeconds || Date.now() / 1000) * 1000).toISOString(),
      },
      status,
      direction: 'Outbound',
      isFinalReceipt: true,
      ...(reasons ? { reasons } : {}),
    });
    this.sql.exec('UPDATE outbound SET genesys_receipt = ? WHERE genesys_id = ?', status, genesysId);
  }

  oldest(): number | null {
    return this.sql.exec<{ at: number | null }>('SELECT MIN(received_at) AS at FROM statuses').one().at;
  }

  purge(cutoff: number): void {
    this.sql.exec('DELETE FROM statuses WHERE received_at < ?', cutoff);
  }
}
