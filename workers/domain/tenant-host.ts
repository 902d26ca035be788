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
