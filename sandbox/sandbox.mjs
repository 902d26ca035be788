// The local sandbox: the bridge, the simulator (Meta + Genesys) and the dashboard, each a
// `wrangler dev` process on its own port, with local D1 migrated and the demo tenant seeded.
// Used by `npm run dev` (scripts/dev.mjs) and by the browser end-to-end test.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildDashboard } from '../scripts/build-dashboard.mjs';
import { startWrangler, waitUntilUp } from '../scripts/wrangler-process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
const demo = JSON.parse(readFileSync(path.join(root, 'sandbox/simulator/demo-tenant.json'), 'utf8'));
const devVars = Object.fromEntries(
  readFileSync(path.join(root, '.dev.vars.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]),
);
export const OPERATOR_TOKEN = devVars.ADMIN_API_TOKEN;

// The Genesys clouds agent attachments come from (the Worker's own default), plus the simulator below.
const DEFAULT_MEDIA_HOSTS = Object.values(
  JSON.parse(readFileSync(path.join(root, 'workers/domain/genesys-regions.json'), 'utf8')),
)
  .map((domain) => `.${domain}`)
  .join(',');

/** Creates the demo tenant once (idempotent) and tells the simulator its id. */
async function seed(bridge, sim) {
  const headers = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
  const list = await (await fetch(`${bridge}/api/tenants`, { headers })).json();
  let tenant = list.items.find((t) => t.slug === demo.slug);
  if (!tenant) {
    const res = await fetch(`${bridge}/api/tenants`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: demo.name, slug: demo.slug, whatsapp: demo.whatsapp, genesys: demo.genesys }),
    });
    if (res.status !== 201) throw new Error(`seeding the demo tenant failed: ${res.status} ${await res.text()}`);
    tenant = (await res.json()).tenant;
    // The demo shows blue ticks: customer messages are marked read once the agent answers.
    await fetch(`${bridge}/api/tenants/${tenant.id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ markRead: true }),
    });
  }
  await fetch(`${sim}/sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: tenant.id }),
  });
  return tenant.id;
}

/** The bridge's Cron Trigger (wrangler.toml `[triggers]`), which `wrangler dev` never fires by itself. */
const CRON = '*/15 * * * *';
const CRON_INTERVAL_MS = 15 * 60_000;

/** Runs the bridge's scheduled jobs (retention, offboarding, custom hostnames) once, as the Cron Trigger would. */
async function runScheduledJobs(bridge) {
  try {
    const res = await fetch(`${bridge}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(CRON)}`);
    if (!res.ok) console.error(`[sandbox] the bridge's scheduled jobs answered ${res.status}: ${await res.text()}`);
  } catch (err) {
    console.error(`[sandbox] the bridge's scheduled jobs could not run: ${err.message}`);
  }
}

/**
 * Starts the sandbox, and runs the bridge's scheduled jobs at start and every 15 minutes. Options:
 * bridgePort (8787), simPort (8788), dashboardPort (8789), stateDir (.wrangler/state), quiet,
 * vars (extra bridge vars). Answers { urls, tenantId, stop() }.
 */
export async function startSandbox(options = {}) {
  const bridgePort = options.bridgePort ?? 8787;
  const simPort = options.simPort ?? 8788;
  const dashboardPort = options.dashboardPort ?? 8789;
  const stateDir = options.stateDir ?? path.join(root, '.wrangler', 'state');
  const quiet = options.quiet ?? false;
  const bridge = `http://localhost:${bridgePort}`;
  const sim = `http://localhost:${simPort}`;
  const dashboard = `http://localhost:${dashboardPort}`;

  // The dashboard site as Pages serves it (assets-only Worker, generated config.json and _headers):
  // its CSP lets it call this bridge, and lets the simulator, playing Agent Desktop, frame the widget
  // and serve agent attachments.
  await buildDashboard({
    site: {
      apiBase: bridge,
      genesysLoginBase: `${sim}/genesys-login`,
      frameAncestors: [sim],
      mediaSources: [sim],
    },
  });
  execFileSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], {
    cwd: root,
    stdio: quiet ? 'ignore' : 'inherit',
    env: { ...process.env, CI: 'true' },
  });

  const vars = {
    PUBLIC_BASE_URL: bridge,
    GRAPH_API_BASE: `${sim}/graph`,
    GENESYS_API_BASE: `${sim}/genesys-api`,
    GENESYS_LOGIN_BASE: `${sim}/genesys-login`,
    // Cloudflare for SaaS custom hostnames, played by the simulator (pending hostnames turn active
    // after demo.cloudflare.activateAfterSeconds, or via POST /sim/cloudflare/verify).
    CLOUDFLARE_API_BASE: `${sim}/cloudflare/client/v4`,
    CLOUDFLARE_SAAS_ZONE_ID: demo.cloudflare.zoneId,
    CLOUDFLARE_SAAS_API_TOKEN: demo.cloudflare.apiToken,
    OUTBOUND_MEDIA_HOSTS: `${DEFAULT_MEDIA_HOSTS},${sim}`,
    INBOUND_REORDER_MS: '300',
    DASHBOARD_ORIGINS: dashboard,
    ...options.vars,
  };
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const common = ['--persist-to', stateDir, '--show-interactive-dev-session=false', '--ip', '127.0.0.1'];
  const children = [
    startWrangler(
      'bridge',
      [
        'dev',
        '--port',
        String(bridgePort),
        '--inspector-port',
        String(bridgePort + 1000),
        // Lets the sandbox call /cdn-cgi/handler/scheduled (below): crons never fire in `wrangler dev`.
        '--test-scheduled',
        ...common,
        ...varArgs,
      ],
      { quiet },
    ),
    startWrangler(
      'simulator',
      [
        'dev',
        '-c',
        'sandbox/simulator/wrangler.toml',
        '--port',
        String(simPort),
        '--inspector-port',
        String(simPort + 1000),
        ...common,
        '--var',
        `BRIDGE_URL:${bridge}`,
        '--var',
        `DASHBOARD_URL:${dashboard}`,
      ],
      { quiet },
    ),
    startWrangler(
      'dashboard',
      [
        'dev',
        '-c',
        'dashboard/wrangler.toml',
        '--port',
        String(dashboardPort),
        '--inspector-port',
        String(dashboardPort + 1000),
        '--show-interactive-dev-session=false',
        '--ip',
        '127.0.0.1',
      ],
      { quiet },
    ),
  ];
  let cron;
  const stop = () => {
    clearInterval(cron);
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  try {
    await Promise.all([
      waitUntilUp(`${bridge}/health`, 90_000),
      waitUntilUp(`${sim}/sim/state`, 90_000),
      waitUntilUp(dashboard, 90_000),
    ]);
    const tenantId = await seed(bridge, sim);
    // The scheduled jobs once at start (an offboarding left unfinished by the last run continues)
    // and then on the deployed schedule.
    await runScheduledJobs(bridge);
    cron = setInterval(() => runScheduledJobs(bridge), CRON_INTERVAL_MS);
    return { urls: { bridge, sim, dashboard }, tenantId, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
