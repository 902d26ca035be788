/**
 * The local sandbox as a newcomer sees it: a conversation crosses the bridge both ways in the
 * simulator page — text, an image each way, buttons and a tap, a template, receipts (ticks) and
 * typing — driven in Debian's Chromium. Screenshots land in test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SHOTS } from './browser';
import { startSandbox } from '../../sandbox/sandbox.mjs';

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sandbox = await startSandbox({
    bridgePort: 8797,
    simPort: 8798,
    dashboardPort: 8799,
    stateDir: mkdtempSync(path.join(tmpdir(), 'sandbox-e2e-')),
    quiet: true,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
});

afterAll(async () => {
  await browser?.close();
  sandbox?.stop();
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `sandbox-${name}.png`) });
const agentMessages = () => page.getByTestId('agent-chat').getByTestId('agent-msg');
const phoneMessages = () => page.getByTestId('phone-chat').getByTestId('phone-msg');

describe('the sandbox conversation', () => {
  it('crosses the bridge both ways: text, images, typing, receipts, buttons and a template', async () => {
    await page.goto(sandbox.urls.sim);
    await expect
      .poll(() => page.getByTestId('status').textContent(), { timeout: 20_000 })
      .toBe('connected to the bridge');

    // Customer → agent: text
    await page.getByTestId('phone-input').fill('Hi, where is my order?');
    await page.getByTestId('phone-send').click();
    await expect
      .poll(() => agentMessages().filter({ hasText: 'Hi, where is my order?' }).count(), { timeout: 20_000 })
      .toBe(1);
    await shot('1-customer-text');

    // Customer → agent: an image, fetched by the agent's browser through the bridge's signed media URL
    await page.getByTestId('phone-input').fill('this is the parcel');
    await page.getByTestId('phone-send-image').click();
    const agentImage = page.getByTestId('agent-chat').getByTestId('agent-image');
    await expect.poll(() => agentImage.count(), { timeout: 20_000 }).toBe(1);
    await expect
      .poll(() => agentImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 20_000 })
      .toBe(80);
    expect(await agentImage.getAttribute('src')).toContain(`${sandbox.urls.bridge}/media/`);
    await shot('2-customer-image');

    // Agent typing → the phone shows it
    await page.getByTestId('agent-typing').click();
    await expect.poll(() => page.getByTestId('phone-typing').textContent(), { timeout: 20_000 }).toBe('typing…');
    await shot('3-agent-typing');

    // Agent → customer: text. Genesys hears Delivered (the only success receipt its Open Messaging
    // API accepts, even though WhatsApp also reports read); the customer's messages turn blue.
    await page.getByTestId('agent-input').fill('Let me check that for you.');
    await page.getByTestId('agent-send').click();
    await expect
      .poll(() => phoneMessages().filter({ hasText: 'Let me check that for you.' }).count(), { timeout: 20_000 })
      .toBe(1);
    const receipt = agentMessages().filter({ hasText: 'Let me check that for you.' }).getByTestId('receipt');
    await expect.poll(() => receipt.getAttribute('data-receipt'), { timeout: 20_000 }).toBe('Delivered');
    await expect
      .poll(() => page.getByTestId('phone-chat').locator('[data-ticks="read"]').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    await shot('4-agent-text-delivered');

    // Agent → customer: an image
    await page.getByTestId('agent-send-image').click();
    await expect
      .poll(() => page.getByTestId('phone-chat').getByTestId('phone-image').count(), { timeout: 20_000 })
      .toBe(2);

    // Agent buttons → the customer taps one → the agent sees the answer
    await page.getByTestId('agent-send-buttons').click();
    const button = page.getByTestId('phone-chat').getByTestId('wa-button').filter({ hasText: 'Track order' });
    await expect.poll(() => button.count(), { timeout: 20_000 }).toBe(1);
    await shot('5-buttons-on-phone');
    await button.click();
    await expect.poll(() => agentMessages().filter({ hasText: '🔘 Track order' }).count(), { timeout: 20_000 }).toBe(1);
    await shot('6-button-answer');

    // Agent template → rendered on the phone from the approved template
    await page.getByTestId('agent-send-template').click();
    await expect
      .poll(() => phoneMessages().filter({ hasText: 'Hi Demo Customer, your order A-1042 is on its way' }).count(), {
        timeout: 20_000,
      })
      .toBe(1);
    await shot('7-template');

    // nothing failed along the way
    expect(await page.getByTestId('agent-chat').locator('[data-receipt="Failed"]').count()).toBe(0);
  });
});
