/**
 * The one typed environment of the bridge Worker and its Durable Objects.
 *
 * Hand-written on purpose: `wrangler types` emits the *development* values of vars as literal
 * types (`GRAPH_API_BASE: ""`), which every test and deployment overrides, and leaves Durable
 * Object namespaces untyped, which would lose typed RPC. Vars are strings on the wire, so they
 * are parsed once with zod into {@link Config}.
 */
import { z } from 'zod';
import { GENESYS_MEDIA_HOST_SUFFIXES } from './domain/genesys-regions';
import type { ConversationDO } from '../durable-objects/conversation.do';
import type { TenantGateDO } from '../durable-objects/tenant-gate.do';
import type { AuthGuardDO } from '../durable-objects/auth-guard.do';
import type {
  ActivityMessage,
  DeadLetterMessage,
  InboundQueueMessage,
  OutboundQueueMessage,
} from './schemas/queue.schema';

export interface Env {
  DB: D1Database;
  TOKENS: KVNamespace;
  INBOUND_QUEUE: Queue<InboundQueueMessage>;
  INBOUND_DLQ: Queue<DeadLetterMessage>;
  OUTBOUND_QUEUE: Queue<OutboundQueueMessage>;
  OUTBOUND_DLQ: Queue<DeadLetterMessage>;
  /** Conversation summaries for the dashboard (index, hourly metrics, backlog), written to D1 per batch. */
  ACTIVITY_QUEUE: Queue<ActivityMessage>;
  CONVERSATION: DurableObjectNamespace<ConversationDO>;
  TENANT_GATE: DurableObjectNamespace<TenantGateDO>;
  /** Sign-in throttling and signed-out sessions (durable-objects/auth-guard.do.ts). */
  AUTH_GUARD: DurableObjectNamespace<AuthGuardDO>;
  /** Optional so a deployment without Analytics Engine still runs; metrics are then skipped. */
  METRICS?: AnalyticsEngineDataset;
  ADMIN_RATE_LIMIT: RateLimit;
  /** Webhook budgets per throughput tier of the tenant's number (lib/tenant-budget.ts): 4 × mps × 60 a minute. */
  WEBHOOK_RATE_LIMIT_80: RateLimit;
  WEBHOOK_RATE_LIMIT_250: RateLimit;
  WEBHOOK_RATE_LIMIT_500: RateLimit;
  WEBHOOK_RATE_LIMIT_1000: RateLimit;

  // Secrets (see .dev.vars.example). The keyring (lib/keyring.ts): MASTER_KEYS, or MASTER_KEY alone.
  MASTER_KEY?: string;
  MASTER_KEYS?: string;
  ADMIN_API_TOKEN: string;
  /**
   * Cloudflare for SaaS (custom hostnames of tenants): the zone with Cloudflare for SaaS on and an
   * API token allowed "SSL and Certificates: Edit" on it. Optional: without them POST
   * /api/tenants/{id}/hostnames answers 503 `hostnames_unconfigured`.
   */
  CLOUDFLARE_SAAS_ZONE_ID?: string;
  CLOUDFLARE_SAAS_API_TOKEN?: string;

  // Vars (see wrangler.toml [vars])
  /** `development` (the default: local values allowed), `staging` or `production`. */
  ENVIRONMENT?: string;
  PUBLIC_BASE_URL: string;
  BASE_DOMAIN?: string;
  GRAPH_API_BASE?: string;
  GENESYS_API_BASE?: string;
  GENESYS_LOGIN_BASE?: string;
  CLOUDFLARE_API_BASE?: string;
  GRAPH_API_VERSION?: string;
  MAX_WEBHOOK_BYTES?: string;
  INBOUND_REORDER_MS?: string;
  RETRY_BASE_MS?: string;
  MAX_DELIVERY_ATTEMPTS?: string;
  DEAD_LETTER_RETRY_BASE_MS?: string;
  ACTIVITY_REPORT_MS?: string;
  DEAD_LETTER_RETRY_CAP_MS?: string;
  DEAD_LETTER_MAX_ATTEMPTS?: string;
  UPSTREAM_TIMEOUT_MS?: string;
  GENESYS_REQUESTS_PER_MINUTE?: string;
  GENESYS_WINDOW_MS?: string;
  MEDIA_URL_TTL_SECONDS?: string;
  PAIR_INTERVAL_MS?: string;
  PAIR_BURST?: string;
  OUTBOUND_MEDIA_HOSTS?: string;
  DASHBOARD_ORIGINS?: string;
  RETENTION_FAILED_DAYS?: string;
  RETENTION_DEAD_LETTER_REPLAYED_DAYS?: string;
  RETENTION_DEAD_LETTER_DAYS?: string;
  RETENTION_AUDIT_DAYS?: string;
  RETENTION_METRICS_DAYS?: string;
  RETENTION_CONVERSATION_INDEX_DAYS?: string;
  ALERT_BACKLOG_AGE_MS?: string;
  ALERT_SIGNATURE_FAILURES?: string;
  ALERT_SIGNATURE_FLUSH_MS?: string;
  ALERT_SILENCE_FACTOR?: string;
  ALERT_SILENCE_MIN_MS?: string;
  ALERT_DELIVERY_MAX_ATTEMPTS?: string;
}

const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v ? v.replace(/\/+$/, '') : undefined))
  .pipe(z.url().optional());

/** The conversation objects keep messages 8 days (deduplication); their index rows must outlive that, with a margin. */
const CONVERSATION_INDEX_FLOOR_DAYS = 30;

const int = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : Number(v)))
    .pipe(z.number().int().nonnegative());

export const Config = z.object({
  PUBLIC_BASE_URL: z.url().transform((v) => v.replace(/\/+$/, '')),
  BASE_DOMAIN: z
    .string()
    .optional()
    .transform((v) => v?.toLowerCase() || undefined),
  GRAPH_API_BASE: optionalUrl,
  GENESYS_API_BASE: optionalUrl,
  GENESYS_LOGIN_BASE: optionalUrl,
  /** Cloudflare's API (tests and the sandbox point it at their fakes); empty = api.cloudflare.com. */
  CLOUDFLARE_API_BASE: optionalUrl.transform((v) => v ?? 'https://api.cloudflare.com/client/v4'),
  GRAPH_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .optional()
    .default('v23.0'),
  /** Webhook bodies above this are refused with 413 before being buffered. */
  MAX_WEBHOOK_BYTES: int(3 * 1024 * 1024),
  /**
   * How long an inbound message waits, counted from the webhook's arrival, for earlier-timestamped
   * siblings before it is forwarded; a tenant may set its own (tenants.inbound_reorder_ms).
   */
  INBOUND_REORDER_MS: int(500),
  RETRY_BASE_MS: int(1000),
  MAX_DELIVERY_ATTEMPTS: int(8),
  /**
   * A dead letter D1 refused is retried from this delay, doubling up to DEAD_LETTER_RETRY_CAP_MS,
   * for DEAD_LETTER_MAX_ATTEMPTS tries (defaults: about 15 hours); then it is parked in KV and
   * moved to D1 by the scheduled job once D1 answers. Small values only for tests.
   */
  /** A conversation reports its outcomes and backlog to the dashboard this often at most. */
  ACTIVITY_REPORT_MS: int(2000),
  DEAD_LETTER_RETRY_BASE_MS: int(60_000),
  DEAD_LETTER_RETRY_CAP_MS: int(3600_000),
  DEAD_LETTER_MAX_ATTEMPTS: int(20),
  UPSTREAM_TIMEOUT_MS: int(10_000),
  GENESYS_REQUESTS_PER_MINUTE: int(300),
  /**
   * The window GENESYS_REQUESTS_PER_MINUTE counts over (a sliding window, the strictest reading of
   * Genesys' "300 requests per minute per token"). Only the bench shortens it, to cross many
   * windows in a short run; its fake Genesys enforces the same window.
   */
  GENESYS_WINDOW_MS: int(60_000),
  MEDIA_URL_TTL_SECONDS: int(3600),
  /** WhatsApp's pair rate: about one message per 6 s to one customer, after a small burst. */
  PAIR_INTERVAL_MS: int(6000),
  PAIR_BURST: int(10),
  /** Origins of the dashboard and agent widget (comma-separated) allowed to call /api from a browser. */
  DASHBOARD_ORIGINS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /**
   * Hosts whose https links agent attachments may use (comma-separated; a leading dot matches
   * subdomains). WhatsApp fetches these links itself; the bridge never does.
   */
  OUTBOUND_MEDIA_HOSTS: z
    .string()
    .optional()
    .transform((v) =>
      (v || GENESYS_MEDIA_HOST_SUFFIXES.join(','))
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  // Retention of D1 rows (scheduled/retention.job.ts), in days; 0 keeps rows forever.
  /** Messages that failed for good. */
  RETENTION_FAILED_DAYS: int(30),
  /** Dead letters, counted from their replay. */
  RETENTION_DEAD_LETTER_REPLAYED_DAYS: int(30),
  /** Dead letters never replayed, counted from when they were parked: after this they expire. */
  RETENTION_DEAD_LETTER_DAYS: int(90),
  /** The audit log, and the record of each finished offboarding. */
  RETENTION_AUDIT_DAYS: int(365),
  RETENTION_METRICS_DAYS: int(90),
  /**
   * Conversation index rows whose last message is older than this. A conversation object deletes
   * its own row once it has cleared itself (8 days after its last message settled), so a row this
   * old is one whose deletion was lost; the floor keeps the index from losing a live object.
   */
  RETENTION_CONVERSATION_INDEX_DAYS: int(90).refine((d) => d === 0 || d >= CONVERSATION_INDEX_FLOOR_DAYS, {
    message: `must be 0 (keep) or at least ${CONVERSATION_INDEX_FLOOR_DAYS} days (the deduplication window and a margin)`,
  }),
  // Alerts (scheduled/alerts.job.ts; each rule in domain/alert-rules.ts and README "Alerts").
  /** `backlog` fires when a tenant's oldest held message has waited longer than this. */
  ALERT_BACKLOG_AGE_MS: int(15 * 60_000),
  /** `signature_failures` fires at this many forged webhooks in the 15 minutes before a tick. */
  ALERT_SIGNATURE_FAILURES: int(50),
  /**
   * An isolate reports forged webhooks to the tenant gate at most this often per tenant (the count
   * waits in memory meanwhile), so a forger cannot turn requests into writes. 0 only in tests.
   */
  ALERT_SIGNATURE_FLUSH_MS: int(10_000),
  /** `webhook_silent` fires after max(ALERT_SILENCE_FACTOR × the usual gap, ALERT_SILENCE_MIN_MS) without a webhook. */
  ALERT_SILENCE_FACTOR: int(3),
  ALERT_SILENCE_MIN_MS: int(3600_000),
  /** A notice a channel refused is tried again on each tick, this many times in all. */
  ALERT_DELIVERY_MAX_ATTEMPTS: int(8),
});
export type Config = z.infer<typeof Config>;

const configCache = new WeakMap<object, Config>();

/** Parses the vars once per env object; a misconfigured deployment fails loudly on its first request. */
export function config(env: Env): Config {
  let parsed = configCache.get(env);
  if (!parsed) {
    parsed = Config.parse(env);
    configCache.set(env, parsed);
  }
  return parsed;
}

/** Hono's environment for every route of the bridge. */
export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string };
};
