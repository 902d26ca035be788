/**
 * The conversation's failure records in D1, kept apart from delivery. D1 is one shared database:
 * when it refuses a record, the record waits in this object's `d1_outbox` table and is written
 * later, in order, by the alarm. A D1 outage therefore delays what the dashboard shows; it never
 * stops a message nor loses its record. (Outcomes and backlog go by conversation.activity.ts.)
 */
import { config } from '../workers/env';
import { type FailureRecord, recordFailure } from '../workers/db/records.repo';
import { backoffMs } from '../workers/domain/retry';
import { log } from '../workers/lib/log';
import type { ConversationHost } from './conversation.types';

export type D1Record = { kind: 'failure'; record: FailureRecord };

type OutboxRow = { id: number; body: string; attempts: number; next_attempt_at: number };

/** A deferred record is tried again no sooner than this, with a backoff up to the retry cap. */
const MIN_RETRY_MS = 1000;
/**
 * A record D1 still refuses after this many tries (hours, at the 5-minute cap) is one it will never
 * take (say, a row it rejects): it is logged (which record, at error level) and dropped so it stops
 * blocking the records behind it and the object's own clean-up.
 */
const MAX_RECORD_ATTEMPTS = 40;

export class ConversationRecords {
  constructor(private readonly host: ConversationHost) {}

  private get sql() {
    return this.host.sql;
  }

  /** Writes now when D1 answers; otherwise (or while earlier records wait) keeps it for later. */
  async write(record: D1Record): Promise<void> {
    if (this.waiting() === 0) {
      try {
        await apply(this.host, record);
        return;
      } catch (err) {
        log.warn('conversation.record_deferred', { kind: record.kind, error: errorText(err) });
      }
    }
    this.sql.exec(
      'INSERT INTO d1_outbox (body, attempts, next_attempt_at, created_at) VALUES (?, 0, 0, ?)',
      JSON.stringify(record),
      Date.now(),
    );
  }

  /** Writes what waits, oldest first; stops at the first refusal and tries again later. */
  async flush(): Promise<void> {
    for (;;) {
      const row = this.sql.exec<OutboxRow>('SELECT * FROM d1_outbox ORDER BY id LIMIT 1').toArray()[0];
      if (!row || row.next_attempt_at > Date.now()) return;
      try {
        await apply(this.host, JSON.parse(row.body) as D1Record);
      } catch (err) {
        const attempts = row.attempts + 1;
        if (attempts >= MAX_RECORD_ATTEMPTS) {
          // Which record, not its payload: that can hold the customer's words.
          const { tenantId, code, externalId } = (JSON.parse(row.body) as D1Record).record;
          log.error('conversation.record_dropped', { attempts, tenantId, code, externalId, error: errorText(err) });
          this.sql.exec('DELETE FROM d1_outbox WHERE id = ?', row.id);
          continue;
        }
        const delay = Math.max(MIN_RETRY_MS, backoffMs(attempts, config(this.host.env).RETRY_BASE_MS));
        this.sql.exec(
          'UPDATE d1_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?',
          attempts,
          Date.now() + delay,
          row.id,
        );
        log.warn('conversation.record_retry', { attempts, delayMs: delay, error: errorText(err) });
        return;
      }
      this.sql.exec('DELETE FROM d1_outbox WHERE id = ?', row.id);
    }
  }

  waiting(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM d1_outbox').one().n;
  }

  nextDue(): number | null {
    return (
      this.sql.exec<{ at: number }>('SELECT next_attempt_at AS at FROM d1_outbox ORDER BY id LIMIT 1').toArray()[0]
        ?.at ?? null
    );
  }
}

function apply(host: ConversationHost, record: D1Record): Promise<void> {
  return recordFailure(host.env, record.record);
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
