/**
 * How a conversation reports what happened to a message, in either direction: the Analytics Engine
 * data point, the conversation's activity (summarised into the D1 conversation index and hourly
 * metrics, conversation.activity.ts), the failure record an operator sees, and one JSON log line
 * (phone numbers masked). One place, so every outcome is reported the same way. Failure records go
 * through {@link ConversationRecords}: D1 never decides delivery.
 */
import { log, maskPhone } from '../workers/lib/log';
import { recordOutcome } from '../workers/lib/metrics';
import type { ConversationActivity } from './conversation.activity';
import type { ConversationRecords } from './conversation.records';
import type { ConversationHost } from './conversation.types';

type Direction = 'inbound' | 'outbound';

interface Subject {
  direction: Direction;
  tenantId: string;
  waId: string;
  /** The message's id in log lines: `wamid` inbound, `genesysId` outbound. */
  ids: Record<string, string>;
  contactName?: string | null;
  genesysConversationId?: string;
}

const conversationOf = (s: Subject) =>
  s.genesysConversationId ? { genesysConversationId: s.genesysConversationId } : {};

export class ConversationOutcomes {
  constructor(
    private readonly host: ConversationHost,
    private readonly records: ConversationRecords,
    private readonly activity: ConversationActivity,
  ) {}

  async delivered(s: Subject, detail: { receivedAt: number; customerAt?: number; parts?: number }): Promise<void> {
    const latencyMs = Date.now() - detail.receivedAt;
    recordOutcome(this.host.env, s.tenantId, s.direction, 'delivered', latencyMs);
    this.activity.add({
      direction: s.direction,
      outcome: 'delivered',
      at: Date.now(),
      latencyMs,
      ...(s.contactName !== undefined ? { contactName: s.contactName } : {}),
      ...(detail.customerAt !== undefined ? { customerAt: detail.customerAt } : {}),
      ...conversationOf(s),
    });
    const event = s.direction === 'inbound' ? 'inbound.delivered' : 'outbound.sent';
    log.info(event, {
      tenantId: s.tenantId,
      ...s.ids,
      ...(detail.parts ? { parts: detail.parts } : {}),
      waId: maskPhone(s.waId),
      latencyMs,
    });
  }

  retried(s: Subject, attempt: number, delayMs: number, code: string): void {
    recordOutcome(this.host.env, s.tenantId, s.direction, 'retried');
    log.warn(`${s.direction}.retry`, { tenantId: s.tenantId, ...s.ids, attempt, delayMs, code });
  }

  /** Failed for good: recorded for the operator (with the payload) and counted. */
  async failed(
    s: Subject,
    failure: { externalId: string; code: string; detail: string; payload: unknown },
  ): Promise<void> {
    await this.records.write({
      kind: 'failure',
      record: { tenantId: s.tenantId, direction: s.direction, ...failure },
    });
    recordOutcome(this.host.env, s.tenantId, s.direction, 'failed');
    this.counted(s);
    log.warn(`${s.direction}.failed`, { tenantId: s.tenantId, ...s.ids, code: failure.code });
  }

  /** Retries ran out; the dead-letter queue holds the item. */
  async deadLettered(s: Subject, attempts: number, code: string): Promise<void> {
    recordOutcome(this.host.env, s.tenantId, s.direction, 'dead_lettered');
    this.counted(s);
    log.error(`${s.direction}.dead_lettered`, { tenantId: s.tenantId, ...s.ids, attempts, code });
  }

  /** A message that went, but not as it came (e.g. an unsupported type delivered as a note). */
  async notice(
    s: Subject,
    notice: { externalId: string; code: string; detail: string; payload: unknown },
  ): Promise<void> {
    await this.records.write({
      kind: 'failure',
      record: { tenantId: s.tenantId, direction: s.direction, ...notice },
    });
  }

  private counted(s: Subject): void {
    const contact = s.contactName !== undefined ? { contactName: s.contactName } : {};
    this.activity.add({ direction: s.direction, outcome: 'failed', at: Date.now(), ...contact, ...conversationOf(s) });
  }
}
