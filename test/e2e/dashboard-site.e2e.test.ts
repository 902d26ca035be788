/**
 * The dashboard site as Cloudflare Pages serves it in production: built by
 * `node scripts/build-dashboard.mjs --env production`, served by an assets-only Worker under
 * `wrangler dev` (Workers static assets apply `_headers` and drop `.html` like Pages), and framed
 * in Chromium by a page of another origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { environmentSite } from '../../scripts/build-dashboard.mjs';
import { siteHeaders, siteSettings } from '../../scripts/dashboard-site.mjs';
import { deploymentFailures } from '../../scripts/health-check.mjs';
import { startWrangler, waitUntilUp } from '../../scripts/wrangler-process.mjs';
import regions from '../../workers/domain/genesys-regions.json';
import { launchChromium } from './browser';

const PORT = 8839;
const site = `http://127.0.0.1:${PORT}`;
const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-site-'));
const out = path.join(dir, 'public');
let server: ReturnType<typeof startWrangler>;
let production: { apiBase: string; frameAncestors: string[] };
let browser: Browser;
let stranger: Server;

beforeAll(async () => {
  production = await environmentSite('production');
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs', '--env', 'production', '--out', out], {
    stdio: 'ignore',
  });
  // The project's own assets-only config, beside the built site (its `directory` is ./public).
  copyFileSync('dashboard/wrangler.toml', path.join(dir, 'wrangler.toml'));
  server = startWrangler(
    'dashboard-site',
    [
      'dev',
      '-c',
      path.join(dir, 'wrangler.toml'),
      '--port',
      String(PORT),
      '--inspector-port',
      String(PORT + 1000),
      '--ip',
      '127.0.0.1',
      '--show-interactive-dev-session=false',
    ],
    { quiet: true },
  );
  await waitUntilUp(`${site}/config.json`);
  browser = await launchChromium();
  // A page of an origin that is not Genesys Cloud, framing the admin pages and the widget.
  stranger = createServer((_, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<iframe id="admin" src="${site}/"></iframe><iframe id="widget" src="${site}/widget?tenant=demo&gcConversationId=x"></iframe>`,
      ),
  );
  await new Promise<void>((resolve) => stranger.listen(8838, '127.0.0.1', resolve));
});

afterAll(async () => {
  await browser?.close();
  stranger?.close();
  server?.kill('SIGTERM');
});

const policyOf = (res: Response) =>
  Object.fromEntries(
    (res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );

describe('the dashboard site in production', () => {
  it('tells the dashboard the production bridge, an https origin taken from wrangler.toml', async () => {
    const config = await (await fetch(`${site}/config.json`)).json();
    expect(config).toEqual({ apiBase: production.apiBase });
    expect(production.frameAncestors).toEqual([]);
    expect(production.apiBase).toMatch(/^https:\/\//);
  });

  it('serves the admin pages under a CSP that calls only the bridge and forbids framing', async () => {
    const res = await fetch(`${site}/`);
    expect(res.status).toBe(200);
    const csp = policyOf(res);
    expect(csp['connect-src']).toEqual(["'self'", new URL(production.apiBase).origin]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    // the scripts are served under the same rules
    expect(policyOf(await fetch(`${site}/app.js`))['frame-ancestors']).toEqual(["'none'"]);
  });

  it('lets Genesys Cloud, and only Genesys Cloud, frame the widget, under one CSP', async () => {
    const res = await fetch(`${site}/widget?tenant=demo`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('widget.js');
    // one policy, not the admin pages' joined to the widget's with a comma (both would be enforced)
    expect(res.headers.get('content-security-policy')).not.toContain(',');
    const csp = policyOf(res);
    expect(csp['frame-ancestors']).toEqual(Object.values(regions).map((domain) => `https://apps.${domain}`));
    expect(csp['connect-src']).toEqual(["'self'", new URL(production.apiBase).origin]);
    expect(csp['img-src']).toContain(new URL(production.apiBase).origin);
    expect(res.headers.get('x-frame-options')).toBeNull();
  });

  it('serves the API reference (Swagger UI, self-hosted) under one CSP of its own, calling only the bridge', async () => {
    const res = await fetch(`${site}/api-docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui-bundle.js');
    expect((await fetch(`${site}/api-docs/swagger-ui-bundle.js`)).status).toBe(200);
    expect(res.headers.get('content-security-policy')).not.toContain(',');
    const csp = policyOf(res);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['style-src-attr']).toEqual(["'unsafe-inline'"]);
    expect(csp['connect-src']).toEqual(["'self'", new URL(production.apiBase).origin]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves widget.html at /widget, the address to register as the OAuth redirect URI', async () => {
    const res = await fetch(`${site}/widget.html?tenant=demo&region=mypurecloud.ie`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('/widget?tenant=demo&region=mypurecloud.ie');
  });

  it('does not serve its _headers file', async () => {
    expect((await fetch(`${site}/_headers`)).status).toBe(404);
  });

  it('is refused by the browser inside a page that is not Genesys Cloud', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const answered: string[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(site) && r.status() === 200) answered.push(new URL(r.url()).pathname);
    });
    await page.goto('http://127.0.0.1:8838/');
    await page.waitForLoadState('load');
    // Both pages arrived (200), and Chromium replaced each frame with an error page because of
    // its frame-ancestors: neither the admin app nor the widget runs there (the sandbox's browser
    // test shows the widget framed by an allowed origin).
    expect(answered.sort()).toEqual(['/', '/widget']);
    const frames = page.frames().filter((f) => f !== page.mainFrame());
    expect(frames).toHaveLength(2);
    for (const frame of frames) expect(frame.url()).toBe('chrome-error://chromewebdata/');
    await context.close();
  });
});

describe('building the dashboard for an environment', () => {
  it('refuses a bridge URL that is not https, naming the environment', async () => {
    const config = path.join(dir, 'wrangler.bad.toml');
    writeFileSync(
      config,
      [
        'name = "x"',
        'main = "x.ts"',
        'compatibility_date = "2026-04-20"',
        '[env.staging.vars]',
        'PUBLIC_BASE_URL = "http://localhost:8787"',
      ].join('\n'),
    );
    await expect(environmentSite('staging', config)).rejects.toThrow(
      '[env.staging] PUBLIC_BASE_URL must be an https URL for the dashboard, not http://localhost:8787',
    );
  });

  it('lets a CRM that embeds Genesys frame the widget too, when the environment names it (https only)', async () => {
    const config = path.join(dir, 'wrangler.crm.toml');
    const write = (ancestors: string) =>
      writeFileSync(
        config,
        [
          'name = "x"',
          'main = "x.ts"',
          'compatibility_date = "2026-04-20"',
          '[env.production.vars]',
          'PUBLIC_BASE_URL = "https://bridge.example.com"',
          `WIDGET_FRAME_ANCESTORS = "${ancestors}"`,
        ].join('\n'),
      );
    write('https://acme.lightning.force.com, https://acme.my.salesforce.com');
    const crm = await environmentSite('production', config);
    expect(crm.frameAncestors).toEqual(['https://acme.lightning.force.com', 'https://acme.my.salesforce.com']);
    const widget = siteHeaders(siteSettings(crm)).split('\n/widget\n')[1]!;
    expect(widget).toContain('https://apps.mypurecloud.com');
    expect(widget).toContain('https://acme.lightning.force.com https://acme.my.salesforce.com');
    write('http://crm.example.com');
    await expect(environmentSite('production', config)).rejects.toThrow(
      '[env.production] WIDGET_FRAME_ANCESTORS must list https origins, not http://crm.example.com',
    );
  });

  it('writes the CSP and the config from the same bridge origin', () => {
    const headers = readFileSync(path.join(out, '_headers'), 'utf8');
    expect(headers).toContain(`connect-src 'self' ${new URL(production.apiBase).origin}`);
  });
});

describe('the check after a deploy (scripts/health-check.mjs)', () => {
  /** A bridge answering /health as the Worker does, healthy or not. */
  async function bridgeAnswering(status: number, body: unknown) {
    const bridge = createServer((_, res) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    );
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    const { port } = bridge.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => bridge.close() };
  }

  it('passes a healthy bridge and the dashboard built for it', async () => {
    const bridge = await bridgeAnswering(200, { ok: true, checks: { d1: { ok: true } } });
    expect(await deploymentFailures({ bridge: bridge.url, dashboard: site, apiBase: production.apiBase })).toEqual([]);
    bridge.close();
  });

  it('names a failing check, and a dashboard built for another bridge', async () => {
    const bridge = await bridgeAnswering(503, {
      ok: false,
      checks: { config: { ok: false, error: 'PUBLIC_BASE_URL must be https' }, d1: { ok: true } },
    });
    const failures = await deploymentFailures({
      bridge: bridge.url,
      dashboard: site,
      apiBase: 'https://bridge-staging.example.com',
    });
    expect(failures).toEqual([
      `bridge ${bridge.url}/health answered 503; config: PUBLIC_BASE_URL must be https`,
      `dashboard ${site}/config.json names ${production.apiBase}, not https://bridge-staging.example.com`,
      `dashboard ${site} is served without the CSP built for https://bridge-staging.example.com (_headers missing?)`,
    ]);
    bridge.close();
  });
});
