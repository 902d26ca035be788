/**
 * One per tenant: the single door to that tenant's Genesys org.
 *
 * - Token single-flight. Conversation objects may run anywhere; when the token expires, a KV-only
 *   cache would let each of them fetch a new one at once. Here concurrent callers share one
 *   in-flight token request, and the result is also written to KV (so a restarted gate does not
 *   ask Genesys again) until shortly before it expires.
 * - Rate limit. Genesys allows 300 requests per minute per token; the gate hands out permits from
 *   a sliding one-minute window and tells callers how long to wait when it is spent.
 *
 * Per tenant, not global: one busy tenant never queues behind another.
 */
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../workers/env';
import { requestToken } from '../workers/clients/genesys.client';
import { loadTenant } from '../workers/db/tenants.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { z } from 'zod';
import { refill, take, type Bucket } from '../workers/domain/token-bucket';

/** Treat a token as expired this long before Genesys does, so no request races its expiry. */
const EXPIRY_MARGIN_MS = 60_000;
const WINDOW_MS = 60_000;

const CachedToken = z.object({ token: z.string(), expiresAt: z.number(), clientId: z.string() });
type CachedToken = z.infer<typeof CachedToken>;

/**
 * Errors do not keep their class across Durable Object RPC, so a failed token request comes back as
 * a value carrying its classification.
 */
export type Permit = { ok: true; token: string } | { ok: false; waitMs: number } | { ok: false; failure: UpstreamFailure };

export const tokenKvKey = (tenantId: string) => `genesys-token:${tenantId}`;

export class TenantGateDO extends DurableObject<Env> {
  private current: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  /** Grant times inside the last minute, oldest first. In memory: after an eviction the window restarts, which errs towards Genesys' own 429 (handled by retries). */
  private grants: number[] = [];
  /** How many token requests this gate made; read by tests and the benchmark. */
  private tokenRequests = 0;
  /** The WhatsApp number's throughput budget (messages per second, one-second burst). */
  private whatsappBucket: Bucket | undefined;
  /** After Meta's 130429 (throughput exceeded) every conversation of the number holds off until then. */
  private whatsappPausedUntil = 0;

  /** Permits for `count` WhatsApp sends from the tenant's number, or how long to wait. */
  async acquireWhatsapp(count: number, messagesPerSecond: number): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    const now = Date.now();
    if (now < this.whatsappPausedUntil) return { ok: false, waitMs: this.whatsappPausedUntil - now };
    const interval = 1000 / Math.max(1, messagesPerSecond);
    this.whatsappBucket = refill(this.whatsappBucket, now, Math.max(messagesPerSecond, count), interval);
    const taken = take(this.whatsappBucket, count, interval);
    if (!taken.ok) return taken;
    this.whatsappBucket = taken.bucket;
    return { ok: true };
  }

  /** Meta said the number is over its throughput: pause all its conversations for a while. */
  async pauseWhatsapp(ms: number): Promise<void> {
    this.whatsappPausedUntil = Math.max(this.whatsappPausedUntil, Date.now() + ms);
  }

  /**
   * A permit for one Genesys call. `rejectedToken` says Genesys just answered 401 to that token:
   * it is dropped and replaced, once, however many callers report it.
   */
  async acquire(tenantId: string, rejectedToken?: string): Promise<Permit> {
    const now = Date.now();
    const limit = config(this.env).GENESYS_REQUESTS_PER_MINUTE;
    while (this.grants.length > 0 && this.grants[0]! <= now - WINDOW_MS) this.grants.shift();
    if (this.grants.length >= limit) return { ok: false, waitMs: this.grants[0]! + WINDOW_MS - now };
    this.grants.push(now);

    if (rejectedToken && this.current?.token === rejectedToken) {
      this.current = undefined;
      await this.env.TOKENS.delete(tokenKvKey(tenantId));
    }
    try {
      const token = await this.token(tenantId, rejectedToken);
      return { ok: true, token: token.token };
    } catch (err) {
      if (err instanceof UpstreamError) return { ok: false, failure: err.failure };
      throw err;
    }
  }

  stats(): { tokenRequests: number; grantsInWindow: number } {
    return { tokenRequests: this.tokenRequests, grantsInWindow: this.grants.length };
  }

  private async token(tenantId: string, rejectedToken: string | undefined): Promise<CachedToken> {
    if (this.current && this.current.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return this.current;
    // Single flight: every caller that finds no valid token awaits the same promise.
    this.inflight ??= this.refresh(tenantId, rejectedToken).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(tenantId: string, rejectedToken: string | undefined): Promise<CachedToken> {
    const tenant = await loadTenant(this.env, tenantId);
    if (!tenant) throw new UpstreamError({ kind: 'permanent', code: 'unknown_tenant', detail: `tenant ${tenantId} not found` });
    const { region, clientId, clientSecret } = tenant.genesys;

    const stored = CachedToken.safeParse(await this.env.TOKENS.get(tokenKvKey(tenantId), 'json'));
    if (
      stored.success &&
      stored.data.clientId === clientId &&
      stored.data.token !== rejectedToken &&
      stored.data.expiresAt - EXPIRY_MARGIN_MS > Date.now()
    ) {
      this.current = stored.data;
      return stored.data;
    }

    this.tokenRequests++;
    const response = await requestToken(config(this.env), { region, clientId, clientSecret });
    const fresh: CachedToken = { token: response.access_token, expiresAt: Date.now() + response.expires_in * 1000, clientId };
    this.current = fresh;
    const ttlSeconds = Math.floor((fresh.expiresAt - EXPIRY_MARGIN_MS - Date.now()) / 1000);
    // KV refuses TTLs under 60 s; a token that short lives in memory only.
    if (ttlSeconds >= 60) await this.env.TOKENS.put(tokenKvKey(tenantId), JSON.stringify(fresh), { expirationTtl: ttlSeconds });
    return fresh;
  }
}
