/**
 * The inbound half of a conversation: customer messages to Genesys. Owns the `messages` table.
 *
 * An ordered outbox. `accept` persists each WhatsApp message once (deduplicated by wamid for
 * DEDUP_RETENTION_MS, longer than Meta's days of retries); `drain` forwards due messages to
 * Genesys in Meta-timestamp order. Messages wait the tenant's reorder hold (INBOUND_REORDER_MS by
 * default), counted from the webhook's arrival, so a sibling that Meta delivered late can still go
 * first; the time spent in the queue is part of the hold. A failing head message blocks the ones after it
 * (order over throughput) until it succeeds, fails for good (recorded in D1) or exhausts its
 * attempts (dead-letter queue).
 *
 * Persist first, then call out: every state change is written before the next fetch, so an
 * eviction mid-flight repeats at most the one call in progress (Genesys dedups by messageId).
 */
import { config } from '../workers/env';
import { sendInbound } from '../workers/clients/genesys.client';
import { loadTenant, type Tenant } from '../workers/db/tenants.repo';
import type { UpstreamFailure } from '../workers/domain/errors';
import { nextStep } from '../workers/domain/retry';
import { mediaOf } from '../workers/domain/inbound.media';
import { translateInbound, type ReferencedMessage } from '../workers/domain/inbound.translate';
import { signMediaToken } from '../workers/auth/media-url';
import type { ConversationOutcomes } from './conversation.outcomes';
import type { ConversationHost, WaMessageItem } from './conversation.types';
import { InboundStore, type MessageRow } from './conversation.inbound.store';

export class InboundLane extends InboundStore {
  constructor(
    host: ConversationHost,
    private readonly outcomes: ConversationOutcomes,
  ) {
    super(host);
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
      const outcome = await this.host.genesys.run(tenant, (token) =>
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
      this.outcomes.retried(this.subject(row, item, tenantId), step.attempts, step.delayMs, failure.code);
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
    const subject = {
      ...this.subject(row, item, tenantId),
      contactName: item.contactName ?? this.host.getMeta('contact_name'),
      ids: { wamid: row.wamid, genesysId: response.id },
      ...(response.conversationId ? { genesysConversationId: response.conversationId } : {}),
    };
    if (notice) {
      const detail = `${notice.detail} (delivered to the agent as a note)`;
      await this.outcomes.notice(subject, { externalId: row.wamid, code: notice.code, detail, payload: item.message });
    }
    await this.outcomes.delivered(subject, {
      receivedAt: item.receivedAt,
      customerAt: Number(item.message.timestamp) * 1000,
    });
  }

  private subject(row: MessageRow, item: WaMessageItem, tenantId: string) {
    return {
      direction: 'inbound' as const,
      tenantId,
      waId: item.waId,
      ids: { wamid: row.wamid },
      contactName: item.contactName ?? null,
    };
  }

  private async translate(tenant: Tenant, item: WaMessageItem) {
    const cfg = config(this.host.env);
    const media = mediaOf(item.message);
    const token = media
      ? await signMediaToken(
          this.host.env,
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
    await this.outcomes.failed(this.subject(row, item, tenantId), {
      externalId: row.wamid,
      code,
      detail,
      payload: item,
    });
  }

  private async deadLetter(
    row: MessageRow,
    item: WaMessageItem,
    tenantId: string,
    failure: UpstreamFailure,
    attempts: number,
  ): Promise<void> {
    // Enqueue before marking: if the send fails the alarm throws, is retried, and tries again.
    const error = { errorCode: failure.code, errorDetail: failure.detail };
    await this.host.env.INBOUND_DLQ.send({
      v: 1,
      kind: 'dead_letter',
      tenantId,
      queue: 'inbound',
      externalId: row.wamid,
      ...error,
      attempts,
      item,
    });
    const lastError = `${failure.code}: ${failure.detail}`;
    this.sql.exec(
      "UPDATE messages SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE wamid = ?",
      attempts,
      lastError,
      Date.now(),
      row.wamid,
    );
    await this.outcomes.deadLettered(this.subject(row, item, tenantId), attempts, failure.code);
  }
}
