// The bench runs the bridge with a bench-only copy of wrangler.toml, never by editing it: the same
// bindings, queues and vars, written as JSON into the run's temporary directory with
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

/** wrangler.toml as wrangler itself reads it (its TOML parser, not a copy of one). */
export async function readProductionConfig(root) {
  const { experimental_readRawConfig } = await import('wrangler');
  return experimental_readRawConfig({ config: path.join(root, 'wrangler.toml') }).rawConfig;
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
 * Writes `dir`/wrangler.json (and .dev.vars) for one bench bridge. Answers the config path, the
 * effective vars and which rate limits were raised from what.
 */
export function writeBenchConfig(root, production, dir, vars) {
  const config = structuredClone(production);
  config.main = path.resolve(root, config.main);
  for (const db of config.d1_databases ?? [])
    if (db.migrations_dir) db.migrations_dir = path.resolve(root, db.migrations_dir);
  // Crons never fire under `wrangler dev`; dropping them keeps the copy's meaning obvious.
  delete config.triggers;
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
