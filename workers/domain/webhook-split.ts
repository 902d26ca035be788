/**
 * Splits one verified Meta webhook into queue messages: one per message, status or notice, so
 * each travels (and retries) on its own and stays far below the 128 KB queue message cap.
 * Pure; the route does the I/O.
 */
import type { WaWebhook } from '../schemas/whatsapp.schema';
import type { InboundQueueMessage } from '../schemas/queue.schema';

export function splitWebhook(
  webhook: WaWebhook,
  tenantOf: (phoneNumberId: string) => string,
  receivedAt: number,
): InboundQueueMessage[] {
  const out: InboundQueueMessage[] = [];
  for (const entry of webhook.entry) {
    for (const change of entry.changes) {
      const value = change.value;
      const phoneNumberId = value.metadata?.phone_number_id;
      if (!phoneNumberId) continue; // the route refuses webhooks whose changes lack it
      const base = { v: 1 as const, tenantId: tenantOf(phoneNumberId), phoneNumberId, receivedAt };
      if (change.field !== 'messages') {
        out.push({ ...base, kind: 'wa_notice', field: change.field, value });
        continue;
      }
      for (const message of value.messages ?? []) {
        const contact =
          value.contacts?.find((c) => c.wa_id === message.from) ??
          (value.contacts?.length === 1 ? value.contacts[0] : undefined);
        const contactName = contact?.profile?.name;
        out.push({ ...base, kind: 'wa_message', waId: message.from, ...(contactName ? { contactName } : {}), message });
      }
      for (const status of value.statuses ?? []) {
        out.push({ ...base, kind: 'wa_status', waId: status.recipient_id, status });
      }
      if (value.errors?.length)
        out.push({ ...base, kind: 'wa_notice', field: 'errors', errors: value.errors, value: null });
    }
  }
  return out;
}

/** Queue limits: 128 KB per message, 100 messages and 256 KB per sendBatch. */
export const MAX_QUEUE_MESSAGE_BYTES = 120_000;
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 240_000;

/** Groups serialised sizes into sendBatch-sized chunks. */
export function chunkForQueue<T>(items: Array<{ body: T; size: number }>): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const { body, size } of items) {
    if (current.length > 0 && (current.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
