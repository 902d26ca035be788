/**
 * Follow-up calls of a conversation, in order and with retries: Genesys receipts for agent
 * messages, WhatsApp read marks and typing indicators on the customer's last message. Owns the
 * `tasks` table. A follow-up that cannot be made is recorded; the message it follows already went.
 * A tenant whose `genesysReceipts` is `failed` gets no Delivered receipts: they are settled without a call.
 */
import { config } from '../workers/env';
import { sendReceipt } from '../workers/clients/genesys.client';
import { markRead } from '../workers/clients/whatsapp.client';
import { forgetTenant, loadTenant, type Tenant } from '../workers/db/tenants.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { nextStep } from '../workers/domain/retry';
import type { OpenInboundReceipt } from '../workers/schemas/genesys.schema';
import type { ConversationRecords } from './conversation.records';
import type { ConversationHost } from './conversation.types';

type TaskRow = {
  id: number;
  kind: 'receipt' | 'typing' | 'mark_read';
  payload: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
};

/** WhatsApp shows a typing indicator for 25 s; a later one is pointless. */
const TYPING_STALE_MS = 20_000;

export class FollowUps {
  constructor(
    private readonly host: ConversationHost,
    private readonly records: ConversationRecords,
  ) {}

  private get sql() {
    return this.host.sql;
  }

  /** Queues a Genesys receipt; one per agent message (deduplicated by its Genesys id). */
  receipt(receipt: OpenInboundReceipt): void {
    this.sql.exec(
      'INSERT INTO tasks (kind, dedup, payload, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (dedup) DO NOTHING',
      'receipt',
      `receipt:${receipt.id}`,
      JSON.stringify(receipt),
      Date.now(),
    );
  }

  /** Queues a read mark or typing indicator on the customer's last message (once per message for reads). */
  whatsappMark(kind: 'typing' | 'mark_read'): void {
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

  /** Runs due follow-ups in order; stops at the first that must wait. */
  async drain(): Promise<void> {
    const tenantId = this.host.getMeta('tenant_id');
    if (!tenantId) return;
    const cfg = config(this.host.env);
    // Loaded once per run, and again after Meta refused its token.
    let tenant: Tenant | null | undefined;
    for (let now = Date.now(); ; now = Date.now()) {
      const task = this.sql.exec<TaskRow>('SELECT * FROM tasks ORDER BY id LIMIT 1').toArray()[0];
      if (!task || task.next_attempt_at > now) return;
      if (task.kind === 'typing' && now - task.created_at > TYPING_STALE_MS) {
        this.sql.exec('DELETE FROM tasks WHERE id = ?', task.id);
        continue;
      }
      tenant ??= await loadTenant(this.host.env, tenantId);
      if (!tenant) return;
      const failure = await this.run(tenant, task);
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
        this.sql.exec('DELETE FROM tasks WHERE id = ?', task.id);
        await this.records.write({
          kind: 'failure',
          record: {
            tenantId,
            direction: task.kind === 'receipt' ? 'inbound' : 'outbound',
            code: `${task.kind}_failed`,
            detail: `${failure.code}: ${failure.detail}`,
            payload: JSON.parse(task.payload),
          },
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

  private async run(tenant: Tenant, task: TaskRow): Promise<UpstreamFailure | undefined> {
    const cfg = config(this.host.env);
    if (task.kind === 'receipt') {
      const receipt = JSON.parse(task.payload) as OpenInboundReceipt;
      // Decided when the call would be made, so a change of the setting applies to receipts still waiting.
      if (receipt.status === 'Delivered' && tenant.genesysReceipts === 'failed') return undefined;
      const genesys = { region: tenant.genesys.region, integrationId: tenant.genesys.integrationId };
      const outcome = await this.host.genesys.run(tenant, (token) => sendReceipt(cfg, { ...genesys, token }, receipt));
      if (outcome.kind === 'ok') return undefined;
      return outcome.kind === 'wait'
        ? { kind: 'retryable', code: 'genesys_rate_limited', detail: 'gate', retryAfterMs: outcome.waitMs }
        : outcome.failure;
    }
    try {
      const { wamid } = JSON.parse(task.payload) as { wamid: string };
      await markRead(cfg, tenant.whatsapp.phoneNumberId, tenant.whatsapp.accessToken, wamid, task.kind === 'typing');
      return undefined;
    } catch (err) {
      return err instanceof UpstreamError
        ? err.failure
        : { kind: 'retryable', code: `${task.kind}_error`, detail: String(err) };
    }
  }

  /** Genesys receipts that may be sent by `until` (one call each; none while the first follow-up waits past it). */
  genesysDue(until: number): number {
    const first = this.nextDue();
    if (first === null || first > until) return 0;
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE kind = 'receipt' AND next_attempt_at <= ?", until)
      .one().n;
  }

  /** When the first follow-up may run (they keep their order). */
  nextDue(): number | null {
    return (
      this.sql.exec<{ at: number }>('SELECT next_attempt_at AS at FROM tasks ORDER BY id LIMIT 1').toArray()[0]?.at ??
      null
    );
  }
}
