/**
 * One per (tenant, customer WhatsApp id): the coordination atom of a conversation.
 *
 * Inbound, it is an ordered outbox. `ingest` persists each WhatsApp message once (deduplicated by
 * wamid for {@link DEDUP_RETENTION_MS}, longer than Meta's days of retries) and returns; a single
 * alarm then forwards due messages to Genesys in Meta-timestamp order. Messages wait
 * INBOUND_REORDER_MS after arrival so a sibling that Meta delivered late can still go first. A
 * failing head message blocks the ones after it (order over throughput) until it succeeds, fails
 * for good (recorded in D1) or exhausts its attempts (dead-letter queue).
 *
 * Persist first, then call out: every state change is written before the next fetch, so an
 * eviction mid-flight repeats at most the one call in progress (Genesys dedups by messageId).
 */
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../workers/env';
import { sendInbound } from '../workers/clients/genesys.client';
import { loadTenant, type Tenant } from '../workers/db/tenants.repo';
import { recordFailure } from '../workers/db/records.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { nextStep } from '../workers/domain/retry';
import { mediaOf, translateInbound, type ReferencedMessage } from '../workers/domain/inbound.translate';
import { signMediaToken } from '../workers/auth/media-url';
import { log, maskPhone } from '../workers/lib/log';
import { recordOutcome } from '../workers/lib/metrics';
import { recordActivity } from '../workers/db/conversations.repo';
import type { InboundQueueMessage } from '../workers/schemas/queue.schema';
import type { GenesysInboundRequest } from '../workers/schemas/genesys.schema';
import { CONVERSATION_MIGRATIONS } from './conversation.migrations';
import { SERVICE_WINDOW_MS } from '../workers/domain/conversation';
import { OutboundLane } from './conversation.outbound';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';

export const DEDUP_RETENTION_MS = 8 * 24 * 3600_000;
const SNIPPET_CHARS = 80;

export type WaMessageItem = Extract<InboundQueueMessage, { kind: 'wa_message' }>;
export type WaStatusItem = Extract<InboundQueueMessage, { kind: 'wa_status' }>;

export interface IngestResult {
  accepted: string[];
  duplicates: string[];
}

export interface TimelineEntry {
  id: string;
  direction: 'inbound' | 'outbound';
  at: number;
  type: string;
  text?: string;
  media?: { id: string; mime: string } | { url: string; mime: string };
  state: string;
  receipt?: string;
  error?: string;
}

export interface ServiceWindow {
  lastCustomerMessageAt: number | null;
  open: boolean;
  closesAt: number | null;
}

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
};

export class ConversationDO extends DurableObject<Env> {
  private readonly outbound: OutboundLane;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => this.migrate());
    this.outbound = new OutboundLane({
      sql: ctx.storage.sql,
      env,
      getMeta: (key) => this.getMeta(key),
      setMeta: (key, value) => this.setMeta(key, value),
      windowOpen: (now) => this.windowAt(now).open,
    });
  }

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)');
    const current = (sql.exec('SELECT MAX(version) AS v FROM _schema').one().v as number | null) ?? 0;
    this.ctx.storage.transactionSync(() => {
      for (const [i, statements] of CONVERSATION_MIGRATIONS.entries()) {
        if (i + 1 <= current) continue;
        for (const statement of statements) sql.exec(statement);
        sql.exec('INSERT INTO _schema (version) VALUES (?)', i + 1);
      }
    });
  }

  // ===== RPC

  /**
   * Accepts customer messages for delivery. Synchronous SQL only, so two copies of one wamid
   * arriving together cannot both pass the duplicate check.
   */
  async ingest(items: WaMessageItem[]): Promise<IngestResult> {
    const sql = this.ctx.storage.sql;
    const cfg = config(this.env);
    const now = Date.now();
    const result: IngestResult = { accepted: [], duplicates: [] };
    for (const item of items) {
      const wamid = item.message.id;
      const existing = sql.exec<{ state: string }>('SELECT state FROM messages WHERE wamid = ?', wamid).toArray()[0];
      const replayable = item.replay === true && (existing?.state === 'dead' || existing?.state === 'failed');
      if (existing && !replayable) {
        result.duplicates.push(wamid);
        continue;
      }
      const ts = Number(item.message.timestamp);
      sql.exec(
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
      this.setMeta('tenant_id', item.tenantId);
      this.setMeta('wa_id', item.waId);
      if (item.contactName) this.setMeta('contact_name', item.contactName);
      const last = Number(this.getMeta('last_customer_ts') ?? 0);
      if (ts * 1000 >= last) {
        this.setMeta('last_customer_ts', String(ts * 1000));
        this.setMeta('last_inbound_wamid', wamid);
      }
      result.accepted.push(wamid);
    }
    if (result.accepted.length > 0) await this.schedule();
    return result;
  }

  /** Accepts agent messages, receipts and events from Genesys, once each by Genesys message id. */
  async enqueueOutbound(items: OutboundQueueMessage[]): Promise<IngestResult> {
    const tenantId = items[0]?.tenantId;
    const to = items[0]?.message.channel.to.id.replace(/\D/g, '');
    if (tenantId) this.setMeta('tenant_id', tenantId);
    if (to && !this.getMeta('wa_id')) this.setMeta('wa_id', to);
    const result = this.outbound.accept(items);
    if (result.accepted.length > 0) await this.schedule();
    return result;
  }

  /** Records a WhatsApp delivery status; statuses of agent messages become Genesys receipts. */
  async recordStatus(item: WaStatusItem): Promise<void> {
    const s = item.status;
    this.ctx.storage.sql.exec(
      `INSERT INTO statuses (wamid, status, ts, errors, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (wamid, status) DO NOTHING`,
      s.id,
      s.status,
      Number(s.timestamp),
      s.errors ? JSON.stringify(s.errors) : null,
      Date.now(),
    );
    this.setMeta('tenant_id', item.tenantId);
    this.setMeta('wa_id', item.waId);
    this.outbound.applyStatuses();
    await this.schedule();
  }

  /** The tenant gate released a hold on the number: held agent messages go now, in order. */
  async wake(): Promise<void> {
    this.outbound.wake();
    await this.schedule();
  }

  async serviceWindow(now = Date.now()): Promise<ServiceWindow> {
    return this.windowAt(now);
  }

  /** Both directions of the conversation, oldest first, with delivery state: the dashboard timeline and the widget history. */
  async timeline(limit = 200): Promise<TimelineEntry[]> {
    const sql = this.ctx.storage.sql;
    const inbound = sql
      .exec<{
        wamid: string;
        ts: number;
        state: string;
        item: string | null;
        last_error: string | null;
        genesys_id: string | null;
      }>(
        "SELECT wamid, ts, state, item, last_error, genesys_id FROM messages WHERE direction = 'inbound' ORDER BY ts DESC, seq DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((r): TimelineEntry => {
        const message = r.item ? (JSON.parse(r.item) as WaMessageItem).message : undefined;
        const media = message ? mediaOf(message) : undefined;
        return {
          id: r.wamid,
          direction: 'inbound',
          at: r.ts * 1000,
          type: message?.type ?? 'unknown',
          text: message ? (snippetOf(message, 4096) ?? undefined) : undefined,
          ...(media ? { media: { id: media.id, mime: media.mime } } : {}),
          state: r.state,
          ...(r.last_error ? { error: r.last_error } : {}),
        };
      });
    const outbound = sql
      .exec<{
        genesys_id: string;
        created_at: number;
        state: string;
        item: string | null;
        receipt: string | null;
        last_error: string | null;
      }>(
        "SELECT genesys_id, created_at, state, item, receipt, last_error FROM outbound WHERE state != 'ignored' ORDER BY seq DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((r): TimelineEntry => {
        const message = r.item ? (JSON.parse(r.item) as OutboundQueueMessage).message : undefined;
        const attachment = message?.content?.find((c) => c.attachment)?.attachment;
        const template = message?.content?.find((c) => c.template)?.template;
        return {
          id: r.genesys_id,
          direction: 'outbound',
          at: r.created_at,
          type: template ? 'template' : (message?.type.toLowerCase() ?? 'text'),
          text: message?.text ?? (template ? `Template ${template.name ?? template.id}` : undefined),
          ...(attachment?.url
            ? { media: { url: attachment.url, mime: attachment.mime ?? 'application/octet-stream' } }
            : {}),
          state: r.state,
          ...(r.receipt ? { receipt: r.receipt } : {}),
          ...(r.last_error ? { error: r.last_error } : {}),
        };
      });
    // Both lists were read newest first; reversed, a stable sort keeps arrival order for equal times.
    return [...inbound.reverse(), ...outbound.reverse()].sort((a, b) => a.at - b.at).slice(-limit);
  }

  private windowAt(now: number): ServiceWindow {
    const last = this.getMeta('last_customer_ts');
    if (!last) return { lastCustomerMessageAt: null, open: false, closesAt: null };
    const closesAt = Number(last) + SERVICE_WINDOW_MS;
    return { lastCustomerMessageAt: Number(last), open: now < closesAt, closesAt };
  }

  // ===== Delivery

  override async alarm(): Promise<void> {
    await this.drain();
    await this.outbound.drainMessages();
    await this.outbound.drainTasks();
    this.purge();
    await this.schedule();
  }

  /** Forwards due messages in timestamp order; stops at the first one that must wait. */
  private async drain(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const cfg = config(this.env);
    const tenantId = this.getMeta('tenant_id');
    if (!tenantId) return;
    let tenant: Tenant | null | undefined;

    for (;;) {
      const now = Date.now();
      // Everything at or before the newest due timestamp may go: a later-arriving but earlier
      // message is then already here and sorts first.
      const horizon = sql
        .exec<{ h: number | null }>("SELECT MAX(ts) AS h FROM messages WHERE state = 'pending' AND due_at <= ?", now)
        .one().h;
      if (horizon === null) return;
      const row = sql
        .exec<MessageRow>(
          "SELECT * FROM messages WHERE state = 'pending' AND ts <= ? ORDER BY ts, seq LIMIT 1",
          horizon,
        )
        .toArray()[0];
      if (!row || row.next_attempt_at > now) return;
      const item = JSON.parse(row.item ?? 'null') as WaMessageItem;

      tenant ??= await loadTenant(this.env, tenantId);
      if (!tenant) {
        await this.fail(row, item, tenantId, 'unknown_tenant', `tenant ${tenantId} no longer exists`);
        continue;
      }

      const request = await this.translate(tenant, item);
      if (!request.ok) {
        await this.fail(row, item, tenantId, request.code, request.detail);
        continue;
      }

      const outcome = await this.deliver(tenant, request.request);
      if (outcome.kind === 'wait') {
        // Rate limited by our own gate: not the message's fault, no attempt spent.
        sql.exec('UPDATE messages SET next_attempt_at = ? WHERE wamid = ?', now + outcome.waitMs, row.wamid);
        return;
      }
      if (outcome.kind === 'delivered') {
        sql.exec(
          // The item stays (until purge) so the timeline and the agent widget can show the message.
          "UPDATE messages SET state = 'delivered', genesys_id = ?, attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE wamid = ?",
          outcome.genesysId,
          Date.now(),
          row.wamid,
        );
        if (request.notice) {
          await recordFailure(this.env, {
            tenantId,
            direction: 'inbound',
            externalId: row.wamid,
            code: request.notice.code,
            detail: `${request.notice.detail} (delivered to the agent as a note)`,
            payload: item.message,
          });
        }
        const latencyMs = Date.now() - item.receivedAt;
        recordOutcome(this.env, tenantId, 'inbound', 'delivered', latencyMs);
        await recordActivity(this.env, {
          tenantId,
          waId: item.waId,
          direction: 'inbound',
          outcome: 'delivered',
          at: Date.now(),
          contactName: item.contactName ?? this.getMeta('contact_name'),
          customerAt: Number(item.message.timestamp) * 1000,
          ...(outcome.conversationId ? { genesysConversationId: outcome.conversationId } : {}),
          latencyMs,
        });
        log.info('inbound.delivered', {
          tenantId,
          wamid: row.wamid,
          genesysId: outcome.genesysId,
          waId: maskPhone(item.waId),
          latencyMs,
        });
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
      const { attempts, delayMs: delay } = step;
      sql.exec(
        'UPDATE messages SET attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE wamid = ?',
        attempts,
        Date.now() + delay,
        `${failure.code}: ${failure.detail}`,
        Date.now(),
        row.wamid,
      );
      recordOutcome(this.env, tenantId, 'inbound', 'retried');
      log.warn('inbound.retry', { tenantId, wamid: row.wamid, attempt: attempts, delayMs: delay, code: failure.code });
      return;
    }
  }

  private async translate(tenant: Tenant, item: WaMessageItem) {
    const cfg = config(this.env);
    const media = mediaOf(item.message);
    const mediaUrl = media
      ? `${cfg.PUBLIC_BASE_URL}/media/${await signMediaToken(this.env.MASTER_KEY, { tid: tenant.id, mid: media.id, mime: media.mime }, cfg.MEDIA_URL_TTL_SECONDS)}`
      : undefined;
    return translateInbound({
      message: item.message,
      waId: item.waId,
      contactName: item.contactName ?? this.getMeta('contact_name') ?? undefined,
      mediaUrl,
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
    const row = this.ctx.storage.sql
      .exec<{ genesys_id: string | null; snippet: string | null; direction: string }>(
        'SELECT genesys_id, snippet, direction FROM messages WHERE wamid = ?',
        id,
      )
      .toArray()[0];
    if (!row) return undefined;
    const agentMessage = row.direction === 'outbound' && row.genesys_id ? this.outboundItem(row.genesys_id) : undefined;
    // The agent's quick replies, with their full payloads: a tap carries only the short id WhatsApp allows.
    const quickReplies = agentMessage?.message.content?.filter((c) => c.quickReply).map((c) => c.quickReply!) ?? [];
    return {
      ...(row.direction === 'outbound' && row.genesys_id ? { genesysId: row.genesys_id } : {}),
      ...(row.snippet ? { snippet: row.snippet } : {}),
      ...(quickReplies.length ? { quickReplies } : {}),
    };
  }

  private outboundItem(genesysId: string): OutboundQueueMessage | undefined {
    const row = this.ctx.storage.sql
      .exec<{ item: string | null }>('SELECT item FROM outbound WHERE genesys_id = ?', genesysId)
      .toArray()[0];
    return row?.item ? (JSON.parse(row.item) as OutboundQueueMessage) : undefined;
  }

  private async deliver(
    tenant: Tenant,
    request: GenesysInboundRequest,
  ): Promise<
    | { kind: 'delivered'; genesysId: string; conversationId?: string }
    | { kind: 'wait'; waitMs: number }
    | { kind: 'failed'; failure: UpstreamFailure }
  > {
    const gate = this.env.TENANT_GATE.getByName(tenant.id);
    const cfg = config(this.env);
    let rejected: string | undefined;
    // At most two tries: the second only after a 401, with a token the gate refreshed once for everyone.
    for (let attempt = 0; attempt < 2; attempt++) {
      let token: string;
      try {
        const permit = await gate.acquire(tenant.id, rejected);
        if (!permit.ok)
          return 'waitMs' in permit
            ? { kind: 'wait', waitMs: permit.waitMs }
            : { kind: 'failed', failure: permit.failure };
        token = permit.token;
      } catch (err) {
        return { kind: 'failed', failure: failureOf(err, 'genesys_login') };
      }
      try {
        const response = await sendInbound(
          cfg,
          { region: tenant.genesys.region, integrationId: tenant.genesys.integrationId, token },
          request,
        );
        return {
          kind: 'delivered',
          genesysId: response.id,
          ...(response.conversationId ? { conversationId: response.conversationId } : {}),
        };
      } catch (err) {
        const failure = failureOf(err, 'genesys');
        if (failure.kind === 'unauthorized' && attempt === 0) {
          rejected = token;
          continue;
        }
        // A second 401 means the credentials themselves are wrong: keep retrying with backoff so
        // that fixing them in time still delivers, and dead-letter (replayable) otherwise.
        return {
          kind: 'failed',
          failure: failure.kind === 'unauthorized' ? { ...failure, kind: 'retryable' } : failure,
        };
      }
    }
    return {
      kind: 'failed',
      failure: { kind: 'retryable', code: 'genesys_unauthorized', detail: 'token refused twice' },
    };
  }

  private async fail(
    row: MessageRow,
    item: WaMessageItem,
    tenantId: string,
    code: string,
    detail: string,
  ): Promise<void> {
    this.ctx.storage.sql.exec(
      "UPDATE messages SET state = 'failed', last_error = ?, updated_at = ? WHERE wamid = ?",
      `${code}: ${detail}`,
      Date.now(),
      row.wamid,
    );
    await recordFailure(this.env, {
      tenantId,
      direction: 'inbound',
      externalId: row.wamid,
      code,
      detail,
      payload: item,
    });
    recordOutcome(this.env, tenantId, 'inbound', 'failed');
    await recordActivity(this.env, {
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
    await this.env.INBOUND_DLQ.send({
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
    this.ctx.storage.sql.exec(
      "UPDATE messages SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE wamid = ?",
      attempts,
      `${failure.code}: ${failure.detail}`,
      Date.now(),
      row.wamid,
    );
    recordOutcome(this.env, tenantId, 'inbound', 'dead_lettered');
    await recordActivity(this.env, {
      tenantId,
      waId: item.waId,
      direction: 'inbound',
      outcome: 'failed',
      at: Date.now(),
      contactName: item.contactName ?? null,
    });
    log.error('inbound.dead_lettered', { tenantId, wamid: row.wamid, attempts, code: failure.code });
  }

  // ===== Housekeeping

  /** Forgets finished messages once Meta can no longer redeliver them. */
  private purge(): void {
    const cutoff = Date.now() - DEDUP_RETENTION_MS;
    this.ctx.storage.sql.exec("DELETE FROM messages WHERE state != 'pending' AND updated_at < ?", cutoff);
    this.ctx.storage.sql.exec('DELETE FROM statuses WHERE received_at < ?', cutoff);
    this.ctx.storage.sql.exec("DELETE FROM outbound WHERE state != 'pending' AND updated_at < ?", cutoff);
  }

  /** One alarm for everything: the next due delivery, else the next purge. */
  private async schedule(): Promise<void> {
    const sql = this.ctx.storage.sql;
    // Only the head (earliest timestamp) moves first: wake when it may retry and a message is due.
    const head = sql
      .exec<{ next: number }>(
        "SELECT next_attempt_at AS next FROM messages WHERE state = 'pending' ORDER BY ts, seq LIMIT 1",
      )
      .toArray()[0];
    const firstDue = sql
      .exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM messages WHERE state = 'pending'")
      .one().at;
    const inbound = head && firstDue !== null ? Math.max(head.next, firstDue) : null;
    const next = [inbound, this.outbound.nextDue()]
      .filter((v): v is number => v !== null)
      .reduce<number | null>((a, b) => (a === null ? b : Math.min(a, b)), null);
    const oldest = sql
      .exec<{ at: number | null }>(
        `SELECT MIN(u) AS at FROM (SELECT MIN(updated_at) AS u FROM messages WHERE state != 'pending' UNION ALL SELECT MIN(received_at) FROM statuses
         UNION ALL SELECT MIN(updated_at) FROM outbound WHERE state != 'pending')`,
      )
      .one().at;
    const purgeAt = oldest !== null ? oldest + DEDUP_RETENTION_MS : null;
    const at = [next, purgeAt].filter((v): v is number => v !== null);
    if (at.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    // Work already due runs now; setAlarm refuses times in the distant past (e.g. a "0" retry time).
    const wanted = Math.max(Math.min(...at), Date.now());
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > wanted || current < Date.now()) await this.ctx.storage.setAlarm(wanted);
  }

  private getMeta(key: string): string | null {
    const row = this.ctx.storage.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0];
    return row?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }
}

function failureOf(err: unknown, service: string): UpstreamFailure {
  if (err instanceof UpstreamError) return err.failure;
  return { kind: 'retryable', code: `${service}_error`, detail: err instanceof Error ? err.message : String(err) };
}

function snippetOf(message: WaMessageItem['message'], chars = SNIPPET_CHARS): string | null {
  const m = message as Record<string, unknown>;
  const text = (m.text as { body?: unknown } | undefined)?.body;
  const caption = (m[message.type] as { caption?: unknown } | undefined)?.caption;
  const value = typeof text === 'string' ? text : typeof caption === 'string' ? caption : null;
  if (!value) return null;
  return value.length > chars ? `${value.slice(0, chars)}…` : value;
}
