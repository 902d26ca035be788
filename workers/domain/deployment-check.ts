/**
 * What a deployment outside development must have before it serves: an https public origin (media
 * links handed to Genesys start with it), a real base domain, browser origins over https, the real
 * vendor hosts, and its secrets. Pure: the Worker answers 503 with these problems until they are
 * fixed (GET /health says which), and `npm run deploy:check` runs the same rules on each
 * environment's vars in wrangler.toml before a deploy.
 */

export interface DeploymentSettings {
  ENVIRONMENT?: string;
  PUBLIC_BASE_URL?: string;
  BASE_DOMAIN?: string;
  DASHBOARD_ORIGINS?: string;
  GRAPH_API_BASE?: string;
  GENESYS_API_BASE?: string;
  GENESYS_LOGIN_BASE?: string;
  CLOUDFLARE_API_BASE?: string;
}

/** Problems in vars alone (what deploy:check can see before secrets exist). Development has none. */
export function settingsProblems(vars: DeploymentSettings): string[] {
  const environment = vars.ENVIRONMENT || 'development';
  if (environment === 'development') return [];
  const problems: string[] = [];
  const url = parseUrl(vars.PUBLIC_BASE_URL);
  if (url?.protocol !== 'https:') problems.push('PUBLIC_BASE_URL must be an https origin');
  else if (isLocal(url.hostname)) problems.push('PUBLIC_BASE_URL must not point at this machine');
  const domain = (vars.BASE_DOMAIN ?? '').trim().toLowerCase();
  if (domain && (isLocal(domain) || !domain.includes('.')))
    problems.push('BASE_DOMAIN must be a real domain (or empty to turn tenant subdomains off)');
  for (const origin of (vars.DASHBOARD_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    const parsed = parseUrl(origin);
    if (parsed?.protocol !== 'https:' || isLocal(parsed.hostname))
      problems.push(`DASHBOARD_ORIGINS must list https origins only (${origin})`);
  }
  for (const key of ['GRAPH_API_BASE', 'GENESYS_API_BASE', 'GENESYS_LOGIN_BASE'] as const)
    if (vars[key]) problems.push(`${key} must be empty outside development (the real Meta and Genesys hosts)`);
  if (vars.CLOUDFLARE_API_BASE)
    problems.push('CLOUDFLARE_API_BASE must be empty outside development (the real Cloudflare API)');
  return problems;
}

/**
 * Problems with the secrets a running Worker has (names only, never values). The Cloudflare for
 * SaaS pair is optional (a deployment without tenants' own domains is legitimate), but half of it
 * is a mistake: custom hostnames would fail only when someone adds one.
 */
export function secretProblems(
  secrets: {
    MASTER_KEY?: string;
    MASTER_KEYS?: string;
    ADMIN_API_TOKEN?: string;
    CLOUDFLARE_SAAS_ZONE_ID?: string;
    CLOUDFLARE_SAAS_API_TOKEN?: string;
  },
  environment?: string,
): string[] {
  if ((environment || 'development') === 'development') return [];
  const problems: string[] = [];
  if (!secrets.MASTER_KEY && !secrets.MASTER_KEYS) problems.push('secret MASTER_KEYS (or MASTER_KEY) is not set');
  if (!secrets.ADMIN_API_TOKEN) problems.push('secret ADMIN_API_TOKEN is not set');
  else if (secrets.ADMIN_API_TOKEN.length < 24) problems.push('secret ADMIN_API_TOKEN is shorter than 24 characters');
  if (!secrets.CLOUDFLARE_SAAS_ZONE_ID !== !secrets.CLOUDFLARE_SAAS_API_TOKEN)
    problems.push('secrets CLOUDFLARE_SAAS_ZONE_ID and CLOUDFLARE_SAAS_API_TOKEN must be set together (or neither)');
  return problems;
}

function parseUrl(value: string | undefined): URL | undefined {
  try {
    return value ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}

function isLocal(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '127.0.0.1' ||
    host === '[::1]' ||
    host === '0.0.0.0'
  );
}
