/**
 * Erasing one customer of a tenant (a GDPR / LGPD request): DELETE /api/tenants/{id}/customers/{waId}.
 *
 * What the bridge holds about a customer: their conversation object (messages both ways with
 * their text and media ids, receipts, follow-ups, the 24-hour window, the profile name), their
 * row in the D1 conversation index, and failures and dead letters of their messages. Media bytes
 * are never stored: the object's media ids are erased with it, and signed media links already
 * handed out expire by themselves (MEDIA_URL_TTL_SECONDS). Hourly metrics are counts without the
 * number and stay.
 */
import type { Env } from '../env';
import { rememberErasedCustomer } from '../db/conversations.repo';
import { eraseCustomerRows } from '../db/erasure.repo';
import { conversationName } from '../domain/conversation';
import { eraseParkedDeadLetters } from '../lib/parked-dead-letters';

export interface CustomerErasure {
  /** Rows deleted from the conversation index (0 or 1). */
  conversations: number;
  failures: number;
  deadLetters: number;
}

/**
 * Erases the conversation object first (its storage and alarm), then the D1 rows, so nothing the
 * object still had pending can write a row after the rows are gone. Erasing a customer the bridge
 * never saw does nothing and answers zeros.
 */
export async function eraseCustomer(env: Env, tenantId: string, waId: string): Promise<CustomerErasure> {
  // First: a report of this conversation still on the activity queue must not bring its row back.
  await rememberErasedCustomer(env, tenantId, waId);
  const name = conversationName(tenantId, waId);
  await env.CONVERSATION.getByName(name).erase();
  // The gate's waiter keys name the conversation, so they carry the number too.
  await env.TENANT_GATE.getByName(tenantId).forgetConversation(name);
  const rows = await eraseCustomerRows(env, tenantId, waId);
  // Dead letters parked in KV while D1 was down count with the others.
  return { ...rows, deadLetters: rows.deadLetters + (await eraseParkedDeadLetters(env, tenantId, waId)) };
}
