/**
 * Inbound end to end, in workerd: a signed Meta webhook enters the Worker, crosses the real queue
 * and the conversation Durable Object, and reaches the (fake) Genesys Open Messaging API.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import textFixture from './fixtures/meta/text.json';
import { installFakeNetwork, uninstallFakeNetwork, type FakeNetwork } from './fakes/network';
import { postWebhook, seedTenant, uniqueWamid, webhookFor } from './helpers';

let net: FakeNetwork;
beforeEach(() => {
  net = installFakeNetwork();
});
afterEach(() => uninstallFakeNetwork());

describe('a customer text message', () => {
  it('reaches the tenant integration on Genesys with the customer name and a bearer token', async () => {
    const tenant = await seedTenant(net);
    const wamid = uniqueWamid();
    const res = await postWebhook(webhookFor(textFixture, tenant, { id: wamid }), { secret: tenant.whatsapp.appSecret });
    expect(res.status).toBe(200);

    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [call] = net.genesys.callsFor(tenant.genesys.integrationId);
    expect(call!.endpoint).toBe('message');
    expect(call!.body).toEqual({
      channel: { messageId: wamid, from: { id: '+16505551234', idType: 'Phone', nickname: 'Sheena Nelson' }, time: '2025-06-08T20:59:43.000Z' },
      text: 'Does it come in another color?',
    });
    expect(net.unhandled).toEqual([]);

    const stub = env.CONVERSATION.getByName(`${tenant.id}:16505551234`);
    expect(await stub.lookup(wamid)).toMatchObject({ state: 'delivered', genesysId: call!.id });
    expect(await stub.serviceWindow(Date.parse('2025-06-08T21:00:00Z'))).toMatchObject({ open: true, lastCustomerMessageAt: 1749416383000 });
  });
});
