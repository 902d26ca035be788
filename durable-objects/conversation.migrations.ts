/**
 * Append-only schema of the conversation object's SQLite storage. Entry i is version i+1; never
 * edit an entry that has shipped, add a new one. Applied in one transaction at wake-up.
 */
export const CONVERSATION_MIGRATIONS: ReadonlyArray<ReadonlyArray<string>> = [
  [
    // One row per WhatsApp message id, in either direction: dedup key, ordering, id mapping, outbox.
    `CREATE TABLE messages (
      wamid TEXT PRIMARY KEY,
      direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      ts INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'dead')),
      genesys_id TEXT,
      snippet TEXT,
      item TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      due_at INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    'CREATE INDEX messages_pending ON messages (state, ts, seq)',
    'CREATE INDEX messages_genesys ON messages (genesys_id)',
    `CREATE TABLE statuses (
      wamid TEXT NOT NULL,
      status TEXT NOT NULL,
      ts INTEGER NOT NULL,
      errors TEXT,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (wamid, status)
    )`,
    'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  ],
  [
    // Agent messages in arrival order: dedup by Genesys message id, window check, WhatsApp sends.
    `CREATE TABLE outbound (
      genesys_id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'dead', 'ignored')),
      item TEXT,
      parts_sent INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      receipt TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    'CREATE INDEX outbound_pending ON outbound (state, seq)',
    // Small follow-up calls (Genesys receipts, WhatsApp read/typing), retried in order.
    `CREATE TABLE tasks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL CHECK (kind IN ('receipt', 'typing', 'mark_read')),
      dedup TEXT UNIQUE,
      payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    )`,
    'ALTER TABLE statuses ADD COLUMN applied INTEGER NOT NULL DEFAULT 0',
  ],
  [
    // Genesys accepts only Delivered and Failed receipts. `receipt` keeps the full WhatsApp progress
    // (Sent → Delivered → Read, or Failed) for the timeline; `genesys_receipt` is what Genesys got.
    'ALTER TABLE outbound ADD COLUMN genesys_receipt TEXT',
    "UPDATE outbound SET genesys_receipt = CASE WHEN receipt IN ('Delivered', 'Read') THEN 'Delivered' WHEN receipt = 'Failed' THEN 'Failed' END",
    // Receipts queued by older code that Genesys would refuse with a 400.
    "DELETE FROM tasks WHERE kind = 'receipt' AND json_extract(payload, '$.status') NOT IN ('Delivered', 'Failed')",
  ],
  [
    // Widget-sent templates are marked by an explicit `origin` in the stored item, no longer by an id prefix.
    "UPDATE outbound SET item = json_set(item, '$.origin', 'widget') WHERE genesys_id LIKE 'widget-%' AND item IS NOT NULL",
  ],
  [
    // Each lane owns its tables: the WhatsApp messages sent for agent messages move out of the
    // inbound lane's `messages` into the outbound lane's `outbound_parts`.
    `CREATE TABLE outbound_parts (
      wamid TEXT PRIMARY KEY,
      genesys_id TEXT NOT NULL,
      part INTEGER NOT NULL,
      snippet TEXT,
      sent_at INTEGER NOT NULL
    )`,
    'CREATE INDEX outbound_parts_genesys ON outbound_parts (genesys_id)',
    `INSERT INTO outbound_parts (wamid, genesys_id, part, snippet, sent_at)
       SELECT wamid, genesys_id, ROW_NUMBER() OVER (PARTITION BY genesys_id ORDER BY seq) - 1, snippet, created_at
       FROM messages WHERE direction = 'outbound' AND genesys_id IS NOT NULL`,
    "DELETE FROM messages WHERE direction = 'outbound'",
  ],
  [
    // D1 writes (failure records, index, metrics) that D1 refused, kept until it answers again.
    `CREATE TABLE IF NOT EXISTS d1_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      body TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    )`,
  ],
  [
    // Delivery outcomes not yet reported to the dashboard (conversation.activity.ts).
    `CREATE TABLE IF NOT EXISTS activity (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      direction TEXT NOT NULL,
      outcome TEXT NOT NULL,
      at INTEGER NOT NULL,
      latency_ms INTEGER,
      customer_at INTEGER,
      contact_name TEXT,
      genesys_conversation_id TEXT
    )`,
  ],
];
