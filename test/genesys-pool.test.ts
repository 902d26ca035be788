/**
 * The Genesys token pool and the lease-based gate (README "Genesys budget: the token pool"), in
 * workerd against the fake Genesys, which answers 429 past 300 requests per token and window
 * (GENESYS_WINDOW_MS, 6 s in these tests, shared with the bridge's gate):
 * - a tenant adds OAuth clients through the admin API, each checked with Genesys, sealed, masked;
 * - conversations spread over every client, each client within its own budget, and a removed
 *   client is no longer used;
 * - conversation objects take permits in leases, so the gate is asked far less than once per
 *   message, and an idle conversation gives back what it did not spend.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { TenantGateDO } from '../durable-objects/tenant-gate.do';
import { conversationName } from '../workers/domain/conversation';
import { budgetShardName, clientEntryFor, DEFAULT_CLIENT_ENTRY } from '../workers/domain/genesys-pool';
import { useFakeNetwork } from './fakes/network';
import { customerMessageItem, newCustomer, seedTenant, type SeededTenant, uniqueWamid, WAIT } from './helpers';

const net = useFakeNetwork();

const OPERATOR = { authorization: 'Bearer test-operator-token' };

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = OPERATOR) {
  const res = await exports.default.fetch(
    new Request(`https://bridge.test${path}`, {
      method,
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }),
  );
  const text = await res.text();
  return { status: res.status, text, json: (text ? JSON.parse(text) : null) as any };
}

/** Registers a new OAuth client at the fake Genesys and adds it to the tenant's pool. */
async function addClient(tenant: SeededTenant, label?: string) {
  const clientId = `pool-client-${crypto.randomUUID()}`;
  const clientSecret = `pool-secret-${crypto.randomUUID()}`;
  net.genesys.registerClient(clientId, clientSecret);
  const added = await api('POST', `/api/tenants/${tenant.id}/genesys/clients`, { clientId, clientSecret, label });
  expect(added.status).toBe(201);
  return { entryId: added.json.id as string, clientId, clientSecret, view: added.json };
}

/** `count` customer messages, in order, handed to the customer's conversation object as the inbound consumer does. */
async function customerSends(tenant: SeededTenant, waId: string, count: number): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const items = Array.from({ length: count }, (_, i) =>
    customerMessageItem(tenant, waId, {
      id: uniqueWamid(),
      from: waId,
      timestamp: String(now + i),
      type: 'text',
      text: { body: `m${i}` },
    }),
  );
  const accepted = await env.CONVERSATION.getByName(conversationName(tenant.id, waId)).acceptInbound(items);
  expect(accepted.accepted).toHaveLength(count);
}

const calls = (tenant: SeededTenant) => net.genesys.callsFor(tenant.genesys.integrationId);
/** The OAuth client whose token carried each of the customer's messages to Genesys. */
const clientsOf = (tenant: SeededTenant, waId: string) =>
  new Set(
    calls(tenant)
      .filter((c) => (c.body.channel as { from: { id: string } }).from.id === `+${waId}`)
      .map((c) => net.genesys.clientOfToken(c.token)),
  );
const rateLimited = (tenant: SeededTenant) =>
  net.genesys.requests.filter((r) => r.integrationId === tenant.genesys.integrationId && r.status === 429);

describe("a tenant's Genesys OAuth clients (admin API)", () => {
  it('lists the default client with its budget; an added client is checked with Genesys, never shown, audited', async () => {
    const tenant = await seedTenant(net);
    const path = `/api/tenants/${tenant.id}/genesys/clients`;
    expect((await api('GET', path)).json).toEqual({
      items: [
        {
          id: 'default',
          clientId: tenant.genesys.clientId,
          clientSecret: expect.stringMatching(/^••••/),
          label: null,
          isDefault: true,
          usage: { windowMs: 6000, budget: 300, used: 0 },
          token: { state: 'none', expiresAt: null },
        },
      ],
    });

    const tokenRequests = net.genesys.tokenRequests;
    const added = await addClient(tenant, 'second client');
    expect(net.genesys.tokenRequests).toBe(tokenRequests + 1);
    expect(added.view).toMatchObject({
      clientId: added.clientId,
      label: 'second client',
      isDefault: false,
      usage: { windowMs: 6000, budget: 300, used: 0 },
    });
    const list = await api('GET', path);
    expect(list.json.items.map((c: { id: string }) => c.id)).toEqual(['default', added.entryId]);
    expect(list.text).not.toContain(added.clientSecret);
    const stored = await env.DB.prepare('SELECT * FROM genesys_clients WHERE tenant_id = ?').bind(tenant.id).all();
    expect(JSON.stringify(stored.results)).not.toContain(added.clientSecret);
    expect(stored.results).toMatchObject([{ client_secret_enc: expect.stringMatching(/^v2:k0:/) }]);

    const audit = await api('GET', `/api/tenants/${tenant.id}/audit`);
    expect(audit.json.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'genesys.client.add', target: added.entryId, actor: 'operator' }),
      ]),
    );
    expect(audit.text).not.toContain(added.clientSecret);
  });

  it('refuses credentials Genesys refuses, a client the tenant already has, and a viewer; saves nothing', async () => {
    const tenant = await seedTenant(net);
    const path = `/api/tenants/${tenant.id}/genesys/clients`;
    const refused = await api('POST', path, { clientId: 'unknown-client', clientSecret: 'not-the-secret' });
    expect(refused).toMatchObject({ status: 422, json: { error: { code: 'genesys_client_refused' } } });
    const again = await api('POST', path, { clientId: tenant.genesys.clientId, clientSecret: 'whatever-secret' });
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'conflict' } } });

    const key = await api('POST', `/api/tenants/${tenant.id}/api-keys`, { name: 'viewer', role: 'viewer' });
    net.genesys.registerClient('viewer-client', 'viewer-client-secret');
    const viewer = { 'x-api-key': key.json.key as string };
    const body = { clientId: 'viewer-client', clientSecret: 'viewer-client-secret' };
    expect((await api('POST', path, body, viewer)).status).toBe(403);
    expect((await api('GET', path, undefined, viewer)).json.items).toHaveLength(1);

    // Nor may a client of the pool become the default one too: its one budget would be counted twice.
    const pooled = await addClient(tenant);
    const rotate = await api('PUT', `/api/tenants/${tenant.id}/genesys`, {
      clientId: pooled.clientId,
      clientSecret: pooled.clientSecret,
    });
    expect(rotate).toMatchObject({ status: 409, json: { error: { code: 'conflict' } } });
  });

  it('keeps the default client; removes another once, audited', async () => {
    const tenant = await seedTenant(net);
    const added = await addClient(tenant);
    const path = `/api/tenants/${tenant.id}/genesys/clients`;
    expect(await api('DELETE', `${path}/default`)).toMatchObject({
      status: 409,
      json: { error: { code: 'default_client' } },
    });
    expect((await api('DELETE', `${path}/${added.entryId}`)).status).toBe(204);
    expect((await api('DELETE', `${path}/${added.entryId}`)).status).toBe(404);
    expect((await api('GET', path)).json.items.map((c: { id: string }) => c.id)).toEqual(['default']);
    const audit = await api('GET', `/api/tenants/${tenant.id}/audit`);
    expect(audit.json.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'genesys.client.remove', target: added.entryId })]),
    );
  });
});

describe('conversations over the token pool', () => {
  it('with 3 clients, conversations spread over all three, each keeps one client, and every token is used', async () => {
    const tenant = await seedTenant(net);
    const pool = [await addClient(tenant), await addClient(tenant)];
    // Enough customers that every client has some (the spread itself is the hash's, unit-tested).
    const entries = [DEFAULT_CLIENT_ENTRY, ...pool.map((p) => p.entryId)];
    const customers: string[] = [];
    while (
      customers.length < 24 ||
      entries.some((e) => !customers.some((c) => clientEntryFor(`${tenant.id}:${c}`, entries) === e))
    )
      customers.push(newCustomer());
    await Promise.all(customers.map((waId) => customerSends(tenant, waId, 2)));
    await vi.waitFor(() => expect(calls(tenant)).toHaveLength(48), WAIT);

    for (const waId of customers) expect(clientsOf(tenant, waId).size).toBe(1);
    const used = new Set(calls(tenant).map((c) => net.genesys.clientOfToken(c.token)));
    expect([...used].sort()).toEqual([tenant.genesys.clientId, ...pool.map((p) => p.clientId)].sort());
    expect(rateLimited(tenant)).toEqual([]);
    // Each client's own budget shows what its conversations spent.
    const usage = (await api('GET', `/api/tenants/${tenant.id}/genesys/clients`)).json.items;
    for (const client of usage) {
      expect(client.usage.used).toBeGreaterThan(0);
      expect(client.token.state).toBe('valid');
    }
  });

  it('a removed client is no longer used: its conversations go on with the remaining clients', async () => {
    const tenant = await seedTenant(net);
    const [kept, removed] = [await addClient(tenant), await addClient(tenant)];
    const customers = Array.from({ length: 24 }, () => newCustomer());
    await Promise.all(customers.map((waId) => customerSends(tenant, waId, 1)));
    await vi.waitFor(() => expect(calls(tenant)).toHaveLength(24), WAIT);
    const moving = customers.filter((waId) => clientsOf(tenant, waId).has(removed!.clientId));
    expect(moving.length).toBeGreaterThan(0);

    const path = `/api/tenants/${tenant.id}/genesys/clients/${removed!.entryId}`;
    expect((await api('DELETE', path)).status).toBe(204);
    const before = calls(tenant).length;
    await Promise.all(customers.map((waId) => customerSends(tenant, waId, 1)));
    await vi.waitFor(() => expect(calls(tenant)).toHaveLength(48), WAIT);

    const after = calls(tenant).slice(before);
    expect(new Set(after.map((c) => net.genesys.clientOfToken(c.token)))).toEqual(
      new Set([tenant.genesys.clientId, kept!.clientId]),
    );
    // Everyone else stays where they were.
    for (const waId of customers.filter((c) => !moving.includes(c))) expect(clientsOf(tenant, waId).size).toBe(1);
  });

  it("busy conversations beyond one client's budget get every message through and never meet Genesys' 429", async () => {
    const tenant = await seedTenant(net);
    const customers = Array.from({ length: 4 }, () => newCustomer());
    await Promise.all(customers.map((waId) => customerSends(tenant, waId, 100)));
    await vi.waitFor(() => expect(calls(tenant)).toHaveLength(400), { timeout: 45_000, interval: 100 });

    expect(rateLimited(tenant)).toEqual([]);
    // In no window did the one token carry more than its 300 requests.
    const times = calls(tenant).map((c) => c.at);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 6000).length));
    expect(busiest).toBeLessThanOrEqual(300);
  }, 60_000);

  it('conversation objects ask the gate once per lease, not once per message', async () => {
    const tenant = await seedTenant(net);
    const leases = vi.spyOn(TenantGateDO.prototype, 'lease');
    const customers = Array.from({ length: 3 }, () => newCustomer());
    await Promise.all(customers.map((waId) => customerSends(tenant, waId, 40)));
    await vi.waitFor(() => expect(calls(tenant)).toHaveLength(120), { timeout: 30_000, interval: 50 });

    const asked = leases.mock.calls.filter(([request]) => request.tenantId === tenant.id).length;
    console.warn(`gate calls for 120 customer messages: ${asked}`);
    expect(asked).toBeLessThanOrEqual(12);
    leases.mockRestore();
  });

  it('a conversation that must wait gives its unspent permits back at once, so another conversation can use them', async () => {
    const tenant = await seedTenant(net);
    const gate = env.TENANT_GATE.getByName(budgetShardName(tenant.id, 'default'));
    const lease = (holder: string, want: number) =>
      gate.lease({ tenantId: tenant.id, client: 'default', holder, want });
    // Other conversations hold 290 of the window's 300 permits.
    for (let i = 0; i < 6; i++) expect((await lease(`${tenant.id}:elsewhere`, i < 5 ? 50 : 40)).ok).toBe(true);
    // This customer's first message meets a 429 asking for 5 s: of its lease of 10, nine go unspent.
    net.genesys.script.push(new RegExp(tenant.genesys.integrationId), {
      status: 429,
      headers: { 'retry-after': '5' },
      body: { status: 429, code: 'too.many.requests.retry.after' },
    });
    const givenBack = vi.spyOn(TenantGateDO.prototype, 'giveBack');
    await customerSends(tenant, newCustomer(), 10);
    await vi.waitFor(() => expect(rateLimited(tenant)).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(givenBack).toHaveBeenCalledWith(expect.any(String), 9), WAIT);
    givenBack.mockRestore();

    expect(await lease(`${tenant.id}:another`, 8)).toMatchObject({ ok: true, permits: 8 });
    // The waiting conversation still gets all its messages through once the window allows.
    await vi.waitFor(() => expect(calls(tenant)).toHaveLength(10), { timeout: 30_000, interval: 100 });
  }, 45_000);
});
