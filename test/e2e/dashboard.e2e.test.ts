/**
 * The admin dashboard and the agent widget in Chromium, against the local sandbox: sign-in,
 * tenants and the onboarding wizard, a conversation timeline, dead letters and replay, charts,
 * API keys, users, audit — and the widget signing the agent in with (simulated) Genesys, showing
 * the customer and history, and sending an approved template. One screenshot per page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSandbox, OPERATOR_TOKEN } from '../../sandbox/sandbox.mjs';
import { launchChromium, SHOTS } from './browser';
import demo from '../../sandbox/simulator/demo-tenant.json';

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let browser: Browser;
let page: Page;
const T = { timeout: 30_000 };
const cspViolations: string[] = [];

async function sim(path: string, body: unknown) {
  const res = await fetch(`${sandbox.urls.sim}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
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
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  // The site is served with its generated _headers (an assets-only Worker, as Pages would): any
  // script, style, call or image its CSP blocks shows up here.
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  // Traffic to look at: the customer writes and sends a photo, the agent answers.
  await sim('/sim/customer', { kind: 'text', text: 'Hello, I need help with my order' });
  await sim('/sim/customer', { kind: 'image', text: 'the damaged box' });
  await sim('/sim/agent', { kind: 'text', text: 'Sorry about that! Let me look.' });
  // and one the agent sends during a WhatsApp outage: it ends in the dead-letter store
  await sim('/sim/outage', { sends: 2 });
  await sim('/sim/agent', { kind: 'text', text: 'This one hits an outage' });
});

afterAll(async () => {
  await browser?.close();
  sandbox?.stop();
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `dashboard-${name}.png`), fullPage: true });

describe('the admin dashboard', () => {
  it('signs in, lists tenants, onboards a new one and checks its connection', async () => {
    await page.goto(sandbox.urls.dashboard);
    await page.getByTestId('token-form').waitFor(T);
    await shot('01-login');
    await page.getByTestId('token-form').getByTestId('field-token').fill(OPERATOR_TOKEN);
    await page.getByTestId('token-form').getByRole('button').click();
    await page.getByTestId('tenants').getByText('Demo Company').waitFor(T);
    await shot('02-tenants');

    await page.getByTestId('new-tenant').click();
    const form = page.getByTestId('tenant-form');
    for (const [name, value] of Object.entries({
      name: 'Acme Shoes',
      slug: 'acme-shoes',
      // The simulator's demo business account holds a spare number: Meta lists it for the account's token.
      phoneNumberId: demo.spareNumber.phoneNumberId,
      wabaId: demo.whatsapp.wabaId,
      accessToken: demo.whatsapp.accessToken,
      appSecret: 'acme-app-secret-value',
      verifyToken: 'acme-verify-token',
      region: 'mypurecloud.ie',
      clientId: 'acme-client-id',
      clientSecret: 'acme-client-secret-value',
    })) {
      await form.getByTestId(`field-${name}`).fill(value);
    }
    await shot('03-onboarding-form');
    await page.getByTestId('create-tenant').click();
    await page.getByTestId('setup').waitFor(T);
    expect(await page.getByTestId('setup-verify-token').textContent()).toBe('acme-verify-token');
    expect(await page.getByTestId('setup-callback-url').textContent()).toBe(`${sandbox.urls.bridge}/webhooks/whatsapp`);
    await page.getByTestId('test-connection').click();
    // the number is the demo account's; the simulator knows only the demo tenant's Genesys client
    await expect
      .poll(() => page.getByTestId('connection-result').textContent(), T)
      .toMatch(/WhatsApp: OK.*Genesys: FAILED/s);
    expect(await page.textContent('body')).not.toContain('acme-app-secret-value');
    await shot('04-onboarding-setup');
  });

  it("shows a tenant's credentials masked and both connections working", async () => {
    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/overview`);
    await page.getByTestId('credentials').waitFor(T);
    expect(await page.getByTestId('credentials').textContent()).not.toContain('sandbox-demo-app-secret');
    await page.getByTestId('test-connection').click();
    await expect
      .poll(() => page.getByTestId('connection-result').textContent(), T)
      .toMatch(/WhatsApp: OK.*Genesys: OK/s);
    await shot('05-tenant-overview');
  });

  it('shows conversations and a timeline with per-message status', async () => {
    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/conversations`);
    await page.getByTestId('open-conversation').first().click();
    await expect.poll(() => page.getByTestId('timeline-entry').count(), T).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('timeline').textContent()).toContain('Sorry about that! Let me look.');
    await shot('06-timeline');
  });

  it('lists dead letters and replays one', async () => {
    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/failures`);
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByTestId('dead-letters').waitFor(T);
          return page.getByTestId('replay').count();
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(1);
    await shot('07-dead-letters');
    await page.getByTestId('replay').click();
    await page.getByTestId('dead-letters').getByText('replayed').waitFor(T);
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
  });

  it('charts messages, failures and latency per hour', async () => {
    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/metrics`);
    await page.getByTestId('chart').waitFor(T);
    expect(await page.getByTestId('chart').locator('rect[height]:not([height="0"])').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('latency-line').getAttribute('points')).toMatch(/\d/);
    // the dead-lettered send of the outage counts as a failure in its hour
    const cells = await page.getByTestId('metrics').locator('tr').nth(1).locator('td').allTextContents();
    expect(Number(cells[3])).toBeGreaterThanOrEqual(1);
    await shot('08-metrics');
  });

  it('shows the alerts tab: incident history and channels', async () => {
    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/alerts`);
    await page.getByTestId('alerts').waitFor(T);
    await page.getByTestId('alert-channels').waitFor(T);
    expect(await page.getByTestId('alerts').textContent()).toContain('Resolved');
  });

  it('creates an API key (shown once) and a user; the audit log shows both', async () => {
    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/keys`);
    await page.getByTestId('field-name').fill('crm-sync');
    await page.getByTestId('create-key').click();
    await expect.poll(() => page.getByTestId('new-key').textContent(), T).toMatch(/wgb_/);
    await shot('09-api-keys');

    await page.goto(`${sandbox.urls.dashboard}/#/users`);
    const form = page.getByTestId('user-form');
    await form.getByTestId('field-email').fill('viewer@demo.example');
    await form.getByTestId('field-password').fill('correct horse battery staple');
    await form.locator('select[name="tenantId"]').selectOption({ label: 'Demo Company' });
    await page.getByTestId('create-user').click();
    await page.getByTestId('users').getByText('viewer@demo.example').waitFor(T);
    await shot('10-users');

    await page.goto(`${sandbox.urls.dashboard}/#/tenants/${sandbox.tenantId}/audit`);
    await page.getByTestId('audit').getByText('apikey.create').waitFor(T);
    await page.getByTestId('audit').getByText('user.create').waitFor(T);
    await shot('11-audit');
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
