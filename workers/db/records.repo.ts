/**
 * What an operator must be able to see and act on: messages that failed for good, and messages
 * parked in the dead-letter store after their last retry. Every read is scoped by tenant.
 *
 * Each record names its customer (`wa_id`) when it can, so one customer's records can be erased
 * (workers/erasure/customer-erasure.ts); payloads are trimmed to what an operator reads.
 */
import {
  and,
  count,
  desc,
  eq,
  getTableColumns,
  gt,
  inArray,
  isNull,
  like,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import type { Env } from '../env';
import { trimPayload } from '../domain/trim-payload';
import { getDb } from './client';
import { after, type PageRequest, pageOrder, paged, startsWithDigits } from './paging';
import { deadLetters, failedMessages } from './schema';

/**
 * A failure's payload is for reading, never replayed: 8 KiB keeps a whole message item (about
 * 1–2 KiB) and the ids, types and errors of a large notice, which can be 200 KB.
 */
export const MAX_FAILURE_PAYLOAD_CHARS = 8 * 1024;
/**
 * A dead letter is replayed from its payload, so it is kept whole; queue messages are at most
 * 128 KB, and anything beyond this cap could not be replayed anyway.
 */
const MAX_DEAD_LETTER_PAYLOAD_CHARS = 200_000;

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

/**
 * The customer's WhatsApp id in the payloads the bridge records, when there is exactly one: a
 * queue item (`waId`), a dead letter's item, a WhatsApp message (`from`), an agent message or a
 * Genesys receipt (`channel.to.id`, `+` and all). Notices can speak of several customers: none.
 */
export function customerOf(payload: unknown): string | undefined {
  const waId = field(payload, 'waId');
  if (typeof waId === 'string') return digits(waId);
  if (field(payload, 'kind') === 'dead_letter') return customerOf(field(payload, 'item'));
  const channel = field(field(payload, 'message'), 'channel') ?? field(payload, 'channel');
  const to = field(field(channel, 'to'), 'id');
  if (typeof to === 'string') return digits(to);
  const from = field(payload, 'from');
  if (typeof from === 'string' && typeof field(payload, 'id') === 'string') return digits(from);
  return undefined;
}

function digits(id: string): string | undefined {
  const only = id.replace(/\D/g, '');
  return only.length > 0 ? only : undefined;
}

export interface FailureRecord {
  tenantId: string;
  direction: 'inbound' | 'outbound';
  externalId?: string;
  /** The customer, when the caller knows it; otherwise read from the payload ({@link customerOf}). */
  waId?: string;
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
      waId: record.waId ?? customerOf(record.payload) ?? null,
      code: record.code,
      detail: record.detail,
      payload: trimPayload(record.payload, MAX_FAILURE_PAYLOAD_CHARS),
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

/** What the failure and dead-letter lists can be narrowed to; every field optional, all ANDed. */
export interface RecordFilter {
  /** A customer number (digits, `+` ignored; matches as a prefix) or a message id (external_id, whole). */
  q?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
  /** The error code, whole (e.g. `genesys_404`). */
  code?: string | undefined;
}

/** `wa_id` starting with the digits of `q`, or `external_id` equal to `q`. */
function matchesQ(waId: SQLWrapper, externalId: SQLWrapper, q: string): SQL {
  const number = q.replace(/^\+/, '');
  const byId = sql`${externalId} = ${q}`;
  return /^\d+$/.test(number) ? sql`(${startsWithDigits(waId, number)} OR ${byId})` : byId;
}

// Lists carry no payload (a dead letter's can be 200 KB): the detail routes read it.
const { payload: _failurePayload, ...failureSummary } = getTableColumns(failedMessages);

/** One page of a tenant's failures, newest first, narrowed by `filter`, without payloads. */
export function pageFailures(env: Env, tenantId: string, request: PageRequest, filter: RecordFilter = {}) {
  const t = failedMessages;
  return paged(
    `failures:${tenantId}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select(failureSummary)
        .from(t)
        .where(
          and(
            eq(t.tenantId, tenantId),
            filter.q ? matchesQ(t.waId, t.externalId, filter.q) : undefined,
            filter.direction ? eq(t.direction, filter.direction) : undefined,
            filter.code ? eq(t.code, filter.code) : undefined,
            after('newest', t.createdAt, t.id, cursor),
          ),
        )
        .orderBy(...pageOrder('newest', t.createdAt, t.id))
        .limit(rows)
        .all(),
    (r) => ({ at: r.createdAt, id: r.id }),
  );
}

export function getFailure(env: Env, tenantId: string, id: string) {
  return getDb(env.DB)
    .select()
    .from(failedMessages)
    .where(and(eq(failedMessages.tenantId, tenantId), eq(failedMessages.id, id)))
    .get();
}

export interface DeadLetterRecord {
  tenantId: string;
  queue: string;
  externalId?: string;
  /** The customer, when the caller knows it; otherwise read from the payload ({@link customerOf}). */
  waId?: string;
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
      waId: record.waId ?? customerOf(record.payload) ?? null,
      errorCode: record.errorCode,
      errorDetail: record.errorDetail,
      attempts: record.attempts,
      payload: trimPayload(record.payload, MAX_DEAD_LETTER_PAYLOAD_CHARS),
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

const { payload: _deadLetterPayload, ...deadLetterSummary } = getTableColumns(deadLetters);

function deadLetterFilter(tenantId: string, filter: RecordFilter): SQL | undefined {
  const t = deadLetters;
  return and(
    eq(t.tenantId, tenantId),
    filter.q ? matchesQ(t.waId, t.externalId, filter.q) : undefined,
    // A dead letter's direction is the queue it came from.
    filter.direction ? eq(t.queue, filter.direction) : undefined,
    filter.code ? eq(t.errorCode, filter.code) : undefined,
  );
}

/** One page of a tenant's dead letters, newest first, narrowed by `filter`, without payloads. */
export function pageDeadLetters(env: Env, tenantId: string, request: PageRequest, filter: RecordFilter = {}) {
  const t = deadLetters;
  return paged(
    `dead-letters:${tenantId}`,
    request,
    (cursor, rows) =>
      getDb(env.DB)
        .select(deadLetterSummary)
        .from(t)
        .where(and(deadLetterFilter(tenantId, filter), after('newest', t.createdAt, t.id, cursor)))
        .orderBy(...pageOrder('newest', t.createdAt, t.id))
        .limit(rows)
        .all(),
    (r) => ({ at: r.createdAt, id: r.id }),
  );
}

/** The tenant's dead letters among `ids` (others' and unknown ids are simply absent). */
export function deadLettersByIds(env: Env, tenantId: string, ids: string[]) {
  return getDb(env.DB)
    .select()
    .from(deadLetters)
    .where(and(eq(deadLetters.tenantId, tenantId), inArray(deadLetters.id, ids)))
    .all();
}

/** Up to `limit` of the tenant's dead letters matching `filter` and not replayed yet, newest first. */
export function unreplayedDeadLetters(env: Env, tenantId: string, filter: RecordFilter, limit: number) {
  return getDb(env.DB)
    .select()
    .from(deadLetters)
    .where(and(deadLetterFilter(tenantId, filter), isNull(deadLetters.replayedAt)))
    .orderBy(...pageOrder('newest', deadLetters.createdAt, deadLetters.id))
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

/**
 * Claims a dead letter for one replay: marks it replayed only if its mark is still `seen` (what the
 * caller read), so of two replays racing, one wins and the other is told. Answers whether it won.
 */
export async function claimReplay(env: Env, tenantId: string, id: string, seen: number | null, at: number) {
  const d = deadLetters;
  const won = await getDb(env.DB)
    .update(d)
    .set({ replayedAt: at })
    .where(and(eq(d.tenantId, tenantId), eq(d.id, id), seen === null ? isNull(d.replayedAt) : eq(d.replayedAt, seen)))
    .returning({ id: d.id });
  return won.length === 1;
}

/** Gives a claim back (the re-queue failed): the mark returns to what it was, unless someone replayed since. */
export async function releaseReplay(env: Env, tenantId: string, id: string, previous: number | null, at: number) {
  const d = deadLetters;
  await getDb(env.DB)
    .update(d)
    .set({ replayedAt: previous })
    .where(and(eq(d.tenantId, tenantId), eq(d.id, id), eq(d.replayedAt, at)));
}

/** Dead letters parked after `since` and not replayed (the `dead_letters` alert rule). */
/**
 * Customer messages Genesys refused for good since `since`: failed inbound records whose code is a
 * Genesys 4xx (classifyHttp: `genesys_<status>`; 401 is `genesys_unauthorized`, 408 and 429 are
 * retried), and the latest one's code.
 */
export async function genesysRejectionsSince(
  env: Env,
  tenantId: string,
  since: number,
): Promise<{ count: number; lastCode: string | null }> {
  const rows = await getDb(env.DB)
    .select({ code: failedMessages.code })
    .from(failedMessages)
    .where(
      and(
        eq(failedMessages.tenantId, tenantId),
        eq(failedMessages.direction, 'inbound'),
        gt(failedMessages.createdAt, since),
        like(failedMessages.code, 'genesys_4__'),
      ),
    )
    .orderBy(desc(failedMessages.createdAt))
    .limit(1000)
    .all();
  return { count: rows.length, lastCode: rows[0]?.code ?? null };
}

export async function countUnreplayedDeadLetters(env: Env, tenantId: string, since: number): Promise<number> {
  const row = await getDb(env.DB)
    .select({ n: count() })
    .from(deadLetters)
    .where(and(eq(deadLetters.tenantId, tenantId), gt(deadLetters.createdAt, since), isNull(deadLetters.replayedAt)))
    .get();
  return row?.n ?? 0;
}
