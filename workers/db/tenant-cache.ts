/**
 * What this isolate remembers of tenant lookups: by id, by WhatsApp phone number id, by slug and
 * by host. Every webhook resolves a tenant, and D1 is one database shared by every tenant, so
 * answers are kept briefly; the keys come from strangers (URLs, unsigned bodies), so every memo is
 * bounded and misses are kept only for seconds (workers/lib/lookup-cache.ts).
 *
 * A tenant (its HMAC secrets, tokens, status and settings) is served stale while it revalidates:
 * no webhook waits for the D1 read and the decryption of a tenant it has seen, and none is served
 * a tenant read more than {@link TENANT_MAX_STALENESS_MS} ago.
 */
import { waitUntil } from 'cloudflare:workers';
import { LookupCache, type LookupCacheOptions } from '../lib/lookup-cache';
import type { Tenant } from './tenants.repo';

/** A remembered tenant is re-read in the background once it is this old. */
export const TENANT_REFRESH_MS = 30_000;
/**
 * The most a warm isolate lags behind a change made in another one (a suspension, a revoked
 * webhook secret, a new WhatsApp token): past this it waits for D1 rather than use what it has.
 * The isolate that makes a change sees it at once (forgetTenant).
 */
export const TENANT_MAX_STALENESS_MS = 60_000;

/** A reload outlives the request that started it; outside a request there is nothing to extend. */
function keepAlive(reload: Promise<unknown>): void {
  try {
    waitUntil(reload);
  } catch {
    // No request context: the reload still runs while the isolate does.
  }
}

/**
 * Re-reads every 30 s at most per key and isolate, as before stale serving; 5 s is how long a tenant
 * created elsewhere may stay unknown here. 1000 of each is far beyond the tenants one isolate
 * serves at a time, and a few MB at most.
 */
const LIMITS: LookupCacheOptions = {
  maxEntries: 1000,
  ttlMs: TENANT_REFRESH_MS,
  maxStaleMs: TENANT_MAX_STALENESS_MS,
  maxMisses: 1000,
  missTtlMs: 5_000,
  background: keepAlive,
};

export const tenantCache = {
  byId: new LookupCache<Tenant>(LIMITS),
  /** phone_number_id → tenant id. */
  byPhoneNumberId: new LookupCache<string>(LIMITS),
  /** slug → tenant id. */
  bySlug: new LookupCache<string>(LIMITS),
  /** Lower-cased hostname → tenant id, or undefined when the host names no tenant (the platform's own). */
  byHost: new LookupCache<string | undefined>(LIMITS),
};

/**
 * Forgets everything remembered about one tenant after it changed, and every miss: the change
 * (a new tenant, a new number) may be what a miss was waiting for.
 */
export function forgetTenant(tenantId: string): void {
  tenantCache.byId.forget(tenantId);
  tenantCache.byPhoneNumberId.forgetValues((id) => id === tenantId);
  tenantCache.bySlug.forgetValues((id) => id === tenantId);
  tenantCache.byHost.forgetValues((id) => id === tenantId);
  for (const cache of Object.values(tenantCache)) cache.forgetMisses();
}

/** How much each memo holds (tests check the bounds with it). */
export function tenantCacheSizes(): Record<keyof typeof tenantCache, { entries: number; misses: number }> {
  return {
    byId: tenantCache.byId.size(),
    byPhoneNumberId: tenantCache.byPhoneNumberId.size(),
    bySlug: tenantCache.bySlug.size(),
    byHost: tenantCache.byHost.size(),
  };
}
