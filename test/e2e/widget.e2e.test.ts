/**
 * Issue #15 in Chromium, against its own local sandbox (ports 8827–8829, so it runs beside the
 * other browser tests): the simulator's agent desktop (Send image / Send buttons empty the input,
 * agent bubbles keep their own height), the agent widget's history as a person reads it (a tap,
 * a template with its values, no raw "[interactive]"/"[event]", the agent's typing left out) with
 * labelled inputs, and the admin API reference the dashboard serves at /api-docs/ (Swagger UI over
 * the bridge's OpenAPI document, "try it out" with the Authorize token, within the site's CSP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSandbox, OPERATOR_TOKEN } from '../../sandbox/sandbox.mjs';
import { launchChromium, SHOTS, simulate } from './browser';

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let browser: Browser;
let page: Page;
const T = { timeout: 30_000 };
const cspViolations: string[] = [];
const pageErrors: string[] = [];

const sim = (path: string, body: unknown) => simulate(sandbox.urls.sim, path, body);

const simState = async () => (await fetch(`${sandbox.urls.sim}/sim/state`)).json();

beforeAll(async () => {
  sandbox = await startSandbox({
    bridgePort: 8827,
    simPort: 8828,
    dashboardPort: 8829,
    stateDir: mkdtempSync(path.join(tmpdir(), 'widget-e2e-')),
    quiet: true,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  // The customer writes first: the window opens and Genesys gets a conversation (the widget link).
  await sim('/sim/customer', { kind: 'text', text: 'Where is my parcel?' });
});

afterAll(async () => {
  await browser?.close();
  sandbox?.stop();
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `widget-${name}.png`), fullPage: true });

describe('the simulator', () => {
  it('empties the input after Send image and Send buttons, and agent bubbles keep their own height', async () => {
    await page.goto(sandbox.urls.sim);
    await page.getByTestId('agent-chat').getByText('Where is my parcel?').waitFor(T);
    const input = page.getByTestId('agent-input');

    await input.fill('Your shipping label');
    await page.getByTestId('agent-send-image').click();
    expect(await input.inputValue()).toBe('');
    await page.getByTestId('agent-image').waitFor(T);

    await input.fill('What would you like to do?');
    await page.getByTestId('agent-send-buttons').click();
    expect(await input.inputValue()).toBe('');
    await page.getByTestId('phone-chat').getByTestId('wa-button').first().waitFor(T);

    // The desktop panel is 668 px tall; a bubble is a few lines (the image one: an 80 px picture and a line).
    const agentBubbles = page.locator('[data-testid="agent-msg"][data-from="agent"]');
    await expect.poll(() => agentBubbles.count(), T).toBe(2);
    for (const bubble of await agentBubbles.all()) {
      const box = await bubble.boundingBox();
      expect(box!.height).toBeGreaterThan(10);
      expect(box!.height).toBeLessThan(200);
    }
    // The customer taps a button; the agent sends a template and starts typing.
    await page.getByTestId('phone-chat').getByTestId('wa-button').filter({ hasText: 'Track order' }).click();
    await page.getByTestId('agent-chat').getByText('🔘 Track order').waitFor(T);
    await page.getByTestId('agent-send-template').click();
    await page.getByTestId('agent-typing').click();
    await expect
      .poll(
        async () =>
          (await simState()).phone.some(
            (p: { template?: string }) => p.template === 'Hi Demo Customer, your order A-1042 is on its way 🚚',
          ),
        T,
      )
      .toBe(true);
    await shot('01-simulator');
  });
});

describe('the agent widget', () => {
  it('reads every entry as a person would, leaves typing out, and labels its inputs', async () => {
    await page.goto(sandbox.urls.sim);
    const link = page.getByTestId('widget-link');
    await expect.poll(() => link.getAttribute('href'), T).toContain('gcConversationId=');
    const url = (await link.getAttribute('href'))!;
    // The bridge knows the Genesys conversation once the conversation's activity report reached
    // the index (ACTIVITY_REPORT_MS): until then the widget says so, and the agent reopens it.
    await expect
      .poll(async () => {
        await page.goto(url);
        await page.locator('[data-testid="customer-name"], [data-testid="widget-error"]').first().waitFor(T);
        return page.getByTestId('customer-name').count();
      }, T)
      .toBe(1);
    const labels = async () => page.getByTestId('history-label').allTextContents();
    await expect.poll(labels, T).toContain('Hi Demo Customer, your order A-1042 is on its way 🚚');
    // Sorted: WhatsApp stamps the customer's messages to the second, so the tap may sort before
    // agent messages sent within that same second (the timeline orders by time).
    const history = (await labels()).sort();
    expect(history).toEqual(
      [
        'Where is my parcel?',
        '📷 Photo: Your shipping label',
        'What would you like to do? [Track order | Talk to agent | Cancel]',
        'Tapped: Track order',
        'Hi Demo Customer, your order A-1042 is on its way 🚚',
      ].sort(),
    );
    const text = (await page.getByTestId('history').textContent()) ?? '';
    expect(text).not.toMatch(/\[(interactive|event|text|template|typing)\]/i);
    expect(text).not.toContain('Typing');

    // Every field has a label: the template picker and each of its values.
    expect(await page.getByLabel('Template').evaluate((el) => el.tagName)).toBe('SELECT');
    const fields = page.locator('#widget input, #widget select');
    expect(await fields.count()).toBeGreaterThanOrEqual(2);
    for (const field of await fields.all())
      expect(await field.evaluate((el: HTMLInputElement | HTMLSelectElement) => el.labels?.length ?? 0)).toBe(1);
    expect(await page.getByLabel('Value for {{1}}').count()).toBe(1);
    await shot('02-widget');
  });
});

describe('the API reference', () => {
  it("shows every operation with its schemas from the bridge's OpenAPI document, and tries one with the token", async () => {
    cspViolations.length = 0;
    pageErrors.length = 0;
    await page.goto(`${sandbox.urls.dashboard}/api-docs/`);
    const timeline = page.locator('.opblock-summary-path[data-path="/tenants/{tenantId}/conversations/{waId}"]');
    await timeline.waitFor(T);
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);

    // A schema: the timeline's entries, with the kind and label fields.
    await page.locator('section.models').getByText('Timeline', { exact: true }).first().click();
    await expect.poll(() => page.locator('section.models').textContent(), T).toContain('entries');

    // Try it out with the operator token given to Authorize.
    await page.locator('.btn.authorize').first().click();
    await page.locator('.auth-container').filter({ hasText: 'bearer' }).locator('input').fill(OPERATOR_TOKEN);
    await page.locator('.auth-container').filter({ hasText: 'bearer' }).locator('button.authorize').click();
    await page.locator('.btn-done').first().click();
    const tenants = page.locator('.opblock-get').filter({
      has: page.locator('.opblock-summary-path[data-path="/tenants"]'),
    });
    await tenants.locator('.opblock-summary').click();
    await tenants.locator('.try-out__btn').click();
    await tenants.locator('.execute').click();
    const response = tenants.locator('.live-responses-table tbody .response').first();
    await expect.poll(() => response.textContent(), T).toContain('Demo Company');
    expect(await response.locator('.response-col_status').textContent()).toBe('200');
    await shot('03-api-docs');
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
