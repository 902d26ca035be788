// `npm run deploy:check` (and step 3 of `npm run check`): what must hold before `wrangler deploy`.
// - Each environment of wrangler.toml — development (top level), staging, production — bundles with
//   `wrangler deploy --dry-run --env <name>`, and any warning fails: the dry run exits 0 with
//   warnings, e.g. a binding not repeated in an environment (wrangler does not inherit bindings).
// - Staging and production vars pass the rules the Worker itself enforces before serving
//   (workers/domain/deployment-check.ts, bundled here with wrangler's own esbuild): https origin,
//   real domain, https dashboard origins, the real Meta and Genesys hosts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { environmentSite } from './build-dashboard.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const fail = (message) => {
  console.error(`[deploy:check] ${message}`);
  process.exit(1);
};

// `--config <file>` checks another wrangler config (the tests use it; its `main` must resolve from
// where it is), `--env <name>` one environment (`development` for the top level), `--settings-only`
// skips the dry runs.
const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    env: { type: 'string' },
    'settings-only': { type: 'boolean' },
    strict: { type: 'boolean' },
  },
});

/**
 * `--strict` (the deploy workflow): the repository's placeholders left in a deployed environment —
 * an all-zero D1 or KV id, an example.com host in a route or a var — fail the check, which the
 * repository's own config (kept with placeholders) passes without it.
 */
function placeholdersOf(environment) {
  const found = [];
  for (const db of environment.d1_databases ?? [])
    if (/^[0-]+$/.test(db.database_id ?? ''))
      found.push(`d1_databases ${db.binding}: placeholder id ${db.database_id}`);
  for (const kv of environment.kv_namespaces ?? [])
    if (/^0+$/.test(kv.id ?? '')) found.push(`kv_namespaces ${kv.binding}: placeholder id ${kv.id}`);
  for (const route of environment.routes ?? []) {
    const pattern = typeof route === 'string' ? route : route.pattern;
    if (/(^|[.*])example\.com\b/.test(pattern) && !pattern.startsWith('#')) found.push(`routes: ${pattern}`);
  }
  for (const [key, value] of Object.entries(environment.vars ?? {}))
    if (typeof value === 'string' && /(^|[/.,\s])example\.com\b/.test(value)) found.push(`vars.${key}: ${value}`);
  return found;
}
const configPath = values.config ? path.resolve(values.config) : path.join(root, 'wrangler.toml');
const { experimental_readRawConfig } = await import('wrangler');
const { rawConfig } = experimental_readRawConfig({ config: configPath });
const environments = ['', ...Object.keys(rawConfig.env ?? {})].filter(
  (name) => !values.env || (name || 'development') === values.env,
);
if (environments.length === 0) fail(`no environment ${values.env} in ${configPath}`);

const esbuild = createRequire(path.join(root, 'node_modules/wrangler/package.json'))('esbuild');
const bundled = await esbuild.build({
  entryPoints: [path.join(root, 'workers/domain/deployment-check.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
});
const { settingsProblems } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`
);

// Settings first, for every environment: they fail in a second, the dry runs take several.
for (const name of environments) {
  const label = name || 'development';
  const vars = name ? (rawConfig.env[name].vars ?? {}) : (rawConfig.vars ?? {});
  if (name && (vars.ENVIRONMENT ?? 'development') === 'development')
    fail(`[env.${name}] must set ENVIRONMENT (staging or production), or development values pass unchecked`);
  const problems = settingsProblems(vars);
  if (problems.length > 0) fail(`${label} would not serve:\n  ${problems.join('\n  ')}`);
  // The dashboard built for this environment talks to its PUBLIC_BASE_URL (scripts/build-dashboard.mjs).
  if (name) await environmentSite(name, configPath).catch((err) => fail(`the dashboard for ${label}: ${err.message}`));
  if (name && values.strict) {
    const placeholders = placeholdersOf(rawConfig.env[name]);
    if (placeholders.length > 0)
      fail(`${label} still has the repository's placeholders:\n  ${placeholders.join('\n  ')}`);
  }
}
if (values['settings-only']) {
  console.log(`[deploy:check] ${environments.map((n) => n || 'development').join(', ')}: settings pass`);
  process.exit(0);
}

for (const name of environments) {
  const label = name || 'development';
  const outdir = mkdtempSync(path.join(tmpdir(), 'bridge-dry-run-'));
  const dry = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/wrangler/bin/wrangler.js'),
      'deploy',
      '--dry-run',
      '--config',
      configPath,
      `--env=${name}`,
      '--outdir',
      outdir,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    },
  );
  rmSync(outdir, { recursive: true, force: true });
  const output = `${dry.stdout}\n${dry.stderr}`;
  const warnings = output.split('\n').filter((line) => /\[WARNING\]|▲/.test(line));
  if (dry.status !== 0 || warnings.length > 0) {
    console.error(output);
    fail(
      dry.status !== 0
        ? `wrangler deploy --dry-run --env=${name} failed (exit ${dry.status})`
        : `wrangler deploy --dry-run --env=${name} warned:\n${warnings.join('\n')}`,
    );
  }
  console.log(`[deploy:check] ${label}: ${output.match(/Total Upload:.*$/m)?.[0] ?? 'bundle built'}`);
}
