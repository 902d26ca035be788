/**
 * Dead letters kept in KV while D1 refuses them (queues/dead-letter.handler.ts): the last copy of a
 * message, so they are moved into D1 by a scheduled job, and erased with their tenant or customer.
 * Keyed `parked-dead-letter:{tenantId}:{queue message id}`, so a tenant's entries list by prefix.
 */
import type { Env } from '../env';
import { type DeadLetterRecord, recordDeadLetter } from '../db/records.repo';
import { loadTenant } from '../db/tenants.repo';
import { log } from './log';

const PREFIX = 'parked-dead-letter:';

interface Parked {
  id: string;
  record: DeadLetterRecord;
}

/** Keeps a dead letter in KV (no expiry) until D1 takes it; answers whether KV took it. */
export async function parkDeadLetter(env: Env, id: string, record: DeadLetterRecord): Promise<boolean> {
  try {
    await env.TOKENS.put(`${PREFIX}${record.tenantId}:${id}`, JSON.stringify({ id, record } satisfies Parked));
    log.error('dead_letter.parked', { tenantId: record.tenantId, id });
    return true;
  } catch (err) {
    log.error('dead_letter.park_failed', { id, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

/** Every parked entry under `prefix`, page by page. */
async function* parked(env: Env, prefix: string): AsyncGenerator<{ key: string; value: Parked | null }> {
  let cursor: string | undefined;
  do {
    const page = await env.TOKENS.list({ prefix, ...(cursor ? { cursor } : {}) });
    for (const key of page.keys) yield { key: key.name, value: await env.TOKENS.get<Parked>(key.name, 'json') };
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
}

/**
 * Moves parked dead letters into D1, where operators see them; a deleted tenant's are dropped (its
 * offboarding erased the rest of its data). Throws at the first refusal (D1 still down); the next
 * run carries on. Answers how many moved.
 */
export async function restoreParkedDeadLetters(env: Env): Promise<number> {
  let moved = 0;
  for await (const { key, value } of parked(env, PREFIX)) {
    if (value && (await loadTenant(env, value.record.tenantId))) {
      await recordDeadLetter(env, value.id, value.record);
      moved++;
    }
    await env.TOKENS.delete(key);
  }
  if (moved > 0) log.info('dead_letter.restored', { moved });
  return moved;
}

/** Erases a tenant's parked dead letters — all of them, or only those naming the customer `waId`. Answers how many. */
export async function eraseParkedDeadLetters(env: Env, tenantId: string, waId?: string): Promise<number> {
  let erased = 0;
  for await (const { key, value } of parked(env, `${PREFIX}${tenantId}:`)) {
    if (waId && value && !JSON.stringify(value.record.payload).includes(`"${waId}"`)) continue;
    await env.TOKENS.delete(key);
    erased++;
  }
  return erased;
}
