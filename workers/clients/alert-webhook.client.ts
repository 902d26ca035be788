/**
 * Alert notices to a tenant's webhook channel: our own protocol, documented in README "Alerts".
 *
 * The body is JSON that Slack incoming webhooks and Teams' classic incoming webhooks both render
 * (they show `text`), with the structured alert beside it for receivers that act on it. Each
 * request is signed like Stripe's: `X-Bridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>" with the channel's secret>`, so a receiver can check both origin and freshness.
 * Redirects are not followed (a channel is the URL it was given); any non-2xx answer is a failure.
 */
import { ALERT_TITLES, type AlertType } from '../domain/alert-rules';
import { truncate } from '../domain/retry';
import { hmacSha256, toHex, utf8 } from '../lib/crypto';

export const SIGNATURE_HEADER = 'x-bridge-signature';

/** What a notice says about its alert (the `alert` field of the body). */
export interface AlertNotice {
  id: string;
  type: AlertType | 'test';
  state: 'firing' | 'resolved';
  tenantId: string;
  tenantName: string;
  detail: string;
  openedAt: number;
  resolvedAt: number | null;
}

export function noticeBody(alert: AlertNotice): string {
  const title = alert.type === 'test' ? 'Test notice' : ALERT_TITLES[alert.type];
  const head = alert.state === 'firing' ? `🔴 FIRING: ${title}` : `✅ RESOLVED: ${title}`;
  return JSON.stringify({
    text: `${head} — ${alert.tenantName} (${alert.tenantId}): ${alert.detail}`,
    alert: {
      ...alert,
      openedAt: new Date(alert.openedAt).toISOString(),
      resolvedAt: alert.resolvedAt === null ? null : new Date(alert.resolvedAt).toISOString(),
    },
  });
}

/** The signature header's value for `body` sent at `at` (epoch ms). */
export async function signNotice(secret: string, body: string, at: number): Promise<string> {
  const t = Math.floor(at / 1000);
  return `t=${t},v1=${toHex(await hmacSha256(secret, utf8(`${t}.${body}`)))}`;
}

/**
 * A channel URL is allowed when it is https, or http in development (`ENVIRONMENT` unset or
 * `development`): notices name the tenant and what is wrong with it.
 */
export function channelUrlAllowed(environment: string | undefined, url: string): boolean {
  const protocol = new URL(url).protocol;
  return protocol === 'https:' || ((environment || 'development') === 'development' && protocol === 'http:');
}

export type SendResult = { ok: true } | { ok: false; error: string };

/** POSTs one notice; never throws. */
export async function sendNotice(
  channel: { url: string; secret: string },
  alert: AlertNotice,
  timeoutMs: number,
): Promise<SendResult> {
  const body = noticeBody(alert);
  try {
    const response = await fetch(channel.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signNotice(channel.secret, body, Date.now()),
        'x-bridge-alert-id': alert.id,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${response.status}: ${truncate(text)}` };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
