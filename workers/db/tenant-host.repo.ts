/**
 * Which tenant a request's Host names: `<slug>.<BASE_DOMAIN>` or a custom hostname (Cloudflare for
 * SaaS). Used by the webhook and admin routes alike, so it is remembered per isolate for 30 s: the
 * platform's own host, asked on every webhook, must not cost a D1 query each time.
 */
import { config, type Env } from '../env';
import { slugFromHost } from '../domain/tenant-host';
import { tenantIdByHostname } from './admin.repo';
import { tenantIdBySlug } from './tenants.repo';

const CACHE_MS = 30_000;
const cache = new Map<string, { at: number; id: string | null | undefined }>();

/** The host's tenant id; undefined when the host names no tenant, null when it names one that does not exist. */
export async function tenantIdForHost(env: Env, host: string): Promise<string | null | undefined> {
  const hostname = host.split(':')[0]!.toLowerCase();
  const hit = cache.get(hostname);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.id;
  const slug = slugFromHost(hostname, config(env).BASE_DOMAIN);
  const id = slug ? await tenantIdBySlug(env, slug) : ((await tenantIdByHostname(env, hostname)) ?? undefined);
  // An unknown slug is not remembered: a tenant created a moment ago must be reachable at once.
  if (id !== null) {
    if (cache.size > 10_000) cache.clear();
    cache.set(hostname, { at: Date.now(), id });
  }
  return id;
}

/** Called when a custom hostname is added or removed, so this isolate sees it at once. */
export function forgetHost(hostname: string): void {
  cache.delete(hostname.toLowerCase());
}
