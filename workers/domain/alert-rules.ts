/**
 * The alert rules: from a tenant's signals at one tick to, per alert type, "firing (with what was
 * seen)" or "clear". Pure; scheduled/alerts.job.ts gathers the signals (D1 and the tenant gate),
 * opens and resolves incidents and sends the notices. README "Alerts" states each rule in words;
 * keep the two in step.
 */

export const ALERT_TYPES = [
  'whatsapp_credential',
  'genesys_auth',
  'genesys_integration',
  'dead_letters',
  'signature_failures',
  'backlog',
  'webhook_silent',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Human titles, for the notice's `text` (what Slack and Teams show). */
export const ALERT_TITLES: Record<AlertType, string> = {
  whatsapp_credential: 'WhatsApp credential broken',
  genesys_auth: 'Genesys OAuth client refused',
  genesys_integration: 'Genesys refusing customer messages',
  dead_letters: 'Messages dead-lettered',
  signature_failures: 'Forged webhook signatures',
  backlog: 'Messages waiting too long',
  webhook_silent: 'WhatsApp webhooks silent',
};

export const HOUR_MS = 3600_000;
/** Forged signatures are counted over the 15 minutes before a tick (the cron's interval). */
export const SIGNATURE_WINDOW_MS = 15 * 60_000;
/**
 * Genesys' refusals of customer messages count this long: one refusal fires, an hour without one
 * clears (shorter would resolve between two refusals of a steady trickle).
 */
export const GENESYS_REJECTION_WINDOW_MS = HOUR_MS;
/** Dead letters count while they are this young and not replayed. */
export const DEAD_LETTER_WINDOW_MS = 24 * HOUR_MS;
/** The usual gap between webhooks is read from this much history before the last one. */
export const SILENCE_HISTORY_MS = 7 * 24 * HOUR_MS;
/** Fewer hours with webhooks than this in that history: no baseline, so no silence alert. */
export const SILENCE_MIN_ACTIVE_HOURS = 24;

/** What one tick knows about one tenant. */
export interface AlertSignals {
  whatsappCredential: 'ok' | 'broken';
  /** OAuth clients (the default's entry id or a pool entry's) whose last token request Genesys refused. */
  genesysAuth: Array<{ client: string; since: number; code: string }>;
  /**
   * Customer messages Genesys refused for good (a 4xx other than 401, 408, 429: the integration is
   * gone or disabled, the client may not post to it, the message does not fit it) in the
   * GENESYS_REJECTION_WINDOW_MS before the tick, and the latest one's code.
   */
  genesysRejections: { count: number; lastCode: string | null };
  /** Dead letters created in the DEAD_LETTER_WINDOW_MS before the tick and not replayed. */
  deadLetters: number;
  /** Forged signatures counted in the SIGNATURE_WINDOW_MS before the tick. */
  signatureFailures: number;
  /** When the oldest message the tenant's conversations hold (either direction) arrived; null = none. */
  backlogOldestAt: number | null;
  /** Genuine webhooks: the last one, and the hours (start, epoch ms) that had any, up to 7 days before it. */
  arrivals: { lastAt: number | null; hours: number[] };
}

export interface AlertThresholds {
  backlogAgeMs: number;
  signatureFailures: number;
  silenceFactor: number;
  silenceMinMs: number;
}

/** The gaps between consecutive hours that had a webhook, shortest first; null below SILENCE_MIN_ACTIVE_HOURS hours. */
function gapsOf(hours: readonly number[]): number[] | null {
  const sorted = [...new Set(hours)].sort((a, b) => a - b);
  if (sorted.length < SILENCE_MIN_ACTIVE_HOURS) return null;
  return sorted
    .slice(1)
    .map((h, i) => h - sorted[i]!)
    .sort((a, b) => a - b);
}

/**
 * The usual gap between webhooks: the 90th percentile (nearest rank) of the gaps between
 * consecutive hours that had a webhook, over the 7 days before the last one; null when fewer than
 * SILENCE_MIN_ACTIVE_HOURS hours had any.
 */
export function usualGapMs(hours: readonly number[]): number | null {
  const gaps = gapsOf(hours);
  return gaps ? gaps[Math.ceil(0.9 * gaps.length) - 1]! : null;
}

/**
 * How long the tenant may go without a webhook before `webhook_silent` fires; null = no baseline:
 * max(factor × the usual gap, the longest gap of those 7 days, the minimum). The longest gap keeps
 * a quiet that recurs (nights, a weekend closure) from firing each time it comes round; the usual
 * gap sets the bar for a tenant whose traffic never pauses.
 */
export function silenceThresholdMs(hours: readonly number[], t: AlertThresholds): number | null {
  const gaps = gapsOf(hours);
  if (!gaps) return null;
  const usual = gaps[Math.ceil(0.9 * gaps.length) - 1]!;
  return Math.max(t.silenceFactor * usual, gaps.at(-1)!, t.silenceMinMs);
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/** Per type: the detail of a firing condition, or null when it is clear. */
export function evaluateAlerts(s: AlertSignals, t: AlertThresholds, now: number): Record<AlertType, string | null> {
  const silence = s.arrivals.lastAt === null ? null : silenceThresholdMs(s.arrivals.hours, t);
  const silentFor = s.arrivals.lastAt === null ? 0 : now - s.arrivals.lastAt;
  const backlogAge = s.backlogOldestAt === null ? 0 : now - s.backlogOldestAt;
  return {
    whatsapp_credential:
      s.whatsappCredential === 'broken'
        ? 'Meta refused the access token (error 190); sends are held until a working token is set'
        : null,
    genesys_auth:
      s.genesysAuth.length > 0
        ? `Genesys refused the token request of ${s.genesysAuth.map((f) => `client ${f.client} (${f.code})`).join(', ')}`
        : null,
    genesys_integration:
      s.genesysRejections.count > 0
        ? `Genesys refused ${s.genesysRejections.count} customer message(s) in the last hour (latest: ${s.genesysRejections.lastCode}); they were not delivered`
        : null,
    dead_letters:
      s.deadLetters > 0 ? `${s.deadLetters} message(s) dead-lettered in the last 24 h and not replayed` : null,
    signature_failures:
      s.signatureFailures >= t.signatureFailures
        ? `${s.signatureFailures} webhooks with a wrong signature in the last 15 min (threshold ${t.signatureFailures})`
        : null,
    backlog:
      backlogAge > t.backlogAgeMs
        ? `the oldest held message has waited ${minutes(backlogAge)} (threshold ${minutes(t.backlogAgeMs)})`
        : null,
    webhook_silent:
      silence !== null && silentFor > silence
        ? `no webhook from Meta for ${minutes(silentFor)}; the usual gap allows ${minutes(silence)}`
        : null,
  };
}
