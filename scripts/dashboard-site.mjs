// The per-environment files of the dashboard site (dashboard/public): `config.json`, which tells the
// dashboard and the widget where the bridge is, and `_headers`, which Cloudflare Pages (and Workers
// static assets, used locally) apply to every response. Both are generated, never edited by hand:
// the bridge's origin appears in the dashboard's config and in the CSP's connect-src, and the two
// must not drift apart.
//
// _headers rules (Cloudflare Pages "Headers"): a path pattern, then indented `Name: value` lines;
// every matching rule applies, a header set by two rules is joined with a comma, and `! Name`
// detaches a header a broader rule set. A comma-joined CSP would be two policies, both enforced, so
// the widget detaches the admin pages' CSP instead of adding to it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Genesys Cloud's own domains (the bridge's region list), one per region. */
export const GENESYS_DOMAINS = Object.values(
  JSON.parse(readFileSync(path.join(root, 'workers/domain/genesys-regions.json'), 'utf8')),
);

/**
 * Origins allowed to frame the widget: Genesys Cloud's web app in every region (Agent Desktop runs
 * at `https://apps.<region domain>` and embeds interaction widgets in an iframe).
 */
export const GENESYS_APP_ORIGINS = GENESYS_DOMAINS.map((domain) => `https://apps.${domain}`);

/** Where agent attachments may come from: Genesys Cloud's hosts in every region. */
const GENESYS_MEDIA_SOURCES = GENESYS_DOMAINS.map((domain) => `https://*.${domain}`);

const origin = (url) => new URL(url).origin;

/**
 * The site's settings for one environment.
 * - `apiBase`: the bridge's public URL (PUBLIC_BASE_URL of that environment).
 * - `genesysLoginBase`: only the sandbox sets it (its simulated Genesys); deployed widgets sign in
 *   at `https://login.<region>`.
 * - `frameAncestors` / `mediaSources`: extra origins, for the sandbox's simulator.
 */
export function siteSettings({ apiBase, genesysLoginBase, frameAncestors = [], mediaSources = [] }) {
  return {
    apiBase: apiBase.replace(/\/+$/, ''),
    genesysLoginBase,
    frameAncestors: [...GENESYS_APP_ORIGINS, ...frameAncestors.map(origin)],
    mediaSources: [...GENESYS_MEDIA_SOURCES, ...mediaSources.map(origin)],
  };
}

/** `config.json`, read by dashboard/src/api.ts and dashboard/src/widget.ts at start. */
export function siteConfig(settings) {
  return `${JSON.stringify(
    {
      apiBase: settings.apiBase,
      ...(settings.genesysLoginBase ? { genesysLoginBase: settings.genesysLoginBase } : {}),
    },
    null,
    2,
  )}\n`;
}

function policy(directives) {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/** The dashboard's CSP: its own scripts and styles, calls to the bridge only, never framed. */
export function adminPolicy(settings) {
  const bridge = origin(settings.apiBase);
  return policy({
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', bridge],
    'connect-src': ["'self'", bridge],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  });
}

/**
 * The API reference's CSP (/api-docs/, Swagger UI): the admin pages' policy, plus the inline style
 * attributes Swagger UI's components set (`style-src-attr`; no inline scripts, no eval). It loads
 * the OpenAPI document from, and sends "try it out" calls to, the bridge only.
 */
export function apiDocsPolicy(settings) {
  const bridge = origin(settings.apiBase);
  return policy({
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'style-src-attr': ["'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'", bridge],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  });
}

/**
 * The widget's CSP: framed by Genesys Cloud only; shows media from the bridge's signed links and
 * agent attachments from Genesys' hosts. Signing in is a navigation to `login.<region>`, which CSP
 * does not restrict.
 */
export function widgetPolicy(settings) {
  const bridge = origin(settings.apiBase);
  return policy({
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', bridge, ...settings.mediaSources],
    'connect-src': ["'self'", bridge],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': settings.frameAncestors,
  });
}

/** `_headers`: security headers everywhere, the admin CSP by default, the widget's on the widget, the API reference's on /api-docs/. */
export function siteHeaders(settings) {
  // Pages serves widget.html at /widget (and redirects /widget.html there); both are listed so the
  // rule also holds where .html is served as is.
  const widgetPaths = ['/widget', '/widget.html'];
  return [
    '# Generated by scripts/build-dashboard.mjs for this environment; do not edit.',
    '/*',
    '  X-Content-Type-Options: nosniff',
    '  Referrer-Policy: no-referrer',
    '  Strict-Transport-Security: max-age=31536000; includeSubDomains',
    '  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()',
    '  Cross-Origin-Opener-Policy: same-origin',
    '  X-Frame-Options: DENY',
    `  Content-Security-Policy: ${adminPolicy(settings)}`,
    ...widgetPaths.flatMap((p) => [
      p,
      // Agent Desktop frames the widget: X-Frame-Options has no allow-list, so only the CSP speaks.
      // The opener policy is dropped too: the widget is a frame of Genesys' page, not a window of
      // its own, and has no use for isolating a browsing context it does not own.
      '  ! X-Frame-Options',
      '  ! Cross-Origin-Opener-Policy',
      '  ! Content-Security-Policy',
      `  Content-Security-Policy: ${widgetPolicy(settings)}`,
    ]),
    // The API reference replaces the admin CSP with its own (a second CSP would be a second policy).
    ...['/api-docs', '/api-docs/*'].flatMap((p) => [
      p,
      '  ! Content-Security-Policy',
      `  Content-Security-Policy: ${apiDocsPolicy(settings)}`,
    ]),
    '',
  ].join('\n');
}
