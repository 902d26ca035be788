/**
 * Suspending a tenant (README "Suspending a tenant"): its webhooks are still accepted — Genesys
 * fails the whole chat on a non-2xx and Meta gives up after about a week — but nothing is sent
 * either way; resuming drains what was held, in order.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  agentSays,
  customerText,
  customerWrites,
  newCustomer,
  OPERATOR,
  postWebhook,
  seedTenant,
  WAIT,
  type SeededTenant,
} from './helpers';

const net = useFakeNetwork();

async function setStatus(tenant: SeededTenant, status: 'active' | 'suspended') {
  expect((await adminApi('PATCH', `/api/tenants/${tenant.id}`, OPERATOR, { status })).status).toBe(200);
}

/** What the conversation object holds back: pending messages per direction, and whether it is holding. */
function held(tenant: SeededTenant, waId: string) {
  return runInDurableObject(env.CONVERSATION.getByName(`${tenant.id}:${waId}`), (_i, state) => {
    const sql = state.storage.sql;
    const count = (q: string) => sql.exec<{ n: number }>(q).one().n;
    const until = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'held_until'").toArray()[0];
    return {
      inbound: count("SELECT COUNT(*) AS n FROM messages WHERE state = 'pending'"),
      outbound: count("SELECT COUNT(*) AS n FROM outbound WHERE state = 'pending'"),
      holding: Number(until?.value ?? 0) > Date.now(),
    };
  });
}

const genesysTexts = (tenant: SeededTenant) =>
  net.genesys.callsFor(tenant.genesys.integrationId).map((c) => c.body.text);
const whatsappTexts = (tenant: SeededTenant) =>
  net.meta.sentTo(tenant.whatsapp.phoneNumberId).map((m) => m.body.text?.body);

describe('a suspended tenant', () => {
  it('accepts webhooks both ways but sends nothing, and drains everything in order when resumed', async () => {
    const tenant = await seedTenant(net);
    const customer = newCustomer();
    await customerWrites(net, tenant, customer, 'before');
    await setStatus(tenant, 'suspended');

    const now = Math.floor(Date.now() / 1000);
    for (const [i, text] of ['held 1', 'held 2'].entries())
      expect(
        (await postWebhook(customerText(tenant, customer, text, now + i), { secret: tenant.whatsapp.appSecret }))
          .status,
      ).toBe(200);
    await agentSays(tenant, customer, { text: 'reply 1' });
    await agentSays(tenant, customer, { text: 'reply 2' });

    await vi.waitFor(
      async () => expect(await held(tenant, customer)).toEqual({ inbound: 2, outbound: 2, holding: true }),
      WAIT,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(genesysTexts(tenant)).toEqual(['before']);
    expect(whatsappTexts(tenant)).toEqual([]);

    await setStatus(tenant, 'active');
    await vi.waitFor(() => {
      expect(genesysTexts(tenant)).toEqual(['before', 'held 1', 'held 2']);
      expect(whatsappTexts(tenant)).toEqual(['reply 1', 'reply 2']);
    }, WAIT);
  });

  it('another tenant keeps flowing while one is suspended', async () => {
    const suspended = await seedTenant(net);
    const active = await seedTenant(net);
    await setStatus(suspended, 'suspended');
    const customer = newCustomer();
    await customerWrites(net, active, customer, 'still here');
    await agentSays(active, customer, { text: 'hello' });
    await vi.waitFor(() => expect(whatsappTexts(active)).toEqual(['hello']), WAIT);
  });

  it('resuming works even when this isolate still remembers the tenant as active', async () => {
    const tenant = await seedTenant(net);
    const customer = newCustomer();
    await customerWrites(net, tenant, customer, 'hi');
    // Suspended by another isolate: D1 and the gate say so, this isolate's tenant cache does not.
    await env.DB.prepare("UPDATE tenants SET status = 'suspended' WHERE id = ?").bind(tenant.id).run();
    await env.TENANT_GATE.getByName(tenant.id).holdWhatsapp(tenant.whatsapp.phoneNumberId, 'suspended', null);
    await agentSays(tenant, customer, { text: 'held' });
    await vi.waitFor(async () => expect(await held(tenant, customer)).toMatchObject({ outbound: 1 }), WAIT);
    await setStatus(tenant, 'active');
    await vi.waitFor(() => expect(whatsappTexts(tenant)).toEqual(['held']), WAIT);
  });
});
