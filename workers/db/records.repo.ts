/**
 * What an operator must be able to see and act on: messages that failed for good, and messages
 * parked in the dead-letter store after their last retry. Every read is scoped by tenant.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Env } from '../env';
import { getDb } from './client';
import { deadLetters, failedMessages } from './schema';

/** Stored payloads are capped so one oversized item cannot exhaust a D1 row (limit 2 MB). */
const MAX_PAYLOAD_CHARS = 200_000;

function serialise(payload: unknown): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return text.length > MAX_PAYLOAD_CHARS ? text.slice(0, MAX_PAYLOAD_CHARS) : text;
}

export interface FailureRecord {
  tenantId: string;
  direction: 'inbound' | 'outbound';
  externalId?: string;
  code: string;
  detail: string;
  payload: unknown;
}

export async function recordFailure(env: Env, record: FailureRecord): Promise<void> {
  await getDb(env.DB)
    .insert(failedMessages)
    .values({
      id: crypto.randomUUID(),
      tenantId: record.tenantId,
      direction: record.direction,
      externalId: record.externalId ?? null,
      code: record.code,
      detail: record.detail,
      payload: serialise(record.payload),
    });
}

export function listFailures(env: Env, tenantId: string, limit = 100) {
  return getDb(env.DB)
    .select()
    .from(failedMessages)
    .where(eq(failedMessages.tenantId, tenantId))
    .orderBy(desc(failedMessages.createdAt))
    .limit(limit)
    .all();
}

export interface DeadLetterRecord {
  tenantId: string;
  queue: string;
  externalId?: string;
  errorCode: string;
  errorDetail: string;
  attempts: number;
  payload: unknown;
}

/** Keyed by a caller-chosen id so a redelivered DLQ message writes the same row once. */
export async function recordDeadLetter(env: Env, id: string, record: DeadLetterRecord): Promise<void> {
  await getDb(env.DB)
    .insert(deadLetters)
    .values({
      id,
      tenantId: record.tenantId,
      queue: record.queue,
      externalId: record.externalId ?? null,
      errorCode: record.errorCode,
      errorDetail: record.errorDetail,
      attempts: record.attempts,
      payload: serialise(record.payload),
    })
    .onConflictDoNothing();
}

export function listDeadLetters(env: Env, tenantId: string, limit = 100) {
  return getDb(env.DB)
    .select()
    .from(deadLetters)
    .where(eq(deadLetters.tenantId, tenantId))
    .orderBy(desc(deadLetters.createdAt))
    .limit(limit)
    .all();
}

export function getDeadLetter(env: Env, tenantId: string, id: string) {
  return getDb(env.DB)
    .select()
    .from(deadLetters)
    .where(and(eq(deadLetters.tenantId, tenantId), eq(deadLetters.id, id)))
    .get();
}

export async function markReplayed(env: Env, tenantId: string, id: string): Promise<void> {
  await getDb(env.DB)
    .update(deadLetters)
    .set({ replayedAt: Date.now() })
    .where(and(eq(deadLetters.tenantId, tenantId), eq(deadLetters.id, id)));
}
