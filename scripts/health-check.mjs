// After a deploy: the bridge of `--env` answers /health with every check passing, and the dashboard
// (the first DASHBOARD_ORIGINS entry) serves the config and headers built for that environment.
//
//   node scripts/health-check.mjs staging|production [--bridge url] [--dashboard url] [--wait seconds]
//
// A fresh deploy takes a few seconds to reach every location, so failures are retried for --wait
// seconds (60) before the script gives up, printing what failed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What is wrong with the deployment; empty when nothing is. */
export async function deploymentFailures({ bridge, dashboard, apiBase }) {
  const failures = [];
  try {
    const res = await fetch(`${bridge}/health`);
    const body = await res.json().catch(() => ({}));
    const failing = Object.entries(body.checks ?? {}).filter(([, c]) => !c.ok);
    if (res.status !== 200 || failing.length > 0)
      failures.push(
        `bridge ${bridge}/health answered ${res.status}${failing.map(([n, c]) => `; ${n}: ${c.error ?? 'failed'}`).join('')}`,
      );
  } catch (err) {
    failures.push(`bridge ${bridge}/health: ${err.message}`);
  }
  if (dashboard) {
    try {
      const res = await fetch(`${dashboard}/config.json`);
      const config = await res.json().catch(() => ({}));
      if (config.apiBase !== apiBase)
        failures.push(`dashboard ${dashboard}/config.json names ${config.apiBase ?? 'no bridge'}, not ${apiBase}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      if (!csp.includes(new URL(apiBase).origin))
        failures.push(`dashboard ${dashboard} is served without the CSP built for ${apiBase} (_headers missing?)`);
    } catch (err) {
      failures.push(`dashboard ${dashboard}: ${err.message}`);
    }
  }
  return failures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { bridge: { type: 'string' }, dashboard: { type: 'string' }, wait: { type: 'string', default: '60' } },
  });
  const name = positionals[0];
  const { experimental_readRawConfig } = await import('wrangler');
  const { rawConfig } = experimental_readRawConfig({ config: path.join(root, 'wrangler.toml') });
  const vars = rawConfig.env?.[name]?.vars;
  if (!vars) {
    console.error(`[health-check] wrangler.toml has no [env.${name}]; usage: health-check.mjs staging|production`);
    process.exit(2);
  }
  const apiBase = vars.PUBLIC_BASE_URL.replace(/\/+$/, '');
  const target = {
    apiBase,
    bridge: values.bridge ?? apiBase,
    dashboard:
      values.dashboard ??
      String(vars.DASHBOARD_ORIGINS ?? '')
        .split(',')[0]
        ?.trim(),
  };
  const until = Date.now() + Number(values.wait) * 1000;
  let failures;
  for (;;) {
    failures = await deploymentFailures(target);
    if (failures.length === 0 || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 3000));
  }
  if (failures.length > 0) {
    console.error(`[health-check] ${name} is not healthy:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`[health-check] ${name}: bridge ${target.bridge} healthy, dashboard ${target.dashboard} built for it`);
}
