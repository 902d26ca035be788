/**
 * What the parts of a conversation object share: the queue items it accepts, the views it answers,
 * and what each lane may ask of the object that hosts it (meta, the 24-hour window, the other lane's
 * lookups) — so no lane reads or writes another's tables.
 */
import type { Env } from '../workers/env';
import type { ReferencedMessage } from '../workers/domain/inbound.translate';
import type { EntryKind } from '../workers/domain/timeline-label';
import type { InboundQueueMessage } from '../workers/schemas/queue.schema';
import type { GenesysPermits } from './genesys-permit';

/** Meta retries webhooks for days: a WhatsApp id is remembered this long after it settled. */
export const DEDUP_RETENTION_MS = 8 * 24 * 3600_000;

export type WaMessageItem = Extract<InboundQueueMessage, { kind: 'wa_message' }>;
export type WaStatusItem = Extract<InboundQueueMessage, { kind: 'wa_status' }>;

export interface AcceptResult {
  accepted: string[];
  duplicates: string[];
}

export interface TimelineEntry {
  id: string;
  direction: 'inbound' | 'outbound';
  at: number;
  /** message, or a signal that is not one: the agent's typing, a read receipt, another event (timeline-label.ts). */
  kind: EntryKind;
  /** text, image, buttons, template, button_reply, location… */
  type: string;
  /** The entry as a person would describe it: "Tapped: Yes", a template's filled-in text, "📷 Photo: caption". */
  label: string;
  /** The message's own text or caption, when it has one. */
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

/** What a lane may ask of the conversation object that hosts it. */
export interface ConversationHost {
  readonly sql: SqlStorage;
  readonly env: Env;
  /** The conversation's Genesys permits (leases of its OAuth client's budget), shared by both lanes. */
  readonly genesys: GenesysPermits;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  windowOpen(now: number): boolean;
  /** The customer message a reference names (its wamid, or the Genesys id it got). Inbound lane. */
  customerMessage(ref: string): { wamid: string } | undefined;
  /** The agent message a WhatsApp id belongs to, for a tap or a reply to it. Outbound lane. */
  agentMessage(wamid: string): ReferencedMessage | undefined;
}
