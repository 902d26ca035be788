/**
 * Which links an agent attachment may carry to WhatsApp: https only, a host on the allow-list,
 * never an IP literal or a local name. WhatsApp fetches the link itself, so the check keeps
 * tenants from using the bridge to point Meta at arbitrary or internal addresses.
 */
export function isAllowedMediaUrl(raw: string, allowedHosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  // An entry with a scheme is an exact origin: how the local sandbox allows its http simulator.
  if (allowedHosts.includes(url.origin.toLowerCase())) return true;
  if (url.protocol !== 'https:') return false;
  const host = url.hostname.toLowerCase();
  // IPv4/IPv6 literals and single-label names (localhost, intranet) are never allowed.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[') || !host.includes('.')) return false;
  return allowedHosts.some((allowed) =>
    allowed.startsWith('.') ? host.endsWith(allowed) || host === allowed.slice(1) : host === allowed,
  );
}
