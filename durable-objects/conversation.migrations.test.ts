/**
 * Conversation objects stored by an earlier release keep working: the storage migration that
 * introduced `genesys_receipt` backfills it from what was already sent, and drops queued receipts
 * Genesys would refuse (Sent, Read).
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CONVERSATION_MIGRATIONS } from './conversation.migrations';

describe('conversation storage migrations', () => {
  it('backfills what Genesys already got and forgets receipts it would refuse', async () => {
    const stub = env.CONVERSATION.getByName(`migration-test:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (instance, state) => {
      // An object that has stored something has its tables (a fresh one creates them on first write).
      (instance as unknown as { ready(): void }).ready();
      const sql = state.storage.sql;
      // Rewind to the schema of the previous release (version 2) and store what it stored.
      sql.exec('DELETE FROM _schema WHERE version >= 3');
      sql.exec('ALTER TABLE outbound DROP COLUMN genesys_receipt');
      sql.exec('DROP TABLE outbound_parts');
      const insert = (id: string, receipt: string | null) =>
        sql.exec(
          "INSERT INTO outbound (genesys_id, seq, state, item, receipt, created_at, updated_at) VALUES (?, 1, 'sent', '{}', ?, 0, 0)",
          id,
          receipt,
        );
      insert('g-none', null);
      insert('g-sent', 'Sent');
      insert('g-delivered', 'Delivered');
      insert('g-read', 'Read');
      insert('g-failed', 'Failed');
      for (const status of ['Sent', 'Delivered', 'Read', 'Failed']) {
        sql.exec(
          "INSERT INTO tasks (kind, dedup, payload, created_at) VALUES ('receipt', ?, ?, 0)",
          `receipt:g:${status}`,
          JSON.stringify({ id: 'g', status }),
        );
      }
      sql.exec('INSERT INTO tasks (kind, payload, created_at) VALUES (\'mark_read\', \'{"wamid":"w"}\', 0)');

      // What the constructor runs at every wake-up (private: the object applies its own migrations).
      (instance as unknown as { migrate(): void }).migrate();

      const rows = sql
        .exec<{ genesys_id: string; receipt: string | null; genesys_receipt: string | null }>(
          'SELECT genesys_id, receipt, genesys_receipt FROM outbound ORDER BY genesys_id',
        )
        .toArray();
      expect(rows).toEqual([
        { genesys_id: 'g-delivered', receipt: 'Delivered', genesys_receipt: 'Delivered' },
        { genesys_id: 'g-failed', receipt: 'Failed', genesys_receipt: 'Failed' },
        { genesys_id: 'g-none', receipt: null, genesys_receipt: null },
        { genesys_id: 'g-read', receipt: 'Read', genesys_receipt: 'Delivered' },
        // Genesys never heard Delivered for this one: it still will.
        { genesys_id: 'g-sent', receipt: 'Sent', genesys_receipt: null },
      ]);
      const tasks = sql
        .exec<{ kind: string; payload: string }>('SELECT kind, payload FROM tasks ORDER BY id')
        .toArray();
      expect(
        tasks.map((t) => (t.kind === 'receipt' ? (JSON.parse(t.payload) as { status: string }).status : t.kind)),
      ).toEqual(['Delivered', 'Failed', 'mark_read']);
      expect(sql.exec<{ v: number }>('SELECT MAX(version) AS v FROM _schema').one().v).toBe(
        CONVERSATION_MIGRATIONS.length,
      );
    });
  });

  it('4: templates sent from the widget by an older release carry origin "widget"', async () => {
    const stub = env.CONVERSATION.getByName(`migration-test:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (instance, state) => {
      // An object that has stored something has its tables (a fresh one creates them on first write).
      (instance as unknown as { ready(): void }).ready();
      const sql = state.storage.sql;
      sql.exec('DELETE FROM _schema WHERE version >= 4');
      sql.exec('DROP TABLE outbound_parts');
      const item = (id: string) =>
        JSON.stringify({
          v: 1,
          kind: 'gc_message',
          tenantId: 't',
          receivedAt: 0,
          message: { id, channel: { to: { id: '+1' } }, type: 'Text' },
        });
      for (const id of ['widget-1', 'genesys-1']) {
        sql.exec(
          "INSERT INTO outbound (genesys_id, seq, state, item, created_at, updated_at) VALUES (?, 1, 'sent', ?, 0, 0)",
          id,
          item(id),
        );
      }
      (instance as unknown as { migrate(): void }).migrate();
      const origins = sql
        .exec<{ genesys_id: string; origin: string | null }>(
          "SELECT genesys_id, json_extract(item, '$.origin') AS origin FROM outbound ORDER BY genesys_id",
        )
        .toArray();
      expect(origins).toEqual([
        { genesys_id: 'genesys-1', origin: null },
        { genesys_id: 'widget-1', origin: 'widget' },
      ]);
    });
  });

  it('5: WhatsApp messages sent for agent messages move to the outbound lane, in part order; customer messages stay', async () => {
    const stub = env.CONVERSATION.getByName(`migration-test:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (instance, state) => {
      // An object that has stored something has its tables (a fresh one creates them on first write).
      (instance as unknown as { ready(): void }).ready();
      const sql = state.storage.sql;
      sql.exec('DELETE FROM _schema WHERE version >= 5');
      sql.exec('DROP TABLE outbound_parts');
      const insert = (
        wamid: string,
        direction: string,
        seq: number,
        genesysId: string | null,
        snippet: string | null,
      ) =>
        sql.exec(
          "INSERT INTO messages (wamid, direction, ts, seq, state, genesys_id, snippet, created_at, updated_at) VALUES (?, ?, 1, ?, 'delivered', ?, ?, ?, ?)",
          wamid,
          direction,
          seq,
          genesysId,
          snippet,
          seq * 1000,
          seq * 1000,
        );
      insert('wamid.customer', 'inbound', 1, 'gc-in', 'hi');
      insert('wamid.part0', 'outbound', 2, 'gc-out', 'a long answer…');
      insert('wamid.part1', 'outbound', 3, 'gc-out', null);
      (instance as unknown as { migrate(): void }).migrate();
      expect(sql.exec('SELECT wamid, direction FROM messages').toArray()).toEqual([
        { wamid: 'wamid.customer', direction: 'inbound' },
      ]);
      expect(
        sql.exec('SELECT wamid, genesys_id, part, snippet, sent_at FROM outbound_parts ORDER BY part').toArray(),
      ).toEqual([
        { wamid: 'wamid.part0', genesys_id: 'gc-out', part: 0, snippet: 'a long answer…', sent_at: 2000 },
        { wamid: 'wamid.part1', genesys_id: 'gc-out', part: 1, snippet: null, sent_at: 3000 },
      ]);
    });
  });
});
