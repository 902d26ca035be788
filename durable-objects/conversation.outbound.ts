/**
 * The outbound half of a conversation: agent messages to WhatsApp, and the follow-up calls they
 * cause (Genesys receipts, WhatsApp read marks and typing indicators).
 *
 * Agent messages go out in arrival order, once per Genesys message id. Before a send: the 24-hour
 * window (free-form content needs it, templates do not), the pair rate (a token bucket per
 * customer, so bursts queue instead of earning error 131056) and the number's throughput (the
 * tenant gate). Failures the agent must know about become Failed receipts with a readable reason.
 *
 * Receipts: the conversation keeps WhatsApp's whole progress (sent → delivered → read, or failed)
 * for the timeline, but Genesys accepts only Delivered and Failed ("There are 2 supported receipt
 * statuses for this endpoint"), so each agent message costs Genesys at most one receipt call.
 *
 * A token Meta refuses (190) holds every send of the number in the tenant gate; the message waits
 * without spending attempts and goes, in order, once a working token is set.
 */
import { config, type Env } from '../workers/env';
import { sendReceipt } from '../workers/clients/genesys.client';
import { markRead, sendMessage } from '../workers/clients/whatsapp.client';
import { WA_ERRORS } from '../workers/domain/whatsapp-errors';
import { forgetTenant, loadTenant, markWhatsappCredential, type Tenant } from '../workers/db/tenants.repo';
import { recordFailure } from '../workers/db/records.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { HOLD_RECHECK_MS } from './tenant-gate.do';
import { backoffMs, nextStep } from '../workers/domain/retry';
import { refill, take, type Bucket } from '../workers/domain/token-bucket';
import { planOutbound, type GenesysReasonCode, type TemplateRef } from '../workers/domain/outbound.translate';
import { explainSendFailure } from '../workers/domain/send-failure';
import { conversationName } from '../workers/domain/conversation';
import { isAllowedMediaUrl } from '../workers/domain/media-hosts';
import { log, maskPhone } from '../workers/lib/log';
import { recordOutcome } from '../workers/lib/metrics';
import { recordActivity } from '../workers/db/conversations.repo';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import type { OpenInboundReceipt } from '../workers/schemas/genesys.schema';

/** What the lane needs from its Durable Object. */
export interface ConversationHost {
  readonly sql: SqlStorage;
  readonly env: Env;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  windowOpen(now: number): boolean;
}

type OutboundRow = {
  genesys_id: string;
  seq: number;
  item: string;
  parts_sent: number;
  attempts: number;
  next_attempt_at: number;
};
type TaskRow = {
  id: number;
  kind: 'receipt' | 'typing' | 'mark_read';
  payload: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
};
type SendError = UpstreamFailure & { waCode?: number };

/** WhatsApp's progress of an agent message, as the timeline shows it. */
const PROGRESS = ['Sent', 'Delivered', 'Read'] as const;
const STATUS_RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3 };
/** WhatsApp shows a typing indicator for 25 s; a later one is pointless. */
const TYPING_STALE_MS = 20_000;
/** A send refused with a token that was already replaced tries again this soon, with the new one. */
const NEW_TOKEN_RETRY_MS = 1000;

function reasonFor(failure: SendError, template?: TemplateRef): { code: GenesysReasonCode; message: string } {
  return explainSendFailure(
    {
      ...(failure.waCode !== undefined ? { waCode: failure.waCode } : {}),
      detail: failure.detail,
      retryable: failure.kind !== 'permanent',
    },
    template,
  );
}

export class OutboundLane {
  constructor(private readonly host: ConversationHost) {}

  private get sql() {
    return this.host.sql;
  }

  /** Persists agent messages once each (by Genesys id). Synchronous SQL: duplicates cannot race. */
  accept(items: OutboundQueueMessage[]): { accepted: string[]; duplicates: string[] } {
    const now = Date.now();
    const result = { accepted: [] as string[], duplicates: [] as string[] };
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

  /** Turns newly arrived WhatsApp statuses of agent messages into progress and receipts. */
  applyStatuses(): void {
    const rows = this.sql
      .exec<{ wamid: string; genesys_id: string }>(
        `SELECT DISTINCT s.wamid, m.genesys_id FROM statuses s JOIN messages m ON m.wamid = s.wamid
         WHERE s.applied = 0 AND m.direction = 'outbound' AND m.genesys_id IS NOT NULL`,
      )
      .toArray();
    const touched = new Set(rows.map((r) => r.genesys_id));
    for (const genesysId of touched) this.progressOf(genesysId);
    for (const r of rows) this.sql.exec('UPDATE statuses SET applied = 1 WHERE wamid = ?', r.wamid);
  }

  /**
   * The message's progress is the least advanced of its WhatsApp parts; a failed part fails it.
   * Genesys hears once: Delivered when every part reached the phone (a `read` that arrives before
   * `delivered` counts as delivered), or Failed.
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
      .exec<{ wamid: string }>("SELECT wamid FROM messages WHERE genesys_id = ? AND direction = 'outbound'", genesysId)
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
      this.queueReceipt(genesysId, 'Failed', time, [reason]);
      return;
    }
    const previous = row.receipt ? PROGRESS.indexOf(row.receipt as (typeof PROGRESS)[number]) + 1 : 0;
    // Never backwards: a late `delivered` after `read` changes nothing.
    if (rank > previous && rank <= PROGRESS.length)
      this.sql.exec('UPDATE outbound SET receipt = ? WHERE genesys_id = ?', PROGRESS[rank - 1]!, genesysId);
    if (rank >= STATUS_RANK.delivered! && row.genesys_receipt === null) this.queueReceipt(genesysId, 'Delivered', time);
  }

  /** Records the outcome and, once per message, tells Genesys (templates sent from the widget have no Genesys message). */
  private queueReceipt(
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
      `UPDATE outbound SET receipt = CASE WHEN ? = 'Failed' THEN 'Failed' ELSE COALESCE(receipt, ?) END WHERE genesys_id = ?`,
      status,
      status,
      genesysId,
    );
    const item = row ? (JSON.parse(row.item) as OutboundQueueMessage) : undefined;
    if (!item || row!.genesys_receipt !== null || item.origin === 'widget') return;
    // "channel.to": the original message's `to` id and idType, as Genesys' receipt examples show.
    const to = item.message.channel.to;
    const receipt: OpenInboundReceipt = {
      id: genesysId,
      channel: {
        to: { id: to.id, ...(to.idType ? { idType: to.idType } : {}) },
        time: new Date((unixSeconds || Date.now() / 1000) * 1000).toISOString(),
      },
      status,
      direction: 'Outbound',
      isFinalReceipt: true,
      ...(reasons ? { reasons } : {}),
    };
    this.sql.exec(
      'INSERT INTO tasks (kind, dedup, payload, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (dedup) DO NOTHING',
      'receipt',
      `receipt:${genesysId}`,
      JSON.stringify(receipt),
      Date.now(),
    );
    this.sql.exec('UPDATE outbound SET genesys_receipt = ? WHERE genesys_id = ?', status, genesysId);
  }

  private queueWhatsappMark(kind: 'typing' | 'mark_read'): void {
    const last = this.host.getMeta('last_inbound_wamid');
    if (!last) return;
    if (kind === 'mark_read' && this.host.getMeta('last_read_wamid') === last) return;
    this.sql.exec(
      'INSERT INTO tasks (kind, dedup, payload, created_at) VALUES (?, NULL, ?, ?)',
      kind,
      JSON.stringify({ wamid: last }),
      Date.now(),
    );
    if (kind === 'mark_read') this.host.setMeta('last_read_wamid', last);
  }

  // ===== Draining

  /** Sends due agent messages in order; stops at the first one that must wait. */
  async drainMessages(): Promise<void> {
    const cfg = config(this.host.env);
    const tenantId = this.host.getMeta('tenant_id');
    const waId = this.host.getMeta('wa_id');
    if (!tenantId || !waId) return;
    let tenant: Tenant | null | undefined;
    for (;;) {
      const now = Date.now();
      const row = this.sql
        .exec<OutboundRow>("SELECT * FROM outbound WHERE state = 'pending' ORDER BY seq LIMIT 1")
        .toArray()[0];
      if (!row || row.next_attempt_at > now) return;
      const item = JSON.parse(row.item) as OutboundQueueMessage;
      tenant ??= await loadTenant(this.host.env, tenantId);
      if (!tenant) return this.fail(row, tenantId, 'GeneralError', 'the tenant no longer exists');

      const replyTo = this.resolveReplyTo(item);
      const plan = planOutbound({
        message: item.message,
        to: waId,
        replyToWamid: replyTo,
        allowMediaUrl: (url) => isAllowedMediaUrl(url, cfg.OUTBOUND_MEDIA_HOSTS),
      });
      if (plan.kind === 'ignore') {
        this.finish(row.genesys_id, 'ignored');
        continue;
      }
      if (plan.kind === 'typing') {
        if (this.host.windowOpen(now)) this.queueWhatsappMark('typing');
        this.finish(row.genesys_id, 'sent');
        continue;
      }
      if (plan.kind === 'read') {
        if (tenant.markRead) this.queueWhatsappMark('mark_read');
        this.finish(row.genesys_id, 'sent');
        continue;
      }
      if (plan.kind === 'refuse') {
        await this.fail(row, tenantId, plan.code, plan.message);
        continue;
      }
      if (plan.needsWindow && !this.host.windowOpen(now)) {
        await this.fail(
          row,
          tenantId,
          'MessageNotAllowed',
          "Not sent: the customer's 24-hour WhatsApp window is closed. Send an approved template instead.",
        );
        continue;
      }

      const remaining = plan.requests.slice(row.parts_sent);
      let failure: SendError | undefined;
      for (const [i, request] of remaining.entries()) {
        // Each WhatsApp message spends one permit: a long split text queues behind the pair rate too.
        const wait = await this.permits(tenant, tenantId, waId, Date.now());
        if (wait > 0) {
          this.sql.exec(
            'UPDATE outbound SET next_attempt_at = ? WHERE genesys_id = ?',
            Date.now() + wait,
            row.genesys_id,
          );
          return;
        }
        try {
          const wamid = await sendMessage(
            cfg,
            tenant.whatsapp.phoneNumberId,
            tenant.whatsapp.accessToken,
            request,
            cfg.PAIR_INTERVAL_MS,
          );
          const part = row.parts_sent + i;
          this.sql.exec(
            `INSERT INTO messages (wamid, direction, ts, seq, state, genesys_id, snippet, created_at, updated_at)
             VALUES (?, 'outbound', ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages), 'delivered', ?, ?, ?, ?) ON CONFLICT (wamid) DO NOTHING`,
            wamid,
            Math.floor(Date.now() / 1000),
            row.genesys_id,
            part === 0 ? plan.snippet : null,
            Date.now(),
            Date.now(),
          );
          this.sql.exec(
            'UPDATE outbound SET parts_sent = ?, updated_at = ? WHERE genesys_id = ?',
            part + 1,
            Date.now(),
            row.genesys_id,
          );
        } catch (err) {
          failure =
            err instanceof UpstreamError
              ? err.failure
              : { kind: 'retryable', code: 'whatsapp_error', detail: String(err) };
          break;
        }
      }

      if (!failure) {
        this.finish(row.genesys_id, 'sent');
        this.sql.exec("UPDATE outbound SET receipt = COALESCE(receipt, 'Sent') WHERE genesys_id = ?", row.genesys_id);
        // The token works again (rotated back at Meta, or set while this send was in flight).
        if (tenant.whatsapp.credentialStatus === 'broken') await this.credentialWorks(tenant);
        if (tenant.markRead) this.queueWhatsappMark('mark_read');
        this.applyStatusesFor(row.genesys_id);
        const latencyMs = Date.now() - item.receivedAt;
        recordOutcome(this.host.env, tenantId, 'outbound', 'delivered', latencyMs);
        await recordActivity(this.host.env, {
          tenantId,
          waId,
          direction: 'outbound',
          outcome: 'delivered',
          at: Date.now(),
          latencyMs,
          ...(item.message.conversationId ? { genesysConversationId: item.message.conversationId } : {}),
        });
        log.info('outbound.sent', {
          tenantId,
          genesysId: row.genesys_id,
          parts: plan.requests.length,
          waId: maskPhone(waId),
          latencyMs,
        });
        continue;
      }
      if (failure.kind === 'unauthorized') {
        // Error 190: the token is expired or revoked. Hold the number's sends until a working token
        // is set; this message waits, in order, without spending an attempt.
        const gate = this.host.env.TENANT_GATE.getByName(tenantId);
        const { held } = await gate.holdForBrokenToken(
          tenantId,
          tenant.whatsapp.phoneNumberId,
          tenant.whatsapp.accessToken,
          conversationName(tenantId, waId),
        );
        forgetTenant(tenantId);
        this.sql.exec(
          'UPDATE outbound SET next_attempt_at = ?, last_error = ?, updated_at = ? WHERE genesys_id = ?',
          Date.now() + (held ? HOLD_RECHECK_MS : NEW_TOKEN_RETRY_MS),
          `${failure.code}: ${failure.detail}`,
          Date.now(),
          row.genesys_id,
        );
        if (held) log.error('whatsapp.credential_broken', { tenantId });
        return;
      }
      if (failure.waCode === WA_ERRORS.throughput) {
        await this.host.env.TENANT_GATE.getByName(tenantId).holdWhatsapp(
          tenant.whatsapp.phoneNumberId,
          'throughput',
          backoffMs(row.attempts + 1, 1000),
        );
      }
      const step = nextStep(failure, row.attempts, cfg.MAX_DELIVERY_ATTEMPTS, cfg.RETRY_BASE_MS);
      if (step.kind === 'fail') {
        const reason = reasonFor(failure, plan.template);
        await this.fail(row, tenantId, reason.code, reason.message);
        continue;
      }
      if (step.kind === 'dead_letter') {
        await this.deadLetter(row, item, tenantId, failure, step.attempts, plan.template);
        continue;
      }
      const { attempts, delayMs: delay } = step;
      this.sql.exec(
        'UPDATE outbound SET attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE genesys_id = ?',
        attempts,
        Date.now() + delay,
        `${failure.code}: ${failure.detail}`,
        Date.now(),
        row.genesys_id,
      );
      recordOutcome(this.host.env, tenantId, 'outbound', 'retried');
      log.warn('outbound.retry', {
        tenantId,
        genesysId: row.genesys_id,
        attempt: attempts,
        delayMs: delay,
        code: failure.code,
      });
      return;
    }
  }

  /** A send went through with a token marked broken: mark it working and let the number's held sends go. */
  private async credentialWorks(tenant: Tenant): Promise<void> {
    await markWhatsappCredential(this.host.env, tenant.id, 'ok');
    await this.host.env.TENANT_GATE.getByName(tenant.id).releaseWhatsapp(tenant.whatsapp.phoneNumberId, 'credential');
  }

  /** The gate released a hold: the held head message may go now instead of at its next re-check. */
  wake(): void {
    this.sql.exec(
      "UPDATE outbound SET next_attempt_at = 0 WHERE state = 'pending' AND next_attempt_at > ?",
      Date.now(),
    );
  }

  /** Waits, in ms, before one more send may go: the customer's pair rate, then the number's holds and throughput. */
  private async permits(tenant: Tenant, tenantId: string, waId: string, now: number): Promise<number> {
    const cfg = config(this.host.env);
    const stored = this.host.getMeta('pair_bucket');
    const bucket = refill(
      stored ? (JSON.parse(stored) as Bucket) : undefined,
      now,
      Math.max(1, cfg.PAIR_BURST),
      cfg.PAIR_INTERVAL_MS,
    );
    const pair = take(bucket, 1, cfg.PAIR_INTERVAL_MS);
    if (!pair.ok) return pair.waitMs;
    const number = await this.host.env.TENANT_GATE.getByName(tenant.id).acquireWhatsapp(
      1,
      tenant.whatsapp.messagesPerSecond,
      {
        phoneNumberId: tenant.whatsapp.phoneNumberId,
        waiter: conversationName(tenantId, waId),
      },
    );
    if (!number.ok) return number.waitMs;
    this.host.setMeta('pair_bucket', JSON.stringify(pair.bucket));
    return 0;
  }

  private resolveReplyTo(item: OutboundQueueMessage): string | undefined {
    const meta = item.message.channel.metadata;
    const ref = meta?.replyToMessageId ?? meta?.replyToId;
    if (!ref) return undefined;
    const row = this.sql
      .exec<{ wamid: string }>(
        "SELECT wamid FROM messages WHERE (wamid = ? OR genesys_id = ?) AND direction = 'inbound' LIMIT 1",
        ref,
        ref,
      )
      .toArray()[0];
    return row?.wamid;
  }

  private applyStatusesFor(genesysId: string): void {
    const pending = this.sql
      .exec<{ n: number }>(
        'SELECT COUNT(*) AS n FROM statuses s JOIN messages m ON m.wamid = s.wamid WHERE m.genesys_id = ? AND s.applied = 0',
        genesysId,
      )
      .one().n;
    if (pending > 0) this.applyStatuses();
  }

  private finish(genesysId: string, state: 'sent' | 'ignored'): void {
    // The item stays (until purge) for the timeline and the agent widget's history.
    this.sql.exec('UPDATE outbound SET state = ?, updated_at = ? WHERE genesys_id = ?', state, Date.now(), genesysId);
  }

  private async fail(row: OutboundRow, tenantId: string, code: GenesysReasonCode, message: string): Promise<void> {
    this.sql.exec(
      "UPDATE outbound SET state = 'failed', last_error = ?, updated_at = ? WHERE genesys_id = ?",
      `${code}: ${message}`,
      Date.now(),
      row.genesys_id,
    );
    this.queueReceipt(row.genesys_id, 'Failed', Math.floor(Date.now() / 1000), [{ code, message }]);
    await recordFailure(this.host.env, {
      tenantId,
      direction: 'outbound',
      externalId: row.genesys_id,
      code,
      detail: message,
      payload: JSON.parse(row.item),
    });
    recordOutcome(this.host.env, tenantId, 'outbound', 'failed');
    const failedItem = JSON.parse(row.item) as OutboundQueueMessage;
    await recordActivity(this.host.env, {
      tenantId,
      waId: this.host.getMeta('wa_id') ?? '',
      direction: 'outbound',
      outcome: 'failed',
      at: Date.now(),
      ...(failedItem.message.conversationId ? { genesysConversationId: failedItem.message.conversationId } : {}),
    });
    log.warn('outbound.failed', { tenantId, genesysId: row.genesys_id, code });
  }

  private async deadLetter(
    row: OutboundRow,
    item: OutboundQueueMessage,
    tenantId: string,
    failure: SendError,
    attempts: number,
    template?: TemplateRef,
  ): Promise<void> {
    await this.host.env.OUTBOUND_DLQ.send({
      v: 1,
      kind: 'dead_letter',
      tenantId,
      queue: 'outbound',
      externalId: row.genesys_id,
      errorCode: failure.code,
      errorDetail: failure.detail,
      attempts,
      item,
    });
    this.sql.exec(
      "UPDATE outbound SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE genesys_id = ?",
      attempts,
      `${failure.code}: ${failure.detail}`,
      Date.now(),
      row.genesys_id,
    );
    const reason = reasonFor(failure, template);
    this.queueReceipt(row.genesys_id, 'Failed', Math.floor(Date.now() / 1000), [
      { code: reason.code, message: `Gave up after ${attempts} attempts. ${reason.message}` },
    ]);
    recordOutcome(this.host.env, tenantId, 'outbound', 'dead_lettered');
    await recordActivity(this.host.env, {
      tenantId,
      waId: this.host.getMeta('wa_id') ?? '',
      direction: 'outbound',
      outcome: 'failed',
      at: Date.now(),
    });
    log.error('outbound.dead_lettered', { tenantId, genesysId: row.genesys_id, attempts, code: failure.code });
  }

  /** Receipts to Genesys and read/typing marks to WhatsApp, in order, with retries. */
  async drainTasks(): Promise<void> {
    const cfg = config(this.host.env);
    const tenantId = this.host.getMeta('tenant_id');
    if (!tenantId) return;
    let tenant: Tenant | null | undefined;
    for (;;) {
      const now = Date.now();
      const task = this.sql.exec<TaskRow>('SELECT * FROM tasks ORDER BY id LIMIT 1').toArray()[0];
      if (!task || task.next_attempt_at > now) return;
      if (task.kind === 'typing' && now - task.created_at > TYPING_STALE_MS) {
        this.sql.exec('DELETE FROM tasks WHERE id = ?', task.id);
        continue;
      }
      tenant ??= await loadTenant(this.host.env, tenantId);
      if (!tenant) return;
      const failure = await this.runTask(tenant, task);
      if (!failure) {
        this.sql.exec('DELETE FROM tasks WHERE id = ?', task.id);
        continue;
      }
      const brokenToken = failure.kind === 'unauthorized' && task.kind !== 'receipt';
      if (brokenToken) {
        // Meta refused the token (190): hold the number's sends; a courtesy mark is not worth keeping.
        await this.host.env.TENANT_GATE.getByName(tenantId).holdForBrokenToken(
          tenantId,
          tenant.whatsapp.phoneNumberId,
          tenant.whatsapp.accessToken,
        );
        forgetTenant(tenantId);
        tenant = undefined;
      }
      const step = nextStep(failure, task.attempts, cfg.MAX_DELIVERY_ATTEMPTS, cfg.RETRY_BASE_MS);
      if (step.kind !== 'retry' || brokenToken) {
        // A receipt or read mark that cannot be delivered is recorded; the message itself already went.
        this.sql.exec('DELETE FROM tasks WHERE id = ?', task.id);
        await recordFailure(this.host.env, {
          tenantId,
          direction: task.kind === 'receipt' ? 'inbound' : 'outbound',
          code: `${task.kind}_failed`,
          detail: `${failure.code}: ${failure.detail}`,
          payload: JSON.parse(task.payload),
        });
        continue;
      }
      this.sql.exec(
        'UPDATE tasks SET attempts = ?, next_attempt_at = ? WHERE id = ?',
        step.attempts,
        Date.now() + step.delayMs,
        task.id,
      );
      return;
    }
  }

  private async runTask(tenant: Tenant, task: TaskRow): Promise<UpstreamFailure | undefined> {
    const cfg = config(this.host.env);
    try {
      if (task.kind === 'receipt') {
        const gate = this.host.env.TENANT_GATE.getByName(tenant.id);
        let rejected: string | undefined;
        for (let attempt = 0; attempt < 2; attempt++) {
          const permit = await gate.acquire(tenant.id, rejected);
          if (!permit.ok)
            return 'waitMs' in permit
              ? { kind: 'retryable', code: 'genesys_rate_limited', detail: 'gate', retryAfterMs: permit.waitMs }
              : permit.failure;
          try {
            await sendReceipt(
              cfg,
              { region: tenant.genesys.region, integrationId: tenant.genesys.integrationId, token: permit.token },
              JSON.parse(task.payload) as OpenInboundReceipt,
            );
            return undefined;
          } catch (err) {
            if (err instanceof UpstreamError && err.failure.kind === 'unauthorized' && attempt === 0) {
              rejected = permit.token;
              continue;
            }
            throw err;
          }
        }
        return { kind: 'retryable', code: 'genesys_unauthorized', detail: 'token refused twice' };
      }
      const { wamid } = JSON.parse(task.payload) as { wamid: string };
      await markRead(cfg, tenant.whatsapp.phoneNumberId, tenant.whatsapp.accessToken, wamid, task.kind === 'typing');
      return undefined;
    } catch (err) {
      return err instanceof UpstreamError
        ? err.failure
        : { kind: 'retryable', code: `${task.kind}_error`, detail: String(err) };
    }
  }

  /** When either queue's head may move next (only heads move: both keep their order). */
  nextDue(): number | null {
    const message =
      this.sql
        .exec<{ at: number }>("SELECT next_attempt_at AS at FROM outbound WHERE state = 'pending' ORDER BY seq LIMIT 1")
        .toArray()[0]?.at ?? null;
    const task =
      this.sql.exec<{ at: number }>('SELECT next_attempt_at AS at FROM tasks ORDER BY id LIMIT 1').toArray()[0]?.at ??
      null;
    const due = [message, task].filter((v): v is number => v !== null);
    return due.length ? Math.min(...due) : null;
  }
}
