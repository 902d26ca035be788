/**
 * The admin dashboard and the agent widget in Chromium, against the local sandbox.
 *
 * The dashboard is driven as each role would use it — a platform admin (operator token), a tenant
 * admin and a viewer (users created through the API) — at 1360 px and 420 px (the viewport is
 * switched, one sandbox for the file): onboarding with the wizard, monitoring (conversations with
 * search and timeline, failures linked to their conversation with payloads and replay), configuration,
 * access (keys, users) and metrics. Every page of every role passes axe-core with no serious or
 * critical violation, and a viewer is never shown a control it cannot use. Then the agent widget
 * signs the agent in with (simulated) Genesys. Screenshots in test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startSandbox, OPERATOR_TOKEN } from '../../sandbox/sandbox.mjs';
import { launchChromium, SHOTS, simulate } from './browser';
import demo from '../../sandbox/simulator/demo-tenant.json';

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let browser: Browser;
let page: Page;
const T = { timeout: 30_000 };
const cspViolations: string[] = [];
const contexts: BrowserContext[] = [];
const PASSWORD = 'correct horse battery staple';
const WIDE = { width: 1360, height: 900 };
const NARROW = { width: 420, height: 860 };
const TABS = ['overview', 'conversations', 'failures', 'alerts', 'metrics', 'settings', 'keys', 'audit'] as const;

const sim = (path: string, body: unknown) => simulate(sandbox.urls.sim, path, body);

async function api(method: string, path: string, body?: unknown, token = OPERATOR_TOKEN) {
  const res = await fetch(`${sandbox.urls.bridge}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as any };
}

/** A fresh browser context (what @axe-core/playwright needs), watched for CSP violations. */
async function newPage(viewport = WIDE): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const p = await context.newPage();
  // The site is served with its generated _headers (an assets-only Worker, as Pages would): any
  // script, style, call or image its CSP blocks shows up here.
  p.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return p;
}

beforeAll(async () => {
  sandbox = await startSandbox({
    bridgePort: 8807,
    simPort: 8808,
    dashboardPort: 8809,
    stateDir: mkdtempSync(path.join(tmpdir(), 'dashboard-e2e-')),
    quiet: true,
    // A dead letter within seconds instead of minutes.
    vars: { MAX_DELIVERY_ATTEMPTS: '2', RETRY_BASE_MS: '200' },
  });
  browser = await launchChromium();
  page = await newPage({ width: 1280, height: 860 });
  // Traffic to look at: the customer writes and sends a photo, the agent answers.
  await sim('/sim/customer', { kind: 'text', text: 'Hello, I need help with my order' });
  await sim('/sim/customer', { kind: 'image', text: 'the damaged box' });
  await sim('/sim/agent', { kind: 'text', text: 'Sorry about that! Let me look.' });
  // and one the agent sends during a WhatsApp outage: it ends in the dead-letter store
  await sim('/sim/outage', { sends: 2 });
  await sim('/sim/agent', { kind: 'text', text: 'This one hits an outage' });
  // The demo tenant's people, created through the API.
  for (const role of ['tenant-admin', 'viewer'])
    expect(
      (
        await api('POST', '/users', {
          email: `${role}@demo.example`,
          password: PASSWORD,
          role,
          tenantId: sandbox.tenantId,
        })
      ).status,
    ).toBe(201);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  sandbox?.stop();
});

/** A full-page screenshot of `p` (or, given a name alone, of the widget block's page). */
const shot = (p: Page | string, name?: string) => {
  const [target, file] = typeof p === 'string' ? [page, p] : [p, name!];
  return target.screenshot({ path: path.join(SHOTS, `dashboard-${file}.png`), fullPage: true });
};

/** axe-core on the page as it is now: no serious or critical violation. */
async function accessible(p: Page, where: string) {
  const { violations } = await new AxeBuilder({ page: p }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

/** Waits until nothing on the page is loading. */
async function settled(p: Page) {
  await expect.poll(() => p.getByTestId('loading').count(), T).toBe(0);
}

/** Nothing sticks out sideways (the page does not scroll horizontally). */
async function noSidewaysScroll(p: Page, where: string) {
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  // What sticks out, for the failure message.
  const culprits = await p.evaluate(() =>
    Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
  );
  expect(overflow, `${where} scrolls sideways: ${culprits.join(' ')}`).toBeLessThanOrEqual(0);
}

async function signInAs(p: Page, role: 'tenant-admin' | 'viewer') {
  await p.goto(sandbox.urls.dashboard);
  const form = p.getByTestId('password-form');
  await form.getByTestId('field-email').fill(`${role}@demo.example`);
  await form.getByTestId('field-password').fill(PASSWORD);
  await form.getByRole('button').click();
  await p.getByTestId('who').getByText(role).waitFor(T);
}

async function signInWithToken(p: Page) {
  await p.goto(sandbox.urls.dashboard);
  await p.getByTestId('token-form').getByTestId('field-token').fill(OPERATOR_TOKEN);
  await p.getByTestId('token-form').getByRole('button').click();
  await p.getByTestId('tenants').getByText('Demo Company').waitFor(T);
}

/** Opens the Failures tab until `count` dead letters wait to be replayed (a send dead-letters after its retries). */
async function untilReplayable(p: Page, count: number) {
  await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/failures`);
  await expect
    .poll(
      async () => {
        await p.reload();
        await p.getByTestId('dead-letters-list').waitFor(T);
        await settled(p);
        return p.getByTestId('replay').count();
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBe(count);
}

/** Every tab of the demo tenant at both widths: loaded, accessible, no sideways scroll, a screenshot. */
async function sweep(p: Page, who: string, check?: (tab: string) => Promise<void>) {
  for (const [width, viewport] of [
    ['1360', WIDE],
    ['420', NARROW],
  ] as const) {
    await p.setViewportSize(viewport);
    for (const tab of TABS) {
      await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/${tab}`);
      await p.getByTestId(`panel-${tab}`).waitFor(T);
      await settled(p);
      expect(await p.getByTestId(`tab-${tab}`).getAttribute('aria-selected')).toBe('true');
      await accessible(p, `${who} ${tab} @${width}`);
      await noSidewaysScroll(p, `${who} ${tab} @${width}`);
      await check?.(tab);
      await shot(p, `${who}-${tab}-${width}`);
    }
  }
  await p.setViewportSize(WIDE);
}

describe('the admin dashboard: platform admin', () => {
  let p: Page;
  beforeAll(async () => {
    p = await newPage();
  });

  it('refuses a wrong token in plain words, with role=alert', async () => {
    await p.goto(sandbox.urls.dashboard);
    await p.getByTestId('token-form').waitFor(T);
    await accessible(p, 'sign-in');
    await shot(p, '01-login');
    await p.getByTestId('token-form').getByTestId('field-token').fill('not-the-token');
    await p.getByTestId('token-form').getByRole('button').click();
    const error = p.getByTestId('token-form').getByRole('alert');
    await error.waitFor(T);
    expect(await error.textContent()).toContain('That token was not accepted');
    expect(await error.textContent()).not.toMatch(/Authorization|X-API-Key|unauthorized/);
  });

  it('onboards a tenant with the wizard: steps, region list, callback URLs with why, connection checks', async () => {
    await signInWithToken(p);
    await accessible(p, 'tenants');
    await shot(p, '02-tenants');
    await p.getByTestId('new-tenant').click();
    const form = p.getByTestId('tenant-form');
    // The slug rule is one the browser compiles (the `v` flag): validation is on.
    const slug = form.getByTestId('field-slug');
    await slug.fill('Not A Slug');
    expect(await slug.evaluate((i: HTMLInputElement) => i.validity.patternMismatch)).toBe(true);
    await slug.fill('acme-shoes');
    expect(await slug.evaluate((i: HTMLInputElement) => i.validity.valid)).toBe(true);
    await form.getByTestId('field-name').fill('Acme Shoes');
    await accessible(p, 'wizard step 1');
    await p.getByTestId('wizard-next').click();
    for (const [name, value] of Object.entries({
      // The simulator's demo business account holds a spare number: Meta lists it for the account's token.
      phoneNumberId: demo.spareNumber.phoneNumberId,
      wabaId: demo.whatsapp.wabaId,
      accessToken: demo.whatsapp.accessToken,
      appSecret: 'acme-app-secret-value',
      verifyToken: 'acme-verify-token',
    }))
      await form.getByTestId(`field-${name}`).fill(value);
    await shot(p, '03-onboarding-whatsapp');
    await p.getByTestId('wizard-next').click();
    const regions = await form.getByTestId('field-region').locator('option').allTextContents();
    expect(regions.length).toBeGreaterThan(10);
    await form.getByTestId('field-region').selectOption('mypurecloud.ie');
    await form.getByTestId('field-clientId').fill('acme-client-id');
    await form.getByTestId('field-clientSecret').fill('acme-client-secret-value');
    await accessible(p, 'wizard step 3');
    await p.getByTestId('wizard-next').click();
    expect(await p.getByTestId('review').textContent()).toContain('acme-shoes');
    expect(await p.getByTestId('review').textContent()).not.toContain('acme-app-secret-value');
    await p.getByTestId('create-tenant').click();
    await p.getByTestId('setup').waitFor(T);
    expect(await p.getByTestId('setup-verify-token').textContent()).toBe('acme-verify-token');
    expect(await p.getByTestId('setup-callback-url').textContent()).toBe(`${sandbox.urls.bridge}/webhooks/whatsapp`);
    expect(await p.getByTestId('setup').textContent()).toContain('several tenants');
    await p.getByTestId('test-connection').click();
    // the number is the demo account's; the simulator knows only the demo tenant's Genesys client
    await expect
      .poll(() => p.getByTestId('connection-result').textContent(), T)
      .toMatch(/WhatsApp: OK.*Genesys: FAILED/s);
    expect(await p.getByTestId('connection-result').textContent()).not.toMatch(/[{}]/);
    expect(await p.textContent('body')).not.toContain('acme-app-secret-value');
    await accessible(p, 'wizard done');
    await shot(p, '04-onboarding-setup');
  });

  it("shows a tenant's credentials masked, both connections working, and no Create integration once one exists", async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/overview`);
    await p.getByTestId('credentials').waitFor(T);
    expect(await p.getByTestId('credentials').textContent()).not.toContain('sandbox-demo-app-secret');
    expect(await p.getByTestId('create-integration').count()).toBe(0);
    await p.getByTestId('test-connection').click();
    await expect.poll(() => p.getByTestId('connection-result').textContent(), T).toMatch(/WhatsApp: OK.*Genesys: OK/s);
    await shot(p, '05-tenant-overview');
  });

  it('finds a conversation by phone number and shows its timeline beside the list, both at the top', async () => {
    // The conversation index is written by the activity queue a little after the messages: on a
    // loaded machine that can take longer than one look.
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/conversations`);
    await expect
      .poll(
        async () => {
          await p.reload();
          await p.getByTestId('conversations-list').waitFor(T);
          await settled(p);
          return p.getByTestId('open-conversation').count();
        },
        { timeout: 90_000, interval: 2000 },
      )
      .toBeGreaterThan(0);
    const searched = p.waitForRequest((r) => r.url().includes('/conversations?') && r.url().includes('q=447700900123'));
    await p.getByTestId('search').getByTestId('field-q').fill('447700900123');
    await p.getByTestId('search-submit').click();
    await searched;
    await p.getByTestId('open-conversation').first().click();
    await expect.poll(() => p.getByTestId('timeline-entry').count(), T).toBeGreaterThanOrEqual(3);
    expect(await p.getByTestId('timeline').textContent()).toContain('Sorry about that! Let me look.');
    // Each entry says what happened in words: the customer's photo with its caption, not "image" and an empty body.
    const labels = await p.getByTestId('timeline-label').allTextContents();
    expect(labels).toContain('📷 Photo: the damaged box');
    expect(labels.filter((l) => l.trim() === '')).toEqual([]);
    // The list keeps its own height: its first row is at the top, not stretched to the timeline's.
    const list = await p.getByTestId('conversations').boundingBox();
    const timeline = await p.getByTestId('timeline').boundingBox();
    expect(Math.abs(list!.y - timeline!.y)).toBeLessThan(80);
    expect(list!.height).toBeLessThan(timeline!.height);
    await shot(p, '06-timeline');
  });

  it('lists dead letters with their payload and conversation link, and replays the selected ones', async () => {
    await untilReplayable(p, 1);
    const row = p.getByTestId('dead-letters').locator('tbody tr').first();
    await row.getByTestId('payload').locator('summary').click();
    expect(await row.getByTestId('payload').locator('pre').textContent()).toContain('"queue": "outbound"');
    expect(await row.getByTestId('failure-conversation').getAttribute('href')).toContain('/conversations/');
    await accessible(p, 'failures with payload open');
    await shot(p, '07-dead-letters');
    await row.getByTestId('pick').check();
    await p.getByTestId('replay-selected').click();
    await expect.poll(() => p.getByTestId('replay-result').textContent(), T).toMatch(/1 replayed/);
    await p.getByTestId('dead-letters').getByText('replayed').waitFor(T);
    // the replayed message reaches the customer's phone
    const texts = async () =>
      ((await (await fetch(`${sandbox.urls.sim}/sim/state`)).json()).phone as Array<{ text?: string }>).map(
        (p) => p.text,
      );
    await expect
      .poll(
        async () =>
          (await texts()).filter((t) => t === 'Sorry about that! Let me look.' || t === 'This one hits an outage')
            .length,
        T,
      )
      .toBe(2);
    // From the failure to its conversation.
    await row.getByTestId('failure-conversation').click();
    await p.getByTestId('timeline-entry').first().waitFor(T);
  });

  it('charts messages and p50/p95 latency per hour with labelled axes in the viewer’s time zone, and the backlog', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/metrics`);
    await p.getByTestId('chart').locator('canvas').waitFor(T);
    await p.getByTestId('latency-chart').locator('canvas').waitFor(T);
    const zone = await p.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(await p.getByTestId('time-zone').textContent()).toContain(zone);
    expect(await p.getByTestId('chart').getAttribute('aria-label')).toContain(`hour (${zone})`);
    expect(await p.getByTestId('chart').getAttribute('aria-label')).toContain('messages per hour');
    expect(await p.getByTestId('latency-chart').textContent()).toContain('p95 latency');
    expect(await p.getByTestId('backlog').textContent()).toMatch(/Customer → agent waiting/);
    // the dead-lettered send of the outage counts as a failure in its hour
    const cells = await p.getByTestId('metrics').locator('tbody tr').first().locator('td').allTextContents();
    expect(Number(cells[3])).toBeGreaterThanOrEqual(1);
    expect(cells[4]).toMatch(/\d/);
    // Pointing at the chart reads that hour's values (uPlot's live legend).
    const box = (await p.getByTestId('chart').locator('.u-over').boundingBox())!;
    await p.mouse.move(box.x + box.width - 5, box.y + box.height / 2);
    expect(await p.getByTestId('chart').locator('.u-legend').textContent()).toMatch(/In \(customer → agent\)\s*\d/);
    await shot(p, '08-metrics');
  });

  it('configures the tenant: behaviour, alert channels, Genesys clients, hostnames, suspend and resume', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/settings`);
    const behaviour = p.getByTestId('behaviour-form');
    await behaviour.waitFor(T);
    const wasOn = await behaviour.getByTestId('field-markRead').isChecked();
    await behaviour.getByTestId('field-markRead').setChecked(!wasOn);
    await p.getByTestId('behaviour-form-submit').click();
    await p.getByTestId('behaviour-form-done').waitFor(T);
    expect((await api('GET', `/tenants/${sandbox.tenantId}`)).json.markRead).toBe(!wasOn);
    await p.getByTestId('hostname-form').waitFor(T);
    await p.getByTestId('client-form').waitFor(T);
    await p.getByTestId('whatsapp-form').waitFor(T);
    await p.getByTestId('genesys-form').waitFor(T);
    await p.getByTestId('delete-tenant').waitFor(T);
    await p.getByTestId('suspend').click();
    await p.getByTestId('suspended-badge').waitFor(T);
    await p.getByTestId('resume').click();
    await expect.poll(() => p.getByTestId('suspended-badge').count(), T).toBe(0);
    await shot(p, '09-settings');

    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/alerts`);
    const channel = p.getByTestId('channel-form');
    await channel.getByTestId('field-url').fill(`${sandbox.urls.sim}/sim/alerts`);
    await channel.getByTestId('field-label').fill('ops');
    await p.getByTestId('channel-form-submit').click();
    await expect.poll(() => p.getByTestId('channel-secret').textContent(), T).toMatch(/\w{16,}/);
    await p.getByTestId('alert-channels').getByText('ops').waitFor(T);
    await accessible(p, 'alerts with a channel');
  });

  it('rotates both credentials, adds and removes a custom hostname with its records, and finds nothing for a search with no match', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/settings`);
    // Rotating: the new values are checked by the bridge with Meta and Genesys before they are kept.
    await p.getByTestId('whatsapp-form').getByTestId('field-accessToken').fill(demo.whatsapp.accessToken);
    await p.getByTestId('whatsapp-form-submit').click();
    await p.getByTestId('whatsapp-form-done').waitFor(T);
    await p.getByTestId('genesys-form').getByTestId('field-clientSecret').fill(demo.genesys.clientSecret);
    await p.getByTestId('genesys-form-submit').click();
    await p.getByTestId('genesys-form-done').waitFor(T);
    expect(await p.textContent('body')).not.toContain(demo.genesys.clientSecret);
    const actions = (await api('GET', `/tenants/${sandbox.tenantId}/audit?limit=10`)).json.items.map(
      (e: { action: string }) => e.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['credentials.whatsapp.set', 'credentials.genesys.set']));

    // A custom hostname: pending at Cloudflare (the simulator), with the records its owner must publish.
    await p.getByTestId('hostname-form').getByTestId('field-hostname').fill('support.demo-shop.com');
    await p.getByTestId('hostname-form-submit').click();
    const hostnames = p.getByTestId('hostnames');
    await hostnames.getByRole('cell', { name: 'support.demo-shop.com', exact: true }).waitFor(T);
    expect(await hostnames.textContent()).toContain('pending');
    expect(await hostnames.textContent()).toContain('_cf-custom-hostname.support.demo-shop.com');
    await accessible(p, 'settings with a hostname');
    await hostnames.getByRole('button', { name: 'Remove' }).click();
    await expect
      .poll(async () => (await api('GET', `/tenants/${sandbox.tenantId}/hostnames`)).json.items, T)
      .toEqual([]);

    // A search that matches nothing says so.
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/conversations`);
    await p.getByTestId('open-conversation').first().waitFor(T);
    await p.getByTestId('search').getByTestId('field-q').fill('+1999');
    await p.getByTestId('search-submit').click();
    await p.getByTestId('empty').waitFor(T);
    expect(await p.getByTestId('open-conversation').count()).toBe(0);
  });

  it('shows the backlog of all tenants, and deletes a tenant once its slug is typed', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants`);
    await p.getByTestId('platform-backlog').getByTestId('backlog-inbound').waitFor(T);
    expect(await p.getByTestId('platform-backlog').textContent()).toMatch(/Customer → agent waiting\s*\d+ message/);

    // Searching tenants asks the API (q), so tenants beyond the first page are found too.
    const searched = p.waitForRequest((r) => r.url().includes('/api/tenants?') && r.url().includes('q=shoes'));
    await p.getByTestId('search').getByTestId('field-q').fill('shoes');
    await p.getByTestId('search-submit').click();
    await searched;
    await expect
      .poll(() => p.getByTestId('tenants').locator('tbody tr').allTextContents(), T)
      .toEqual([expect.stringContaining('Acme Shoes')]);
    await p.getByTestId('search').getByTestId('field-q').fill('no-such-tenant');
    await p.getByTestId('search-submit').click();
    await p.getByTestId('tenants-list').getByTestId('empty').waitFor(T);

    const acme = (await api('GET', '/tenants?limit=200')).json.items.find(
      (t: { slug: string }) => t.slug === 'acme-shoes',
    );
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${acme.id}/settings`);
    await p.getByTestId('delete-tenant').click();
    await p.getByTestId('delete-form').getByTestId('field-confirm').fill('acme-shoe');
    await p.getByTestId('delete-form-submit').click();
    await p.getByTestId('delete-form').getByRole('alert').waitFor(T);
    expect((await api('GET', `/tenants/${acme.id}`)).status).toBe(200);
    await p.getByTestId('delete-form').getByTestId('field-confirm').fill('acme-shoes');
    await p.getByTestId('delete-form-submit').click();
    await p.getByTestId('deleted').waitFor(T);
    expect((await api('GET', `/tenants/${acme.id}`)).status).toBe(404);
  });

  it('creates an API key that appears in the list at once, and a user; the audit log shows both', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/keys`);
    await p.getByTestId('key-form').getByTestId('field-name').fill('crm-sync');
    await p.getByTestId('key-form-submit').click();
    await expect.poll(() => p.getByTestId('new-key').textContent(), T).toMatch(/wgb_/);
    await p.getByTestId('keys').getByText('crm-sync').waitFor(T);
    await shot(p, '10-api-keys');

    await p.goto(`${sandbox.urls.dashboard}/#/users`);
    const form = p.getByTestId('user-form');
    await form.getByTestId('field-email').fill('second-viewer@demo.example');
    await form.getByTestId('field-password').fill(PASSWORD);
    await form.getByTestId('field-tenantId').selectOption({ label: 'Demo Company' });
    await p.getByTestId('user-form-submit').click();
    await p.getByTestId('users').getByText('second-viewer@demo.example').waitFor(T);
    await accessible(p, 'users');
    await shot(p, '11-users');

    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/audit`);
    await p.getByTestId('audit').getByText('apikey.create').first().waitFor(T);
    await p.getByTestId('audit').getByText('user.create').first().waitFor(T);
    await shot(p, '12-audit');
  });

  it('shows hours in the viewer’s time zone (a viewer in Asia/Kolkata, UTC+5:30, reads hours at :30)', async () => {
    const context = await browser.newContext({ viewport: WIDE, timezoneId: 'Asia/Kolkata' });
    contexts.push(context);
    const kolkata = await context.newPage();
    await signInWithToken(kolkata);
    await kolkata.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/metrics`);
    await kolkata.getByTestId('chart').locator('canvas').waitFor(T);
    // Chromium names the zone by its older alias, Asia/Calcutta.
    expect(await kolkata.getByTestId('time-zone').textContent()).toMatch(/Asia\/(Kolkata|Calcutta)/);
    const hour = (await kolkata.getByTestId('metrics').locator('tbody tr').first().locator('td').allTextContents())[0]!;
    expect(hour).toMatch(/:30/);
  });

  it('the pages outside a tenant at 420 px: sign-in, tenants, the wizard, users — accessible, nothing sideways', async () => {
    const narrow = await newPage(NARROW);
    await narrow.goto(sandbox.urls.dashboard);
    await narrow.getByTestId('token-form').waitFor(T);
    await accessible(narrow, 'sign-in @420');
    await noSidewaysScroll(narrow, 'sign-in @420');
    await signInWithToken(narrow);
    for (const [route, ready] of [
      ['#/tenants', 'tenants'],
      ['#/tenants/new', 'tenant-form'],
      ['#/users', 'user-form'],
    ] as const) {
      await narrow.goto(`${sandbox.urls.dashboard}/${route}`);
      await narrow.getByTestId(ready).waitFor(T);
      await settled(narrow);
      await accessible(narrow, `${route} @420`);
      await noSidewaysScroll(narrow, `${route} @420`);
      await shot(narrow, `platform-${ready}-420`);
    }
  });

  it('pages a list through the API: Load more while the API gives a next cursor', async () => {
    const seen: string[] = [];
    // The API's own cursor paging, with pages of 2 instead of the dashboard's 50 (the request is
    // rewritten on its way, the answer is the API's).
    const audit = (url: URL) => url.pathname.endsWith('/audit');
    await p.route(audit, async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const url = new URL(route.request().url());
      seen.push(url.search);
      url.searchParams.set('limit', '2');
      await route.continue({ url: url.toString() });
    });
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/audit`);
    await p.reload();
    await expect.poll(() => p.getByTestId('audit').locator('tbody tr').count(), T).toBe(2);
    const first = await p.getByTestId('audit').locator('tbody tr').allTextContents();
    await p.getByTestId('load-more').click();
    await expect.poll(() => p.getByTestId('audit').locator('tbody tr').count(), T).toBe(4);
    const all = await p.getByTestId('audit').locator('tbody tr').allTextContents();
    expect(all.slice(0, 2)).toEqual(first);
    expect(new Set(all).size).toBe(4);
    expect(seen[0]).toContain('limit=50');
    expect(seen[1]).toMatch(/cursor=[^&]+/);
    await p.unroute(audit);
  });

  it('every tab at 1360 px and 420 px: loaded, accessible, nothing sideways', async () => {
    await sweep(p, 'platform');
  });
});

/** Controls a viewer must never see. */
const ADMIN_ONLY = [
  'new-tenant',
  'revoke',
  'key-form',
  'replay',
  'replay-selected',
  'pick',
  'test-connection',
  'create-integration',
  'whatsapp-form',
  'genesys-form',
  'behaviour-form',
  'client-form',
  'hostname-form',
  'channel-form',
  'test-channel',
  'suspend',
  'resume',
  'delete-tenant',
  'delete-form',
  'user-form',
  'delete-user',
  'nav-users',
  'wizard-next',
  'create-tenant',
];

describe('the admin dashboard: tenant admin', () => {
  let p: Page;
  beforeAll(async () => {
    p = await newPage();
  });

  it('starts at its tenant and gets its tenant’s controls, not the platform’s', async () => {
    await signInAs(p, 'tenant-admin');
    await p.getByTestId('panel-overview').waitFor(T);
    expect(await p.getByTestId('nav-users').count()).toBe(1);
    await p.getByTestId('tab-settings').click();
    await p.getByTestId('behaviour-form').waitFor(T);
    await settled(p);
    expect(await p.getByTestId('whatsapp-form').count()).toBe(1);
    expect(await p.getByTestId('suspend').count()).toBe(1);
    // platform admin only
    expect(await p.getByTestId('hostname-form').count()).toBe(0);
    expect(await p.getByTestId('delete-tenant').count()).toBe(0);
    await p.goto(`${sandbox.urls.dashboard}/#/tenants`);
    await p.getByTestId('panel-overview').waitFor(T);
    expect(await p.getByTestId('new-tenant').count()).toBe(0);
  });

  it('does its tenant’s work: replays a dead letter, rotates the WhatsApp token, creates an API key', async () => {
    // Another send during an outage, dead-lettered after its two attempts.
    await sim('/sim/outage', { sends: 2 });
    await sim('/sim/agent', { kind: 'text', text: 'A second try during an outage' });
    await untilReplayable(p, 1);
    await p.getByTestId('replay').click();
    await p.getByTestId('dead-letters').getByText('replayed').first().waitFor(T);
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${sandbox.urls.sim}/sim/state`)).json()).phone as Array<{ text?: string }>).some(
            (m) => m.text === 'A second try during an outage',
          ),
        T,
      )
      .toBe(true);

    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/settings`);
    await p.getByTestId('whatsapp-form').getByTestId('field-accessToken').fill(demo.whatsapp.accessToken);
    await p.getByTestId('whatsapp-form-submit').click();
    await p.getByTestId('whatsapp-form-done').waitFor(T);

    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/keys`);
    await p.getByTestId('key-form').getByTestId('field-name').fill('tenant-admin-key');
    await p.getByTestId('key-form-submit').click();
    await p.getByTestId('keys').getByText('tenant-admin-key').waitFor(T);
    const actors = (await api('GET', `/tenants/${sandbox.tenantId}/audit?limit=20`)).json.items
      .filter((e: { action: string }) =>
        ['deadletter.replay.bulk', 'credentials.whatsapp.set', 'apikey.create'].includes(e.action),
      )
      .map((e: { actor: string }) => e.actor);
    expect(actors.filter((a: string) => a.startsWith('user:'))).toHaveLength(3);

    // Narrowing the failures: both dead letters went agent → customer, with the same error code.
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/failures`);
    const deadRows = () => p.getByTestId('dead-letters').locator('tbody tr').count();
    await expect.poll(deadRows, T).toBe(2);
    const code = (await api('GET', `/tenants/${sandbox.tenantId}/dead-letters`)).json.items[0].errorCode as string;
    const search = p.getByTestId('search');
    await search.getByTestId('field-direction').selectOption('inbound');
    await p.getByTestId('dead-letters-list').getByTestId('empty').waitFor(T);
    await search.getByTestId('field-direction').selectOption('outbound');
    await expect.poll(deadRows, T).toBe(2);
    await search.getByTestId('field-code').fill('no_such_code');
    await p.getByTestId('search-submit').click();
    await p.getByTestId('dead-letters-list').getByTestId('empty').waitFor(T);
    await search.getByTestId('field-code').fill(code);
    await p.getByTestId('search-submit').click();
    await expect.poll(deadRows, T).toBe(2);
  });

  it('creates a viewer of its own tenant; platform-admin is not offered', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/users`);
    const form = p.getByTestId('user-form');
    await form.waitFor(T);
    expect(await form.getByTestId('field-role').locator('option').allTextContents()).toEqual([
      'viewer',
      'tenant-admin',
    ]);
    await form.getByTestId('field-email').fill('third-viewer@demo.example');
    await form.getByTestId('field-password').fill(PASSWORD);
    await p.getByTestId('user-form-submit').click();
    await p.getByTestId('users').getByText('third-viewer@demo.example').waitFor(T);
    await accessible(p, 'tenant-admin users');
    await shot(p, 'tenant-admin-users');
  });

  it('every tab at 1360 px and 420 px: loaded, accessible, nothing sideways', async () => {
    await sweep(p, 'tenant-admin', async (tab) => {
      if (tab === 'keys') expect(await p.getByTestId('key-form').count()).toBe(1);
    });
  });
});

describe('the admin dashboard: viewer', () => {
  let p: Page;
  beforeAll(async () => {
    p = await newPage();
  });

  it('sees every tab but never a control it cannot use, at both widths', async () => {
    await signInAs(p, 'viewer');
    await sweep(p, 'viewer', async (tab) => {
      for (const id of ADMIN_ONLY) expect(await p.getByTestId(id).count(), `${tab}: ${id}`).toBe(0);
      const buttons = await p.getByRole('button').allTextContents();
      expect(buttons.filter((b) => /Revoke|Replay|Remove|Create|Add |Save|Suspend|Resume|Delete|Test/.test(b))).toEqual(
        [],
      );
      expect(await p.textContent('body')).not.toMatch(/forbidden|needs the .* role/);
    });
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/settings`);
    await p.getByTestId('read-only').waitFor(T);
    // Addresses typed by hand show no controls either.
    for (const route of ['#/users', '#/tenants/new', '#/tenants']) {
      await p.goto(`${sandbox.urls.dashboard}/${route}`);
      await settled(p);
      for (const id of ADMIN_ONLY) expect(await p.getByTestId(id).count(), `${route}: ${id}`).toBe(0);
      expect(await p.textContent('body')).not.toMatch(/forbidden|needs the .* role/);
    }
  });

  it('sees an upstream failure in plain words with Try again, which loads the list', async () => {
    // The failures list answers 503 once: the error note, then Try again loads it.
    let failed = false;
    const failures = (url: URL) => url.pathname.endsWith('/failures');
    await p.route(failures, async (route) => {
      if (failed) return route.continue();
      failed = true;
      await route.fulfill({
        status: 503,
        json: {
          error: { code: 'upstream_failed', message: 'Genesys answered 503: {"message":"Service Unavailable"}' },
        },
      });
    });
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/failures`);
    const alert = p.getByTestId('failures-list').getByRole('alert');
    await alert.waitFor(T);
    expect(await alert.textContent()).toContain('Service Unavailable');
    expect(await alert.textContent()).not.toMatch(/[{}]/);
    await accessible(p, 'viewer failures error');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await p
      .getByTestId('failures-list')
      .getByRole('alert')
      .waitFor({ state: 'detached', ...T });
    await p.unroute(failures);
    // Loaded after all: its table, or the words for an empty list — never bare headers.
    await p.getByTestId('failures-list').locator('table, [data-testid=empty]').first().waitFor(T);
  });

  it('keeps its session alive: it is refreshed before its 15 minutes run out', async () => {
    const before = await p.evaluate(() => JSON.parse(sessionStorage.getItem('bridge-session')!).token as string);
    // As if 14 minutes had passed: the session is due for its refresh.
    await p.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem('bridge-session')!);
      sessionStorage.setItem('bridge-session', JSON.stringify({ ...s, expiresAt: Date.now() + 60_000 }));
    });
    await p.reload();
    await expect
      .poll(() => p.evaluate(() => JSON.parse(sessionStorage.getItem('bridge-session') ?? '{}').token as string), T)
      .not.toBe(before);
    const after = await p.evaluate(
      () => JSON.parse(sessionStorage.getItem('bridge-session')!) as { token: string; expiresAt: number },
    );
    expect(after.expiresAt).toBeGreaterThan(Date.now() + 10 * 60_000);
    // the old session is over, the new one works
    expect((await api('GET', '/tenants', undefined, before)).status).toBe(401);
    expect((await api('GET', '/tenants', undefined, after.token)).status).toBe(200);
  });

  it('says so in plain words when the session ends while the conversations list is live', async () => {
    await p.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/conversations`);
    await p.getByTestId('open-conversation').first().waitFor(T);
    const { token } = await p.evaluate(
      () => JSON.parse(sessionStorage.getItem('bridge-session')!) as { token: string },
    );
    expect((await api('POST', '/auth/logout', undefined, token)).status).toBe(204);
    await p.getByTestId('session-ended').waitFor(T);
    expect(await p.getByTestId('session-ended').textContent()).toContain('Sign in again');
    await accessible(p, 'session ended');
    await shot(p, 'viewer-session-ended');
  });
});

describe('the agent widget', () => {
  it('verifies the agent with Genesys, shows the customer, window and history, and sends an approved template', async () => {
    await page.goto(sandbox.urls.sim);
    const link = page.getByTestId('widget-link');
    await expect.poll(() => link.getAttribute('href'), T).toContain('gcConversationId=');
    // as Genesys Agent Desktop would: open the widget URL; it signs the agent in (implicit grant) and comes back
    await page.goto((await link.getAttribute('href'))!);
    await page.getByTestId('customer-name').waitFor(T);
    expect(await page.getByTestId('customer-name').textContent()).toBe('Demo Customer');
    expect(await page.getByTestId('customer-number').textContent()).toBe('+447700900123');
    expect(await page.getByTestId('window-countdown').textContent()).toMatch(/^open for \d\d:\d\d:\d\d$/);
    await expect
      .poll(
        () => page.getByTestId('history-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
        T,
      )
      .toBe(80);
    expect(await page.getByTestId('history').textContent()).toContain('Hello, I need help with my order');

    await page.getByTestId('template-select').selectOption({ label: 'follow_up (en_US)' });
    await page.getByTestId('template-param-1').fill('Demo Customer');
    await shot('12-widget');
    await page.getByTestId('send-template').click();
    await expect.poll(() => page.getByTestId('template-status').textContent(), T).toBe('Template sent.');
    await expect
      .poll(
        async () =>
          (await (await fetch(`${sandbox.urls.sim}/sim/state`)).json()).phone.some(
            (p: { template?: string }) => p.template === 'Hi Demo Customer, do you still need help with your order?',
          ),
        T,
      )
      .toBe(true);
  });

  it('runs framed inside Agent Desktop (the simulator, an allowed frame ancestor) and signs the agent in there', async () => {
    await page.goto(sandbox.urls.sim);
    const link = page.getByTestId('widget-link');
    await expect.poll(() => link.getAttribute('href'), T).toContain('gcConversationId=');
    const url = (await link.getAttribute('href'))!;
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.id = 'embedded-widget';
      frame.src = src;
      document.body.append(frame);
    }, url);
    const widget = page.frameLocator('#embedded-widget');
    await widget.getByTestId('customer-name').waitFor(T);
    expect(await widget.getByTestId('customer-name').textContent()).toBe('Demo Customer');
  });

  it("refuses a token it did not ask for (a crafted link carrying someone else's token)", async () => {
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const fragment = new URLSearchParams({
      access_token: 'someone-elses-token',
      token_type: 'bearer',
      state: `not-our-nonce.?tenant=demo&region=${demo.genesys.region}&gcConversationId=x`,
    });
    await page.goto(`${sandbox.urls.dashboard}/widget#${fragment}`);
    await page.getByTestId('widget-error').waitFor(T);
    expect(await page.getByTestId('widget-error').textContent()).toContain('did not start from this widget');
    expect(requested.filter((u) => u.includes('/api/widget/session'))).toEqual([]);
  });

  it('refuses a region that is not a Genesys Cloud domain instead of sending the agent to sign in there', async () => {
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${sandbox.urls.dashboard}/widget?tenant=demo&region=evil.example&gcConversationId=x`);
    await page.getByTestId('widget-error').waitFor(T);
    expect(await page.getByTestId('widget-error').textContent()).toContain(
      'Unknown Genesys Cloud region "evil.example"',
    );
    expect(page.url().startsWith(sandbox.urls.dashboard)).toBe(true);
    expect(requested.filter((u) => new URL(u).hostname.endsWith('evil.example'))).toEqual([]);
  });
});

describe('the dashboard site', () => {
  it('ran every page above without a Content Security Policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
