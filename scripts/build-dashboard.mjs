// Bundles the dashboard and the agent widget (TypeScript, typed against the admin API's schemas)
// into a site directory (dashboard/public, the directory Cloudflare Pages serves), with the
// environment's generated config.json and _headers (scripts/dashboard-site.mjs), and the admin API
// reference at /api-docs/: Swagger UI's static files copied from swagger-ui-dist beside our
// api-docs/index.html and init.js (self-hosted, no CDN; never part of the Worker bundle).
//
//   node scripts/build-dashboard.mjs --env staging|production [--out dir]
//
// reads the environment's PUBLIC_BASE_URL from wrangler.toml, so the dashboard talks to the bridge
// deployed by the same `--env`, and refuses one that is not https. The sandbox calls
// buildDashboard() with its local URLs.
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { siteConfig, siteHeaders, siteSettings } from './dashboard-site.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = path.join(root, 'dashboard/public');

/** What /api-docs/ takes from swagger-ui-dist (gitignored there): the viewer, its styles, its licence. */
export const SWAGGER_UI_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE'];

function copySwaggerUi(outDir) {
  const dist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  mkdirSync(path.join(outDir, 'api-docs'), { recursive: true });
  for (const file of SWAGGER_UI_FILES) copyFileSync(path.join(dist, file), path.join(outDir, 'api-docs', file));
}

/**
 * Builds the site into `outDir` (default dashboard/public); `site` are the settings of
 * dashboard-site.mjs siteSettings(), or undefined to build the scripts alone.
 */
export async function buildDashboard({ site, outDir = PUBLIC } = {}) {
  if (outDir !== PUBLIC) cpSync(PUBLIC, outDir, { recursive: true });
  await build({
    entryPoints: { app: path.join(root, 'dashboard/src/app.ts'), widget: path.join(root, 'dashboard/src/widget.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  copySwaggerUi(outDir);
  if (site) {
    const settings = siteSettings(site);
    writeFileSync(path.join(outDir, 'config.json'), siteConfig(settings));
    writeFileSync(path.join(outDir, '_headers'), siteHeaders(settings));
  }
}

/**
 * The site settings of a deployed environment of wrangler.toml: its PUBLIC_BASE_URL (https only),
 * and WIDGET_FRAME_ANCESTORS, https origins besides Genesys Cloud that may frame the widget (a CRM
 * that embeds Genesys, e.g. Salesforce: frame-ancestors checks every ancestor). Throws on either
 * being wrong, naming the environment.
 */
export async function environmentSite(name, configPath = path.join(root, 'wrangler.toml')) {
  const { experimental_readRawConfig } = await import('wrangler');
  const { rawConfig } = experimental_readRawConfig({ config: configPath });
  const vars = rawConfig.env?.[name]?.vars;
  if (!vars) throw new Error(`wrangler.toml has no [env.${name}] vars`);
  const apiBase = vars.PUBLIC_BASE_URL;
  if (!/^https:\/\/[^/]+/.test(apiBase ?? ''))
    throw new Error(`[env.${name}] PUBLIC_BASE_URL must be an https URL for the dashboard, not ${apiBase ?? 'unset'}`);
  const frameAncestors = String(vars.WIDGET_FRAME_ANCESTORS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const ancestor of frameAncestors)
    if (!/^https:\/\/[^/]+$/.test(ancestor))
      throw new Error(`[env.${name}] WIDGET_FRAME_ANCESTORS must list https origins, not ${ancestor}`);
  return { apiBase, frameAncestors };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { env: { type: 'string' }, out: { type: 'string' } } });
  try {
    const site = values.env ? await environmentSite(values.env) : undefined;
    const outDir = values.out ? path.resolve(values.out) : PUBLIC;
    await buildDashboard({ site, outDir });
    console.log(
      site
        ? `[dashboard] built for ${values.env} (bridge ${site.apiBase}) into ${path.relative(root, outDir)}`
        : '[dashboard] scripts built (no --env: config.json and _headers left as they are)',
    );
  } catch (err) {
    console.error(`[dashboard] ${err.message}`);
    process.exit(1);
  }
}
