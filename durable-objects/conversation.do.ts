/**
 * One per (tenant, customer WhatsApp id): the coordination atom of a conversation.
 *
 * This file is the object's surface: its RPCs, its metadata (tenant, customer, 24-hour window),
 * storage migrations, and the single alarm that runs everything due. The work happens in rooms
 * that each own their tables and reach each other only through this object:
 * - conversation.inbound.ts — customer messages to Genesys; its table (`messages`) in conversation.inbound.store.ts;
 * - conversation.outbound.ts — agent messages to WhatsApp, paced by conversation.pacing.ts; its tables
 *   (`outbound`, `outbound_parts`) in conversation.outbound.store.ts; conversation.progress.ts turns
 *   WhatsApp statuses into timeline progress and the one Genesys receipt (`statuses`);
 * - conversation.followups.ts — receipts, read marks and typing, in order with retries (`tasks`);
 * - conversation.outcomes.ts — how either lane reports a message's outcome (metrics, D1, logs);
 * - conversation.timeline.ts — the read model for the dashboard and the agent widget.
 * Storage: docs/storage.md.
 */
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../workers/env';
import { isAllowedMediaUrl } from '../workers/domain/media-hosts';
import { SERVICE_WINDOW_MS } from '../workers/domain/conversation';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import { FollowUps } from './conversation.followups';
import { InboundLane } from './conversation.inbound';
import { CONVERSATION_MIGRATIONS } from './conversation.migrations';
import { OutboundLane } from './conversation.outbound';
import { ConversationOutcomes } from './conversation.outcomes';
import { OutboundProgress } from './conversation.progress';
import { inboundEntry, mergeTimeline, outboundEntry } from './conversation.timeline';
import {
  DEDUP_RETENTION_MS,
  type AcceptResult,
  type ConversationHost,
  type ServiceWindow,
  type TimelineEntry,
  type WaMessageItem,
  type WaStatusItem,
} from './conversation.types';

export type { AcceptResult, ServiceWindow, TimelineEntry, WaMessageItem, WaStatusItem } from './conversation.types';

export class ConversationDO extends DurableObject<Env> {
  private readonly inbound: InboundLane;
  private readonly outbound: OutboundLane;
  private readonly progress: OutboundProgress;
  private readonly followUps: FollowUps;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => this.migrate());
    const host: ConversationHost = {
      sql: ctx.storage.sql,
      env,
      getMeta: (key) => this.getMeta(key),
      setMeta: (key, value) => this.setMeta(key, value),
      windowOpen: (now) => this.windowAt(now).open,
      customerMessage: (ref) => this.inbound.customerMessage(ref),
      agentMessage: (wamid) => this.outbound.agentMessage(wamid),
    };
    this.followUps = new FollowUps(host);
    this.progress = new OutboundProgress(ctx.storage.sql, this.followUps);
    const outcomes = new ConversationOutcomes(host);
    this.inbound = new InboundLane(host, outcomes);
    this.outbound = new OutboundLane(host, this.progress, this.followUps, outcomes);
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

  /** Accepts customer messages for delivery to Genesys, once each by WhatsApp id. */
  async acceptInbound(items: WaMessageItem[]): Promise<AcceptResult> {
    const result = this.inbound.accept(items);
    if (result.accepted.length > 0) await this.schedule();
    return result;
  }

  /** Accepts agent messages, receipts and events from Genesys, once each by Genesys message id. */
  async acceptOutbound(items: OutboundQueueMessage[]): Promise<AcceptResult> {
    const tenantId = items[0]?.tenantId;
    const to = items[0]?.message.channel.to.id.replace(/\D/g, '');
    if (tenantId) this.setMeta('tenant_id', tenantId);
    if (to && !this.getMeta('wa_id')) this.setMeta('wa_id', to);
    const result = this.outbound.accept(items);
    if (result.accepted.length > 0) await this.schedule();
    return result;
  }

  /** Records a WhatsApp delivery status; statuses of agent messages become progress and receipts. */
  async recordStatus(item: WaStatusItem): Promise<void> {
    this.setMeta('tenant_id', item.tenantId);
    this.setMeta('wa_id', item.waId);
    this.progress.record(item);
    await this.schedule();
  }

  /** The tenant gate released a hold on the number: held agent messages go now, in order. */
  async wake(): Promise<void> {
    this.outbound.wake();
    await this.schedule();
  }

  /**
   * Erases everything this conversation holds (offboarding, a customer's erasure request): messages,
   * receipts, follow-ups, meta and the alarm. The object stays usable; a later message starts afresh.
   */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.migrate();
  }

  async serviceWindow(now = Date.now()): Promise<ServiceWindow> {
    return this.windowAt(now);
  }

  /** Both directions of the conversation, oldest first, with delivery state: the dashboard timeline and the widget history. */
  async timeline(limit = 200): Promise<TimelineEntry[]> {
    return mergeTimeline(
      this.inbound.recent(limit).map(inboundEntry),
      this.outbound
        .recent(limit)
        .map((row) => outboundEntry(row, (url) => isAllowedMediaUrl(url, config(this.env).OUTBOUND_MEDIA_HOSTS))),
      limit,
    );
  }

  private windowAt(now: number): ServiceWindow {
    const last = this.getMeta('last_customer_ts');
    if (!last) return { lastCustomerMessageAt: null, open: false, closesAt: null };
    const closesAt = Number(last) + SERVICE_WINDOW_MS;
    return { lastCustomerMessageAt: Number(last), open: now < closesAt, closesAt };
  }

  // ===== The one alarm

  override async alarm(): Promise<void> {
    await this.inbound.drain();
    await this.outbound.drain();
    await this.followUps.drain();
    const cutoff = Date.now() - DEDUP_RETENTION_MS;
    this.inbound.purge(cutoff);
    this.outbound.purge(cutoff);
    this.progress.purge(cutoff);
    await this.schedule();
  }

  /** One alarm for everything: the earliest due work of any room, else the next purge. */
  private async schedule(): Promise<void> {
    const earliest = (values: Array<number | null>) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length ? Math.min(...known) : null;
    };
    const next = earliest([this.inbound.nextDue(), this.outbound.nextDue(), this.followUps.nextDue()]);
    const oldest = earliest([this.inbound.oldestSettled(), this.outbound.oldestSettled(), this.progress.oldest()]);
    const at = earliest([next, oldest === null ? null : oldest + DEDUP_RETENTION_MS]);
    if (at === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    // Work already due runs now; setAlarm refuses times in the distant past (e.g. a "0" retry time).
    const wanted = Math.max(at, Date.now());
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
