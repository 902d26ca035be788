/**
 * The outbound half of a conversation: agent messages to WhatsApp. Owns the `outbound` table (one
 * row per Genesys message) and `outbound_parts` (one row per WhatsApp message sent for it); their
 * statuses and receipts are in conversation.progress.ts.
 *
 * Agent messages go out in arrival order, once per Genesys message id. Before a send: the 24-hour
 * window (free-form content needs it, templates do not), the pair rate (a token bucket per
 * customer, so bursts queue instead of earning error 131056) and the number's throughput and holds
 * (the tenant gate). Failures the agent must know about become Failed receipts with a readable
 * reason. A token Meta refuses (190) holds every send of the number in the tenant gate; the message
 * waits without spending attempts and goes, in order, once a working token is set.
 */
import { config } from '../workers/env';
import { sendMessage } from '../workers/clients/whatsapp.client';
import { forgetTenant, loadTenant, markWhatsappCredential, type Tenant } from '../workers/db/tenants.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { conversationName } from '../workers/domain/conversation';
import { isAllowedMediaUrl } from '../workers/domain/media-hosts';
import {
  planOutbound,
  type GenesysReasonCode,
  type OutboundPlan,
  type TemplateRef,
} from '../workers/domain/outbound.translate';
import { backoffMs, nextStep } from '../workers/domain/retry';
import { explainSendFailure } from '../workers/domain/send-failure';
import { WA_ERRORS } from '../workers/domain/whatsapp-errors';
import { log } from '../workers/lib/log';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import type { FollowUps } from './conversation.followups';
import type { ConversationOutcomes } from './conversation.outcomes';
import type { OutboundProgress } from './conversation.progress';
import type { ConversationHost } from './conversation.types';
import { OutboundStore, type OutboundRow } from './conversation.outbound.store';
import { HOLD_RECHECK_MS } from './tenant-gate.do';
import { sendPermit } from './conversation.pacing';

type SendError = UpstreamFailure & { waCode?: number };
type Sendable = Extract<OutboundPlan, { kind: 'send' }>;

/** A send refused with a token that was already replaced tries again this soon, with the new one. */
const NEW_TOKEN_RETRY_MS = 1000;

function reasonFor(failure: SendError, template?: TemplateRef): { code: GenesysReasonCode; message: string } {
  const waCode = failure.waCode !== undefined ? { waCode: failure.waCode } : {};
  return explainSendFailure({ ...waCode, detail: failure.detail, retryable: failure.kind !== 'permanent' }, template);
}

export class OutboundLane extends OutboundStore {
  constructor(
    host: ConversationHost,
    private readonly progress: OutboundProgress,
    private readonly followUps: FollowUps,
    private readonly outcomes: ConversationOutcomes,
  ) {
    super(host);
  }

  /** Sends due agent messages in order; stops at the first one that must wait. */
  async drain(): Promise<void> {
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

      const ref = item.message.channel.metadata?.replyToMessageId ?? item.message.channel.metadata?.replyToId;
      const replyTo = ref ? this.host.customerMessage(ref)?.wamid : undefined;
      const allowMediaUrl = (url: string) => isAllowedMediaUrl(url, cfg.OUTBOUND_MEDIA_HOSTS);
      const plan = planOutbound({ message: item.message, to: waId, replyToWamid: replyTo, allowMediaUrl });
      if (plan.kind === 'ignore') {
        this.finish(row.genesys_id, 'ignored');
        continue;
      }
      if (plan.kind === 'typing' || plan.kind === 'read') {
        if (plan.kind === 'typing' && this.host.windowOpen(now)) this.followUps.whatsappMark('typing');
        if (plan.kind === 'read' && tenant.markRead) this.followUps.whatsappMark('mark_read');
        this.finish(row.genesys_id, 'sent');
        continue;
      }
      if (plan.kind === 'refuse') {
        await this.fail(row, tenantId, plan.code, plan.message);
        continue;
      }
      if (plan.needsWindow && !this.host.windowOpen(now)) {
        const why = "Not sent: the customer's 24-hour WhatsApp window is closed. Send an approved template instead.";
        await this.fail(row, tenantId, 'MessageNotAllowed', why);
        continue;
      }
      const sent = await this.sendParts(tenant, waId, row, plan);
      if (sent === 'wait') return;
      if (sent === 'done') {
        await this.delivered(tenant, waId, row, item, plan);
        continue;
      }
      if (!(await this.failed(tenant, waId, row, item, plan, sent))) return;
    }
  }

  /** Sends the parts not sent yet; each spends one permit (a long split text queues behind the pair rate too). */
  private async sendParts(
    tenant: Tenant,
    waId: string,
    row: OutboundRow,
    plan: Sendable,
  ): Promise<'done' | 'wait' | SendError> {
    const cfg = config(this.host.env);
    for (const [i, request] of plan.requests.slice(row.parts_sent).entries()) {
      const wait = await sendPermit(this.host, tenant, waId, Date.now());
      if (wait > 0) {
        this.sql.exec(
          'UPDATE outbound SET next_attempt_at = ? WHERE genesys_id = ?',
          Date.now() + wait,
          row.genesys_id,
        );
        return 'wait';
      }
      let wamid: string;
      try {
        wamid = await sendMessage(
          cfg,
          tenant.whatsapp.phoneNumberId,
          tenant.whatsapp.accessToken,
          request,
          cfg.PAIR_INTERVAL_MS,
        );
      } catch (err) {
        return err instanceof UpstreamError
          ? err.failure
          : { kind: 'retryable', code: 'whatsapp_error', detail: String(err) };
      }
      const part = row.parts_sent + i;
      this.sql.exec(
        'INSERT INTO outbound_parts (wamid, genesys_id, part, snippet, sent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (wamid) DO NOTHING',
        wamid,
        row.genesys_id,
        part,
        part === 0 ? plan.snippet : null,
        Date.now(),
      );
      this.sql.exec(
        'UPDATE outbound SET parts_sent = ?, updated_at = ? WHERE genesys_id = ?',
        part + 1,
        Date.now(),
        row.genesys_id,
      );
    }
    return 'done';
  }

  private async delivered(
    tenant: Tenant,
    waId: string,
    row: OutboundRow,
    item: OutboundQueueMessage,
    plan: Sendable,
  ): Promise<void> {
    this.finish(row.genesys_id, 'sent');
    this.progress.sent(row.genesys_id);
    // The token works again (rotated back at Meta, or set while this send was in flight).
    if (tenant.whatsapp.credentialStatus === 'broken') {
      await this.host.env.TENANT_GATE.getByName(tenant.id).releaseWhatsapp(tenant.whatsapp.phoneNumberId, 'credential');
      // Best effort: the message went; while D1 refuses, the next send that works marks it again.
      await markWhatsappCredential(this.host.env, tenant.id, 'ok').catch((err: unknown) =>
        log.warn('whatsapp.credential_mark_deferred', { tenantId: tenant.id, error: String(err) }),
      );
    }
    if (tenant.markRead) this.followUps.whatsappMark('mark_read');
    await this.outcomes.delivered(this.subject(tenant.id, row, item, waId), {
      receivedAt: item.receivedAt,
      parts: plan.requests.length,
    });
  }

  /** Handles a refused send; answers whether the lane may go on with the next message. */
  private async failed(
    tenant: Tenant,
    waId: string,
    row: OutboundRow,
    item: OutboundQueueMessage,
    plan: Sendable,
    failure: SendError,
  ): Promise<boolean> {
    const cfg = config(this.host.env);
    const gate = this.host.env.TENANT_GATE.getByName(tenant.id);
    const note = (nextAttemptAt: number) =>
      this.sql.exec(
        'UPDATE outbound SET next_attempt_at = ?, last_error = ?, updated_at = ? WHERE genesys_id = ?',
        nextAttemptAt,
        `${failure.code}: ${failure.detail}`,
        Date.now(),
        row.genesys_id,
      );
    if (failure.kind === 'unauthorized') {
      // Error 190: the token is expired or revoked. Hold the number's sends until a working token
      // is set; this message waits, in order, without spending an attempt.
      const waiter = conversationName(tenant.id, waId);
      const { held } = await gate.holdForBrokenToken(
        tenant.id,
        tenant.whatsapp.phoneNumberId,
        tenant.whatsapp.accessToken,
        waiter,
      );
      forgetTenant(tenant.id);
      note(Date.now() + (held ? HOLD_RECHECK_MS : NEW_TOKEN_RETRY_MS));
      if (held) log.error('whatsapp.credential_broken', { tenantId: tenant.id });
      return false;
    }
    if (failure.waCode === WA_ERRORS.throughput)
      await gate.holdWhatsapp(
        tenant.whatsapp.phoneNumberId,
        'throughput',
        backoffMs(row.attempts + 1, 1000, failure.kind === 'retryable' ? failure.retryAfterMs : undefined),
      );
    const step = nextStep(failure, row.attempts, cfg.MAX_DELIVERY_ATTEMPTS, cfg.RETRY_BASE_MS);
    if (step.kind === 'fail') {
      const reason = reasonFor(failure, plan.template);
      await this.fail(row, tenant.id, reason.code, reason.message);
      return true;
    }
    if (step.kind === 'dead_letter') {
      await this.deadLetter(row, item, tenant.id, failure, step.attempts, plan.template);
      return true;
    }
    this.sql.exec('UPDATE outbound SET attempts = ? WHERE genesys_id = ?', step.attempts, row.genesys_id);
    note(Date.now() + step.delayMs);
    this.outcomes.retried(this.subject(tenant.id, row, item, waId), step.attempts, step.delayMs, failure.code);
    return false;
  }

  private subject(
    tenantId: string,
    row: OutboundRow,
    item: OutboundQueueMessage,
    waId = this.host.getMeta('wa_id') ?? '',
  ) {
    const conversation = item.message.conversationId ? { genesysConversationId: item.message.conversationId } : {};
    return { direction: 'outbound' as const, tenantId, waId, ids: { genesysId: row.genesys_id }, ...conversation };
  }

  private async fail(row: OutboundRow, tenantId: string, code: GenesysReasonCode, message: string): Promise<void> {
    this.sql.exec(
      "UPDATE outbound SET state = 'failed', last_error = ?, updated_at = ? WHERE genesys_id = ?",
      `${code}: ${message}`,
      Date.now(),
      row.genesys_id,
    );
    this.progress.settle(row.genesys_id, 'Failed', Math.floor(Date.now() / 1000), [{ code, message }]);
    const item = JSON.parse(row.item) as OutboundQueueMessage;
    await this.outcomes.failed(this.subject(tenantId, row, item), {
      externalId: row.genesys_id,
      code,
      detail: message,
      payload: item,
    });
  }

  private async deadLetter(
    row: OutboundRow,
    item: OutboundQueueMessage,
    tenantId: string,
    failure: SendError,
    attempts: number,
    template?: TemplateRef,
  ): Promise<void> {
    const error = { errorCode: failure.code, errorDetail: failure.detail };
    await this.host.env.OUTBOUND_DLQ.send({
      v: 1,
      kind: 'dead_letter',
      tenantId,
      queue: 'outbound',
      externalId: row.genesys_id,
      ...error,
      attempts,
      item,
    });
    const lastError = `${failure.code}: ${failure.detail}`;
    this.sql.exec(
      "UPDATE outbound SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE genesys_id = ?",
      attempts,
      lastError,
      Date.now(),
      row.genesys_id,
    );
    const reason = reasonFor(failure, template);
    this.progress.settle(row.genesys_id, 'Failed', Math.floor(Date.now() / 1000), [
      { code: reason.code, message: `Gave up after ${attempts} attempts. ${reason.message}` },
    ]);
    await this.outcomes.deadLettered(this.subject(tenantId, row, item), attempts, failure.code);
  }
}
