/**
 * The D1 schema: tenant configuration (small, read-mostly) and the records an operator must be
 * able to see: messages we could not deliver (failed) and messages parked after their last retry
 * (dead letters). Every table that holds tenant data carries `tenant_id` and an index on it.
 * `drizzle-kit generate` turns this file into the SQL under migrations/.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const epochMs = (name: string) =>
  integer(name, { mode: 'number' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const tenants = sqliteTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: ['active', 'suspended'] })
      .notNull()
      .default('active'),
    /** Mark customer messages read on WhatsApp (blue ticks) once an agent answers or types. */
    markRead: integer('mark_read', { mode: 'boolean' }).notNull().default(false),
    /**
     * Which Genesys receipts agent messages get: `all` (Delivered and Failed, the two statuses Genesys
     * accepts) or `failed` (Failed only, which spends a Genesys call only when something went wrong).
     */
    genesysReceipts: text('genesys_receipts', { enum: ['all', 'failed'] })
      .notNull()
      .default('all'),
    /** How long customer messages are held for reordering, from the webhook's arrival; null = INBOUND_REORDER_MS. */
    inboundReorderMs: integer('inbound_reorder_ms'),
    createdAt: epochMs('created_at'),
  },
  (t) => [uniqueIndex('tenants_slug_uq').on(t.slug)],
);

/** One WhatsApp Business phone number per row. Secrets are AES-GCM ciphertexts (see lib/crypto.ts `seal`). */
export const whatsappConfigs = sqliteTable(
  'whatsapp_configs',
  {
    tenantId: text('tenant_id')
      .primaryKey()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    phoneNumberId: text('phone_number_id').notNull(),
    wabaId: text('waba_id').notNull(),
    accessTokenEnc: text('access_token_enc').notNull(),
    appSecretEnc: text('app_secret_enc').notNull(),
    verifyTokenEnc: text('verify_token_enc').notNull(),
    /** sha256 of the verify token, so Meta's GET handshake can find its tenant without decrypting every row. */
    verifyTokenHash: text('verify_token_hash').notNull(),
    credentialStatus: text('credential_status', { enum: ['ok', 'broken'] })
      .notNull()
      .default('ok'),
    /** Messages per second this number may send (Meta's default throughput is 80). */
    messagesPerSecond: integer('messages_per_second').notNull().default(80),
    updatedAt: epochMs('updated_at'),
  },
  (t) => [
    uniqueIndex('whatsapp_phone_number_uq').on(t.phoneNumberId),
    index('whatsapp_verify_hash_idx').on(t.verifyTokenHash),
  ],
);

export const genesysConfigs = sqliteTable('genesys_configs', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  /** Genesys Cloud domain, e.g. mypurecloud.com or euw2.pure.cloud. */
  region: text('region').notNull(),
  clientId: text('client_id').notNull(),
  clientSecretEnc: text('client_secret_enc').notNull(),
  integrationId: text('integration_id').notNull(),
  outboundWebhookSecretEnc: text('outbound_webhook_secret_enc').notNull(),
  /** The secret before the last rotation, still accepted until `previous_secret_until`. */
  previousSecretEnc: text('previous_secret_enc'),
  previousSecretUntil: integer('previous_secret_until'),
  /** The Genesys organization the OAuth client belongs to; the agent widget only trusts agents of it. */
  orgId: text('org_id'),
  updatedAt: epochMs('updated_at'),
});

/**
 * More Genesys OAuth clients of a tenant (the token pool), each with its own request budget.
 * The default client stays in genesys_configs; conversations are spread over all of them.
 */
export const genesysClients = sqliteTable(
  'genesys_clients',
  {
    /** The entry's own id (the API's `clientEntryId`); names its budget shard in the tenant gate namespace. */
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    clientId: text('client_id').notNull(),
    /** Sealed like every tenant secret, bound to the tenant id and this entry's id. */
    clientSecretEnc: text('client_secret_enc').notNull(),
    label: text('label'),
    createdAt: epochMs('created_at'),
  },
  (t) => [uniqueIndex('genesys_clients_tenant_client_uq').on(t.tenantId, t.clientId)],
);

/** Messages that reached us but could not be delivered for a reason retrying will not fix. */
export const failedMessages = sqliteTable(
  'failed_messages',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    /** WhatsApp message id when there is one (wamid...). */
    externalId: text('external_id'),
    /** The customer's WhatsApp id when known, so one customer's records can be erased. Null on rows older than migration 0004. */
    waId: text('wa_id'),
    code: text('code').notNull(),
    detail: text('detail').notNull(),
    /** JSON; trimmed with a `_trimmed` marker when large (domain/trim-payload.ts). */
    payload: text('payload').notNull(),
    createdAt: epochMs('created_at'),
  },
  (t) => [
    index('failed_messages_tenant_idx').on(t.tenantId, t.createdAt, t.id),
    index('failed_messages_customer_idx').on(t.tenantId, t.waId),
    index('failed_messages_created_idx').on(t.createdAt),
  ],
);

/** Messages whose retries ran out; kept with their payload for replay. */
export const deadLetters = sqliteTable(
  'dead_letters',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    queue: text('queue').notNull(),
    externalId: text('external_id'),
    /** The customer's WhatsApp id when known (see failed_messages.wa_id). */
    waId: text('wa_id'),
    errorCode: text('error_code').notNull(),
    errorDetail: text('error_detail').notNull(),
    attempts: integer('attempts').notNull(),
    payload: text('payload').notNull(),
    replayedAt: integer('replayed_at'),
    createdAt: epochMs('created_at'),
  },
  (t) => [
    index('dead_letters_tenant_idx').on(t.tenantId, t.createdAt, t.id),
    index('dead_letters_customer_idx').on(t.tenantId, t.waId),
    index('dead_letters_created_idx').on(t.createdAt),
  ],
);

/** People who sign in to the dashboard. A platform admin has no tenant; everyone else belongs to exactly one. */
export const adminUsers = sqliteTable(
  'admin_users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` (lib/password.ts). */
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['platform-admin', 'tenant-admin', 'viewer'] }).notNull(),
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    createdAt: epochMs('created_at'),
  },
  (t) => [uniqueIndex('admin_users_email_uq').on(t.email), index('admin_users_tenant_idx').on(t.tenantId)],
);

/** Per-tenant API keys. Only a SHA-256 of the key is stored; the key itself is shown once. */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role', { enum: ['tenant-admin', 'viewer'] }).notNull(),
    /** First characters of the key, so a user can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdAt: epochMs('created_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_uq').on(t.keyHash), index('api_keys_tenant_idx').on(t.tenantId)],
);

/**
 * Hostnames that belong to one tenant (Cloudflare for SaaS custom hostnames). A hostname routes to
 * its tenant only while `status` is `active`, Cloudflare's word for "ownership verified, traffic
 * proxied"; the custom-hostnames job (scheduled/custom-hostnames.job.ts) copies Cloudflare's view
 * into `status`, `ssl_status` and `verification` until then.
 *
 * Rows added before the bridge asked Cloudflare (migration 0008) have no `cf_id` and keep routing:
 * they were routing already, and an operator registered them at Cloudflare by hand, so the column
 * default `active` leaves them as they were; no job touches a row without `cf_id`.
 */
export const customHostnames = sqliteTable(
  'custom_hostnames',
  {
    hostname: text('hostname').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    createdAt: epochMs('created_at'),
    /** The custom hostname's id at Cloudflare (`result.id`); null for rows from before 0008. */
    cfId: text('cf_id'),
    /** Cloudflare's `status` of the hostname (`pending`, `active`, `moved`, `blocked`, …). */
    status: text('status').notNull().default('active'),
    /** Cloudflare's `ssl.status` of its certificate (`initializing`, `pending_validation`, …, `active`). */
    sslStatus: text('ssl_status'),
    /** What the tenant's customer must publish, and what Cloudflare still objects to (JSON, see domain/custom-hostname.ts). */
    verification: text('verification'),
    /** When Cloudflare was last asked (epoch ms). */
    checkedAt: integer('checked_at'),
    /** Why the last refresh failed, if it did (an error code, never the API token). */
    error: text('error'),
  },
  (t) => [index('custom_hostnames_tenant_idx').on(t.tenantId), index('custom_hostnames_status_idx').on(t.status)],
);

/**
 * Custom hostnames the bridge no longer routes but Cloudflare may still hold: written when one is
 * removed (DELETE, or its tenant's offboarding) and cleared once Cloudflare confirms the deletion.
 * No tenant id: the row must outlive the tenant's erasure, and it names only a hostname.
 */
export const customHostnameDeletions = sqliteTable('custom_hostname_deletions', {
  cfId: text('cf_id').primaryKey(),
  hostname: text('hostname').notNull(),
  requestedAt: epochMs('requested_at'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
});

/** Every change made through the admin API: who, what, on which tenant. Never holds secret values. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id'),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    detail: text('detail').notNull().default('{}'),
    createdAt: epochMs('created_at'),
  },
  (t) => [
    index('audit_log_tenant_idx').on(t.tenantId, t.createdAt, t.id),
    index('audit_log_created_idx').on(t.createdAt),
  ],
);

/** One row per customer conversation: the index the dashboard lists and the widget looks up. */
export const conversations = sqliteTable(
  'conversations',
  {
    tenantId: text('tenant_id').notNull(),
    waId: text('wa_id').notNull(),
    contactName: text('contact_name'),
    /** The Genesys conversation id, learned from Genesys' answers and outbound messages. */
    genesysConversationId: text('genesys_conversation_id'),
    lastMessageAt: integer('last_message_at').notNull(),
    lastDirection: text('last_direction', { enum: ['inbound', 'outbound'] }).notNull(),
    lastCustomerMessageAt: integer('last_customer_message_at'),
    messagesIn: integer('messages_in').notNull().default(0),
    messagesOut: integer('messages_out').notNull().default(0),
    /** Messages the conversation object holds back, per direction, and since when the oldest waits. */
    backlogIn: integer('backlog_in').notNull().default(0),
    backlogInOldestAt: integer('backlog_in_oldest_at'),
    backlogOut: integer('backlog_out').notNull().default(0),
    backlogOutOldestAt: integer('backlog_out_oldest_at'),
    /** When the object reported that backlog: an older report never overwrites a newer one. */
    backlogAt: integer('backlog_at').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.waId] }),
    index('conversations_recent_idx').on(t.tenantId, t.lastMessageAt, t.waId),
    index('conversations_genesys_idx').on(t.tenantId, t.genesysConversationId),
    index('conversations_last_message_idx').on(t.lastMessageAt),
  ],
);

/** Hourly per-tenant counts and latency for the dashboard's charts. */
export const metricsHourly = sqliteTable(
  'metrics_hourly',
  {
    tenantId: text('tenant_id').notNull(),
    /** Start of the hour, epoch ms. */
    hour: integer('hour').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    delivered: integer('delivered').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    latencySumMs: integer('latency_sum_ms').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hour, t.direction] }), index('metrics_hourly_hour_idx').on(t.hour)],
);

/**
 * Erasing a deleted tenant's data, tracked: one row per DELETE /api/tenants/{id}. The row outlives
 * the tenant on purpose (it is the record that the erasure happened, with its counts) and goes with
 * the audit log's retention. `lease_until` lets one runner at a time work on a job.
 */
export const offboardingJobs = sqliteTable(
  'offboarding_jobs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    status: text('status', { enum: ['pending', 'running', 'done', 'failed'] })
      .notNull()
      .default('pending'),
    requestedBy: text('requested_by').notNull(),
    conversationsErased: integer('conversations_erased').notNull().default(0),
    rowsDeleted: integer('rows_deleted').notNull().default(0),
    kvKeysDeleted: integer('kv_keys_deleted').notNull().default(0),
    tenantGateErased: integer('tenant_gate_erased', { mode: 'boolean' }).notNull().default(false),
    /** Runs that ended in an error; the last error's text. */
    failures: integer('failures').notNull().default(0),
    error: text('error'),
    leaseUntil: integer('lease_until'),
    createdAt: epochMs('created_at'),
    updatedAt: epochMs('updated_at'),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    index('offboarding_jobs_tenant_idx').on(t.tenantId, t.createdAt),
    index('offboarding_jobs_status_idx').on(t.status),
  ],
);

/** Hourly latency histogram per tenant and direction (workers/domain/latency-histogram.ts): p50/p95 without samples. */
export const metricsLatency = sqliteTable(
  'metrics_latency',
  {
    tenantId: text('tenant_id').notNull(),
    hour: integer('hour').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    /** The bucket's upper bound in ms (inclusive); OVER_MS for "more than the last bound". */
    leMs: integer('le_ms').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.hour, t.direction, t.leMs] }),
    index('metrics_latency_hour_idx').on(t.hour),
  ],
);

/**
 * Customers erased recently, by a hash of their number: a conversation report already on the
 * activity queue when the customer was erased must not write their index row back. Kept a week.
 */
export const erasedCustomers = sqliteTable(
  'erased_customers',
  {
    tenantId: text('tenant_id').notNull(),
    waIdHash: text('wa_id_hash').notNull(),
    erasedAt: integer('erased_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.waIdHash] }), index('erased_customers_at_idx').on(t.erasedAt)],
);

/**
 * Where a tenant's alerts go (workers/scheduled/alerts.job.ts): a webhook we POST signed JSON to.
 * The URL (a Slack or Teams webhook URL is itself a secret) and the signing secret are sealed like
 * every tenant secret, bound to the tenant id and the channel's id.
 */
export const alertChannels = sqliteTable(
  'alert_channels',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    urlEnc: text('url_enc').notNull(),
    secretEnc: text('secret_enc').notNull(),
    label: text('label'),
    createdAt: epochMs('created_at'),
  },
  (t) => [index('alert_channels_tenant_idx').on(t.tenantId)],
);

/**
 * One row per incident: opened when a rule (domain/alert-rules.ts) first finds its condition,
 * resolved when it no longer does. At most one open row per tenant and type.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    type: text('type').notNull(),
    state: text('state', { enum: ['open', 'resolved'] }).notNull(),
    /** What the rule saw when the incident opened. */
    detail: text('detail').notNull(),
    openedAt: integer('opened_at').notNull(),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [
    index('alerts_tenant_idx').on(t.tenantId, t.openedAt, t.id),
    index('alerts_resolved_idx').on(t.resolvedAt),
    uniqueIndex('alerts_open_uq').on(t.tenantId, t.type).where(sql`state = 'open'`),
  ],
);

/** Each notice (firing, resolved) of an alert to each channel: sent, still to retry, or given up. */
export const alertDeliveries = sqliteTable(
  'alert_deliveries',
  {
    alertId: text('alert_id').notNull(),
    channelId: text('channel_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    notice: text('notice', { enum: ['firing', 'resolved'] }).notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: epochMs('created_at'),
    sentAt: integer('sent_at'),
  },
  (t) => [
    primaryKey({ columns: [t.alertId, t.channelId, t.notice] }),
    index('alert_deliveries_tenant_idx').on(t.tenantId, t.status),
    index('alert_deliveries_alert_idx').on(t.alertId),
  ],
);
