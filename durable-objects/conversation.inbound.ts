/**
 * The inbound half of a conversation: customer messages to Genesys. Owns the `messages` table.
 *
 * An ordered outbox. `accept` persists each WhatsApp message once (deduplicated by wamid for
 * DEDUP_RETENTION_MS, longer than Meta's days of retries); `drain` forwards due messages to
 * Genesys in Meta-timestamp order. Messages wait INBOUND_REORDER_MS after arrival so a sibling
 * that Meta delivered late can still go first. A failing head message blocks the ones after it
 * (order over throughput) until it succeeds, fails for good (recorded in D1) or exhausts its
 * attempts (dead-letter queue).
 *
 * Persist first, then call out: every state change is written before the next fetch, so an
 * eviction mid-flight repeats at most the one call in progress (Genesys dedups by messageId).
 */
import { config } from '../workers/env';
import { sendInbound } from '../workers/clients/genesys.client';
import { loadTenant, type Tenant } from '../workers/db/tenants.repo';
import { recordFailure } from '../workers/db/records.repo';
import { recordActivity } from '../workers/db/conversations.repo';
import type { UpstreamFailure } from '../workers/domain/errors';
import { nextStep } from '../workers/domain/retry';
import { mediaOf, translateInbound, type ReferencedMessage } from '../workers/domain/inbound.translate';
import { signMediaToken } from '../workers/auth/media-url';
import { log, maskPhone } from '../workers/lib/log';
import { recordOutcome } from '../workers/lib/metrics';
import type { WaMessage } from '../workers/schemas/whatsapp.schema';
import { withGenesysPermit } from './genesys-permit';
import type { AcceptResult, ConversationHost, WaMessageItem } from './conversation.types';

const SNIPPET_CHARS = 80;

type MessageRow = {
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

export class InboundLane {
  constructor(private readonly host: ConversationHost) {}

  private get sql() {
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
      this.sql.exec(
        `INSERT INTO messages (wamid, direction, ts, seq, state, item, snippet, attempts, due_at, next_attempt_at, created_at, updated_at)
         VALUES (?, 'inbound', ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages), 'pending', ?, ?, 0, ?, 0, ?, ?)
         ON CONFLICT (wamid) DO UPDATE SET state = 'pending', item = excluded.item, attempts = 0, due_at = excluded.due_at,
           next_attempt_at = 0, last_error = NULL, updated_at = excluded.updated_at`,
        wamid,
        ts,
        JSON.stringify(item),
        snippetOf(item.message),
        now + cfg.INBOUND_REORDER_MS,
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

  /** Forwards due messages in timestamp order; stops at the first one that must wait. */
  async drain(): Promise<void> {
    const cfg = config(this.host.env);
    const tenantId = this.host.getMeta('tenant_id');
    if (!tenantId) return;
    let tenant: Tenant | null | undefined;

    for (;;) {
      const now = Date.now();
      // Everything at or before the newest due timestamp may go: a later-arriving but earlier
      // message is then already here and sorts first.
      const horizon = this.sql
        .exec<{ h: number | null }>("SELECT MAX(ts) AS h FROM messages WHERE state = 'pending' AND due_at <= ?", now)
        .one().h;
      if (horizon === null) return;
      const row = this.sql
        .exec<MessageRow>(
          "SELECT * FROM messages WHERE state = 'pending' AND ts <= ? ORDER BY ts, seq LIMIT 1",
          horizon,
        )
        .toArray()[0];
      if (!row || row.next_attempt_at > now) return;
      const item = JSON.parse(row.item ?? 'null') as WaMessageItem;

      tenant ??= await loadTenant(this.host.env, tenantId);
      if (!tenant) {
        await this.fail(row, item, tenantId, 'unknown_tenant', `tenant ${tenantId} no longer exists`);
        continue;
      }
      const request = await this.translate(tenant, item);
      if (!request.ok) {
        await this.fail(row, item, tenantId, request.code, request.detail);
        continue;
      }
      const genesys = { region: tenant.genesys.region, integrationId: tenant.genesys.integrationId };
      const outcome = await withGenesysPermit(this.host.env, tenant.id, (token) =>
        sendInbound(cfg, { ...genesys, token }, request.request),
      );
      if (outcome.kind === 'wait') {
        // Rate limited by our own gate: not the message's fault, no attempt spent.
        this.sql.exec('UPDATE messages SET next_attempt_at = ? WHERE wamid = ?', now + outcome.waitMs, row.wamid);
        return;
      }
      if (outcome.kind === 'ok') {
        await this.delivered(row, item, tenantId, outcome.value, request.notice);
        continue;
      }
      const failure = outcome.failure;
      const step = nextStep(failure, row.attempts, cfg.MAX_DELIVERY_ATTEMPTS, cfg.RETRY_BASE_MS);
      if (step.kind === 'fail') {
        await this.fail(row, item, tenantId, failure.code, failure.detail);
        continue;
      }
      if (step.kind === 'dead_letter') {
        await this.deadLetter(row, item, tenantId, failure, step.attempts);
        continue;
      }
      this.sql.exec(
        'UPDATE messages SET attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE wamid = ?',
        step.attempts,
        Date.now() + step.delayMs,
        `${failure.code}: ${failure.detail}`,
        Date.now(),
        row.wamid,
      );
      recordOutcome(this.host.env, tenantId, 'inbound', 'retried');
      log.warn('inbound.retry', {
        tenantId,
        wamid: row.wamid,
        attempt: step.attempts,
        delayMs: step.delayMs,
        code: failure.code,
      });
      return;
    }
  }

  private async delivered(
    row: MessageRow,
    item: WaMessageItem,
    tenantId: string,
    response: { id: string; conversationId?: string },
    notice: { code: string; detail: string } | undefined,
  ): Promise<void> {
    this.sql.exec(
      // The item stays (until purge) so the timeline and the agent widget can show the message.
      "UPDATE messages SET state = 'delivered', genesys_id = ?, attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE wamid = ?",
      response.id,
      Date.now(),
      row.wamid,
    );
    if (notice) {
      const detail = `${notice.detail} (delivered to the agent as a note)`;
      await recordFailure(this.host.env, {
        tenantId,
        direction: 'inbound',
        externalId: row.wamid,
        code: notice.code,
        detail,
        payload: item.message,
      });
    }
    const latencyMs = Date.now() - item.receivedAt;
    recordOutcome(this.host.env, tenantId, 'inbound', 'delivered', latencyMs);
    await recordActivity(this.host.env, {
      tenantId,
      waId: item.waId,
      direction: 'inbound',
      outcome: 'delivered',
      at: Date.now(),
      contactName: item.contactName ?? this.host.getMeta('contact_name'),
      customerAt: Number(item.message.timestamp) * 1000,
      ...(response.conversationId ? { genesysConversationId: response.conversationId } : {}),
      latencyMs,
    });
    log.info('inbound.delivered', {
      tenantId,
      wamid: row.wamid,
      genesysId: response.id,
      waId: maskPhone(item.waId),
      latencyMs,
    });
  }

  private async translate(tenant: Tenant, item: WaMessageItem) {
    const cfg = config(this.host.env);
    const media = mediaOf(item.message);
    const token = media
      ? await signMediaToken(
          this.host.env.MASTER_KEY,
          { tid: tenant.id, mid: media.id, mime: media.mime },
          cfg.MEDIA_URL_TTL_SECONDS,
        )
      : undefined;
    return translateInbound({
      message: item.message,
      waId: item.waId,
      contactName: item.contactName ?? this.host.getMeta('contact_name') ?? undefined,
      mediaUrl: token ? `${cfg.PUBLIC_BASE_URL}/media/${token}` : undefined,
      referenced: this.referenced(item),
    });
  }

  /** The message a reply, reaction or button tap points at, when this conversation has seen it. */
  private referenced(item: WaMessageItem): ReferencedMessage | undefined {
    const message = item.message as Record<string, unknown>;
    const context = message.context as { id?: unknown } | undefined;
    const reaction = message.reaction as { message_id?: unknown } | undefined;
    const id =
      typeof context?.id === 'string'
        ? context.id
        : typeof reaction?.message_id === 'string'
          ? reaction.message_id
          : undefined;
    if (!id) return undefined;
    const own = this.sql
      .exec<{ snippet: string | null }>('SELECT snippet FROM messages WHERE wamid = ?', id)
      .toArray()[0];
    if (own) return own.snippet ? { snippet: own.snippet } : {};
    return this.host.agentMessage(id);
  }

  private async fail(
    row: MessageRow,
    item: WaMessageItem,
    tenantId: string,
    code: string,
    detail: string,
  ): Promise<void> {
    this.sql.exec(
      "UPDATE messages SET state = 'failed', last_error = ?, updated_at = ? WHERE wamid = ?",
      `${code}: ${detail}`,
      Date.now(),
      row.wamid,
    );
    await recordFailure(this.host.env, {
      tenantId,
      direction: 'inbound',
      externalId: row.wamid,
      code,
      detail,
      payload: item,
    });
    recordOutcome(this.host.env, tenantId, 'inbound', 'failed');
    await recordActivity(this.host.env, {
      tenantId,
      waId: item.waId,
      direction: 'inbound',
      outcome: 'failed',
      at: Date.now(),
      contactName: item.contactName ?? null,
    });
    log.warn('inbound.failed', { tenantId, wamid: row.wamid, code });
  }

  private async deadLetter(
    row: MessageRow,
    item: WaMessageItem,
    tenantId: string,
    failure: UpstreamFailure,
    attempts: number,
  ): Promise<void> {
    // Enqueue before marking: if the send fails the alarm throws, is retried, and tries again.
    await this.host.env.INBOUND_DLQ.send({
      v: 1,
      kind: 'dead_letter',
      tenantId,
      queue: 'inbound',
      externalId: row.wamid,
      errorCode: failure.code,
      errorDetail: failure.detail,
      attempts,
      item,
    });
    this.sql.exec(
      "UPDATE messages SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE wamid = ?",
      attempts,
      `${failure.code}: ${failure.detail}`,
      Date.now(),
      row.wamid,
    );
    recordOutcome(this.host.env, tenantId, 'inbound', 'dead_lettered');
    await recordActivity(this.host.env, {
      tenantId,
      waId: item.waId,
      direction: 'inbound',
      outcome: 'failed',
      at: Date.now(),
      contactName: item.contactName ?? null,
    });
    log.error('inbound.dead_lettered', { tenantId, wamid: row.wamid, attempts, code: failure.code });
  }

  // ===== Scheduling, housekeeping, reading

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
