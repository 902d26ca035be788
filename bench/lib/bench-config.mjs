// The bench runs the bridge with a bench-only copy of wrangler.toml, never by editing it: the same
// bindings, queues and vars, written as JSON into the run's temporary directory with
//  - the Worker `wrangler deploy --dry-run` builds (no_bundle): the bench measures the artifact a
//    deploy uploads, and `wrangler dev` has no source watcher that could restart the Worker mid-run
//    when something in the project or node_modules changes (another test run's vite cache does);
//  - every webhook Rate Limiting binding raised (a standard WhatsApp number emits up to three
//    status webhooks per message on top of the messages themselves; the production budget would
//    answer the bench with 429s and the bench would measure the limiter, not the bridge);
//  - the vars a scenario sets (Genesys budget and window, fake hosts);
//  - the development secrets of .dev.vars.example, in a .dev.vars next to it (wrangler reads
//    .dev.vars from the config's directory).
// Paths become absolute, since the copy lives outside the project.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The limit the bench gives every webhook Rate Limiting binding (per key, per period). */
export const BENCH_WEBHOOK_LIMIT = 1_000_000;

/** A wrangler.toml as wrangler itself reads it (its TOML parser, not a copy of one). */
export async function readConfig(file) {
  const { experimental_readRawConfig } = await import('wrangler');
  return experimental_readRawConfig({ config: file }).rawConfig;
}

export function devVars(root) {
  return Object.fromEntries(
    readFileSync(path.join(root, '.dev.vars.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]),
  );
}

/**
 * Writes `dir`/wrangler.json (and .dev.vars) for one bench Worker whose `wrangler.toml` is `source`
 * and whose deploy build is in `bundleDir`. Answers the config path, the effective vars and which
 * rate limits were raised from what.
 */
export function writeBenchConfig(root, source, production, dir, bundleDir, vars = {}) {
  const config = structuredClone(production);
  config.main = path.join(bundleDir, path.basename(config.main).replace(/\.ts$/, '.js'));
  config.no_bundle = true;
  config.base_dir = bundleDir;
  // The build keeps text modules (the API docs page) as files beside index.js.
  config.find_additional_modules = true;
  for (const db of config.d1_databases ?? [])
    if (db.migrations_dir) db.migrations_dir = path.resolve(path.dirname(source), db.migrations_dir);
  // Crons never fire under `wrangler dev`; dropping them keeps the copy's meaning obvious.
  delete config.triggers;
  // The bench runs the development Worker; staging and production blocks have no place in its copy.
  delete config.env;
  const raised = [];
  for (const limiter of config.ratelimits ?? []) {
    if (!/WEBHOOK/i.test(limiter.name)) continue;
    raised.push({ name: limiter.name, from: limiter.simple?.limit ?? null, to: BENCH_WEBHOOK_LIMIT });
    limiter.simple = { ...limiter.simple, limit: BENCH_WEBHOOK_LIMIT };
  }
  config.vars = { ...config.vars, ...vars };
  const file = path.join(dir, 'wrangler.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  writeFileSync(
    path.join(dir, '.dev.vars'),
    Object.entries(devVars(root))
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n'),
  );
  return { file, vars: config.vars, raised };
}
