/**
 * Tenant subdomains: `acme.<BASE_DOMAIN>` names the tenant with slug `acme`.
 * Only the Host header is consulted; a tenant id sent in a body or query is never trusted.
 */
export function slugFromHost(host: string | undefined, baseDomain: string | undefined): string | null {
  if (!host || !baseDomain) return null;
  const hostname = host.split(':')[0]!.toLowerCase();
  if (!hostname.endsWith(`.${baseDomain}`)) return null;
  const label = hostname.slice(0, -(baseDomain.length + 1));
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label) ? label : null;
}

/**
 * The tenant's own webhook URL: its subdomain of BASE_DOMAIN, with the scheme and port of the
 * public URL (the sandbox serves `http://<slug>.localhost:8787`; a deployment has neither port nor http).
 */
export function tenantUrl(publicBaseUrl: string, baseDomain: string, slug: string, path: string): string {
  const base = new URL(publicBaseUrl);
  return `${base.protocol}//${slug}.${baseDomain}${base.port ? `:${base.port}` : ''}${path}`;
}
