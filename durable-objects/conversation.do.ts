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
 *   outcomes and backlog reach the dashboard in summaries (conversation.activity.ts, `activity`);
 *   failure records go through conversation.records.ts, which keeps them (`d1_outbox`) while D1 refuses;
 * - conversation.timeline.ts — the read model for the dashboard and the agent widget;
 * - genesys-permit.ts — both lanes' Genesys permits: leases of the budget of the conversation's
 *   OAuth client (chosen from the tenant's pool), given back when the object goes idle.
 * Storage: docs/storage.md.
 */
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../workers/env';
import { isAllowedMediaUrl } from '../workers/domain/media-hosts';
import { conversationName, SERVICE_WINDOW_MS } from '../workers/domain/conversation';
import { deleteConversationIndex } from '../workers/db/conversations.repo';
import { forgetTenant, loadTenant } from '../workers/db/tenants.repo';
import { log } from '../workers/lib/log';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import { FollowUps } from './conversation.followups';
import { GenesysPermits } from './genesys-permit';
import { InboundLane } from './conversation.inbound';
import { CONVERSATION_MIGRATIONS } from './conversation.migrations';
import { OutboundLane } from './conversation.outbound';
import { ConversationActivity, type Backlog } from './conversation.activity';
import { ConversationOutcomes } from './conversation.outcomes';
import { ConversationRecords } from './conversation.records';
import { HOLD_RECHECK_MS } from './tenant-gate.do';
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

/** A run that moved nothing is followed by one this much later, doubling up to MAX_STALL_MS. */
const MIN_STALL_MS = 500;
const MAX_STALL_MS = 5 * 60_000;

export type { AcceptResult, ServiceWindow, TimelineEntry, WaMessageItem, WaStatusItem } from './conversation.types';

export class ConversationDO extends DurableObject<Env> {
  private readonly inbound: InboundLane;
  private readonly outbound: OutboundLane;
  private readonly progress: OutboundProgress;
  private readonly followUps: FollowUps;
  private readonly records: ConversationRecords;
  private readonly activity: ConversationActivity;
  private readonly genesys: GenesysPermits;

  /** Whether this object's tables exist: an erased (or never used) object has none until it is written to. */
  private migrated = false;
  /** The alarm run in progress, which an erase waits for so nothing it writes outlives the erase. */
  private running: Promise<void> | undefined;
  /** An erase is waiting for that run: it reports nothing more to the dashboard. */
  private erasing = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.genesys = new GenesysPermits(
      env,
      () => conversationName(this.getMeta('tenant_id') ?? '', this.getMeta('wa_id') ?? ctx.id.toString()),
      (until) => this.inbound.genesysDue(until) + this.followUps.genesysDue(until),
    );
    const host: ConversationHost = {
      sql: ctx.storage.sql,
      env,
      genesys: this.genesys,
      getMeta: (key) => this.getMeta(key),
      setMeta: (key, value) => this.setMeta(key, value),
      windowOpen: (now) => this.windowAt(now).open,
      customerMessage: (ref) => this.inbound.customerMessage(ref),
      agentMessage: (wamid) => this.outbound.agentMessage(wamid),
    };
    this.records = new ConversationRecords(host);
    this.activity = new ConversationActivity(host);
    this.followUps = new FollowUps(host, this.records);
    this.progress = new OutboundProgress(ctx.storage.sql, this.followUps);
    const outcomes = new ConversationOutcomes(host, this.records, this.activity);
    this.inbound = new InboundLane(host, outcomes);
    this.outbound = new OutboundLane(host, this.progress, this.followUps, outcomes);
    ctx.blockConcurrencyWhile(async () => {
      const used = ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = '_schema'").toArray().length > 0;
      if (!used) return;
      this.ready();
      // Work with no alarm to run it (one lost to a failure in an older release) is rescheduled on wake-up.
      if ((await ctx.storage.getAlarm()) === null) await this.schedule();
    });
  }

  /** Creates or upgrades the tables before the first write. */
  private ready(): void {
    if (this.migrated) return;
    this.migrate();
    this.migrated = true;
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
    this.ready();
    const result = this.inbound.accept(items);
    if (result.accepted.length > 0) await this.schedule();
    return result;
  }

  /** Accepts agent messages, receipts and events from Genesys, once each by Genesys message id. */
  async acceptOutbound(items: OutboundQueueMessage[]): Promise<AcceptResult> {
    this.ready();
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
    this.ready();
    this.setMeta('tenant_id', item.tenantId);
    this.setMeta('wa_id', item.waId);
    this.progress.record(item);
    await this.schedule();
  }

  /** The tenant gate released a hold on the number: held agent messages go now, in order. */
  async wake(): Promise<void> {
    if (!this.migrated) return;
    const tenantId = this.getMeta('tenant_id');
    // The release may be a resume: this isolate must not answer from its cached "suspended".
    if (tenantId) forgetTenant(tenantId);
    this.setMeta('held_until', '0');
    this.outbound.wake();
    await this.schedule();
  }

  /**
   * Erases everything this conversation holds (offboarding, a customer's erasure request): messages,
   * receipts, follow-ups, meta, its tables and the alarm. A delivery in progress finishes first, so
   * nothing it records outlives the erase. A later message starts afresh.
   */
  async erase(): Promise<void> {
    this.erasing = true;
    try {
      await this.running?.catch(() => undefined);
      await this.eraseStorage();
    } finally {
      this.erasing = false;
    }
  }

  private async eraseStorage(): Promise<void> {
    this.genesys.drop();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.migrated = false;
  }

  async serviceWindow(now = Date.now()): Promise<ServiceWindow> {
    if (!this.migrated) return { lastCustomerMessageAt: null, open: false, closesAt: null };
    return this.windowAt(now);
  }

  /** Both directions of the conversation, oldest first, with delivery state: the dashboard timeline and the widget history. */
  async timeline(limit = 200): Promise<TimelineEntry[]> {
    if (!this.migrated) return [];
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
    if (!this.migrated) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    this.running = this.run();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async run(): Promise<void> {
    this.setMeta('alarm_runs', String(Number(this.getMeta('alarm_runs') ?? 0) + 1));
    let failed = false;
    try {
      const standing = await this.tenantStanding();
      if (standing === 'gone') {
        log.warn('conversation.tenant_gone', { tenantId: this.getMeta('tenant_id') });
        await this.eraseStorage();
        return;
      }
      if (standing === 'suspended') return;
      await this.records.flush();
      await this.inbound.drain();
      await this.outbound.drain();
      await this.followUps.drain();
      // Permits no due call will spend before the lease ends go back for other conversations.
      await this.genesys.settle();
      const cutoff = Date.now() - DEDUP_RETENTION_MS;
      this.inbound.purge(cutoff);
      this.outbound.purge(cutoff);
      this.progress.purge(cutoff);
      if (!this.erasing) await this.activity.report(this.backlog());
      if (this.isEmpty()) await this.clearItself();
    } catch (err) {
      // Caught, not thrown: after the runtime's few alarm retries nothing would wake this object.
      failed = true;
      log.error('conversation.alarm_failed', {
        tenantId: this.migrated ? this.getMeta('tenant_id') : null,
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      await this.schedule({ failed });
    }
  }

  /**
   * Whether the tenant still exists and may send. A deleted tenant's conversation drops its state
   * (offboarding erases it too); a suspended one holds everything until the tenant gate wakes it
   * on resume (re-checking every HOLD_RECHECK_MS meanwhile). A D1 failure throws: the run backs off.
   */
  private async tenantStanding(): Promise<'ok' | 'gone' | 'suspended'> {
    const tenantId = this.getMeta('tenant_id');
    if (!tenantId) return 'ok';
    const tenant = await loadTenant(this.env, tenantId);
    if (!tenant) return 'gone';
    if (tenant.status !== 'suspended') return 'ok';
    this.setMeta('held_until', String(Date.now() + HOLD_RECHECK_MS));
    const waId = this.getMeta('wa_id');
    if (waId) {
      const gate = this.env.TENANT_GATE.getByName(tenantId);
      await gate.waitForRelease(tenant.whatsapp.phoneNumberId, 'suspended', conversationName(tenantId, waId));
    }
    return 'suspended';
  }

  /**
   * Nothing left past the dedup window: the object clears itself, then its row leaves the D1 index
   * (only if no newer activity reached it meanwhile). A row D1 refuses to delete now is removed by
   * retention later (RETENTION_CONVERSATION_INDEX_DAYS); it points at an empty object meanwhile.
   */
  private async clearItself(): Promise<void> {
    const tenantId = this.getMeta('tenant_id');
    const waId = this.getMeta('wa_id');
    await this.eraseStorage();
    if (!tenantId || !waId) return;
    await deleteConversationIndex(this.env, tenantId, waId, Date.now() - DEDUP_RETENTION_MS).catch((err: unknown) =>
      log.warn('conversation.index_row_kept', { tenantId, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  private backlog(): Backlog {
    return { inbound: this.inbound.backlog(), outbound: this.outbound.backlog() };
  }

  private isEmpty(): boolean {
    const count = (table: string) =>
      this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return (
      ['messages', 'outbound', 'outbound_parts', 'statuses', 'tasks', 'activity'].every((t) => count(t) === 0) &&
      this.records.waiting() === 0
    );
  }

  /**
   * One alarm for everything: the earliest due work of any room, else the next purge. After a run
   * that failed, or left work due that it could not move, the next run backs off (doubling from
   * MIN_STALL_MS): the alarm never re-arms at "now" without progress.
   */
  private async schedule(run?: { failed: boolean }): Promise<void> {
    if (!this.migrated) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const earliest = (values: Array<number | null>) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length ? Math.min(...known) : null;
    };
    const now = Date.now();
    const next = earliest([
      this.records.nextDue(),
      this.activity.nextDue(this.backlog()),
      this.inbound.nextDue(),
      this.outbound.nextDue(),
      this.followUps.nextDue(),
    ]);
    const oldest = earliest([this.inbound.oldestSettled(), this.outbound.oldestSettled(), this.progress.oldest()]);
    const at = earliest([next, oldest === null ? null : oldest + DEDUP_RETENTION_MS]);
    if (at === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const heldUntil = Number(this.getMeta('held_until') ?? 0);
    if (run) {
      const stalled = run.failed || (next !== null && next <= now && heldUntil <= now);
      const stalls = stalled ? Number(this.getMeta('stalls') ?? 0) + 1 : 0;
      this.setMeta('stalls', String(stalls));
      this.setMeta(
        'stalled_until',
        String(stalled ? now + Math.min(MAX_STALL_MS, MIN_STALL_MS * 2 ** (stalls - 1)) : 0),
      );
    }
    const stalledUntil = Number(this.getMeta('stalled_until') ?? 0);
    // Work already due runs now; setAlarm refuses times in the distant past (e.g. a "0" retry time).
    const wanted = Math.max(at, now, heldUntil, stalledUntil);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > wanted || current < now) await this.ctx.storage.setAlarm(wanted);
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
