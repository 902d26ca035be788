/**
 * Which tenant a request's Host names: `<slug>.<BASE_DOMAIN>` or a custom hostname (Cloudflare for
 * SaaS). Used by the webhook and admin routes alike, so it is remembered per isolate
 * (tenant-cache.ts): the platform's own host, asked on every webhook, must not cost a D1 query each
 * time, and neither may a stranger's made-up subdomain asked again and again.
 */
import { config, type Env } from '../env';
import { slugFromHost } from '../domain/tenant-host';
import { tenantIdByHostname } from './custom-hostnames.repo';
import { tenantCache } from './tenant-cache';
import { tenantIdBySlug } from './tenants.repo';

/** The host's tenant id; undefined when the host names no tenant, null when it names one that does not exist. */
export function tenantIdForHost(env: Env, host: string): Promise<string | null | undefined> {
  const hostname = host.split(':')[0]!.toLowerCase();
  return tenantCache.byHost.lookup(hostname, async () => {
    const slug = slugFromHost(hostname, config(env).BASE_DOMAIN);
    if (slug) return tenantIdBySlug(env, slug);
    // A custom hostname routes only once Cloudflare reports it active; before that it names no tenant we serve.
    return tenantIdByHostname(env, hostname);
  });
}

/** Called when a custom hostname is added, removed, or changes status, so this isolate sees it at once. */
export function forgetHost(hostname: string): void {
  tenantCache.byHost.forget(hostname.toLowerCase());
}
