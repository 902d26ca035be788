/**
 * Offboarding (README "Offboarding a tenant"): deleting a tenant stops serving it at once and
 * starts a tracked job that erases everything it owned — D1 rows, its Genesys token in KV, its
 * tenant gate, every conversation object — in batches that the cron carries on; other tenants
 * are untouched.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { tokenKvKey } from '../durable-objects/tenant-gate.do';
import { TENANT_TABLES } from '../workers/db/erasure.repo';
import { recordDeadLetter, recordFailure } from '../workers/db/records.repo';
import { conversationName } from '../workers/domain/conversation';
import { budgetShardName } from '../workers/domain/genesys-pool';
import { runOffboarding, startOffboarding } from '../workers/erasure/offboarding';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  OPERATOR,
  agentSays,
  cronTick,
  customerWrites,
  newCustomer,
  postGenesys,
  agentMessage,
  postWebhook,
  seedTenant,
  timelineOf,
  WAIT,
  webhookFor,
  type SeededTenant,
} from './helpers';

const net = useFakeNetwork();

/** Every D1 table with a tenant_id column, read from the live schema. */
async function tablesWithTenantId(): Promise<string[]> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
  ).all<{ name: string }>();
  const out: string[] = [];
  for (const { name } of tables.results) {
    const columns = await env.DB.prepare(`PRAGMA table_info(${name})`).all<{ name: string }>();
    if (columns.results.some((c) => c.name === 'tenant_id')) out.push(name);
  }
  return out.sort();
}

/** Rows holding the tenant's id, per table (tenants by its id, every other table by tenant_id). */
async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await tablesWithTenantId()) {
    if (table === 'offboarding_jobs') continue;
    const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE tenant_id = ?`)
      .bind(tenantId)
      .first<{ n: number }>();
    if (row!.n > 0) counts[table] = row!.n;
  }
  const tenant = await env.DB.prepare('SELECT COUNT(*) AS n FROM tenants WHERE id = ?')
    .bind(tenantId)
    .first<{ n: number }>();
  if (tenant!.n > 0) counts.tenants = tenant!.n;
  return counts;
}

/** A tenant with two indexed conversations (one with an agent reply), records, a key, a hold, a token and a second Genesys client. */
async function busyTenant(): Promise<{ tenant: SeededTenant; customers: string[]; clientGate: string }> {
  const tenant = await seedTenant(net);
  const [first, second, unindexed] = [newCustomer(), newCustomer(), newCustomer()];
  await customerWrites(net, tenant, first, 'my order number is 1234');
  await agentSays(tenant, first, { text: 'Thanks, looking into it' });
  await vi.waitFor(() => expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toHaveLength(1), WAIT);
  await customerWrites(net, tenant, second);
  await customerWrites(net, tenant, unindexed);
  await vi.waitFor(
    async () => expect((await adminApi('GET', `/api/tenants/${tenant.id}/conversations`)).json.items).toHaveLength(3),
    WAIT,
  );
  // A conversation whose index row was lost is still found through the records that name it.
  await env.DB.prepare('DELETE FROM conversations WHERE tenant_id = ? AND wa_id = ?').bind(tenant.id, unindexed).run();
  await recordFailure(env, {
    tenantId: tenant.id,
    direction: 'inbound',
    code: 'genesys_rejected',
    detail: '400',
    payload: { waId: unindexed },
  });
  await recordDeadLetter(env, crypto.randomUUID(), {
    tenantId: tenant.id,
    queue: 'inbound',
    errorCode: 'retries_exhausted',
    errorDetail: '503',
    attempts: 8,
    payload: { v: 1, kind: 'dead_letter', item: { waId: first } },
  });
  expect((await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, { name: 'crm' })).status).toBe(201);
  // An alert channel, and the dead letter's alert with its delivery.
  const channel = { url: `https://alerts.fake/${tenant.id}` };
  expect((await adminApi('POST', `/api/tenants/${tenant.id}/alert-channels`, OPERATOR, channel)).status).toBe(201);
  await cronTick();
  await env.TENANT_GATE.getByName(tenant.id).holdWhatsapp(tenant.whatsapp.phoneNumberId, 'throughput', 3600_000);
  // A second OAuth client, whose own gate object holds its token.
  net.genesys.registerClient(`pool-${tenant.id}`, `pool-secret-${tenant.id}`);
  const pool = { clientId: `pool-${tenant.id}`, clientSecret: `pool-secret-${tenant.id}` };
  const added = await adminApi('POST', `/api/tenants/${tenant.id}/genesys/clients`, OPERATOR, pool);
  expect(added.status).toBe(201);
  const clientGate = budgetShardName(tenant.id, added.json.id);
  const lease = { tenantId: tenant.id, client: added.json.id, holder: conversationName(tenant.id, first), want: 1 };
  expect(await env.TENANT_GATE.getByName(clientGate).lease(lease)).toMatchObject({ ok: true });
  return { tenant, customers: [first, second, unindexed], clientGate };
}

describe('offboarding a tenant', () => {
  it('stops serving the tenant at once and erases everything it owned, leaving other tenants alone', async () => {
    const { tenant, customers, clientGate } = await busyTenant();
    const neighbour = await seedTenant(net);
    await customerWrites(net, neighbour, customers[0]!, 'same number, other tenant');
    // A Genesys token cached in KV (as earlier releases did) for each tenant.
    for (const t of [tenant, neighbour])
      await env.TOKENS.put(tokenKvKey(t.id), JSON.stringify({ token: 'cached', expiresAt: Date.now() + 3600_000 }));
    expect(Object.keys(await rowsOf(tenant.id))).toEqual(
      expect.arrayContaining([
        'conversations',
        'failed_messages',
        'dead_letters',
        'api_keys',
        'audit_log',
        'tenants',
        'alert_channels',
        'alerts',
        'alert_deliveries',
      ]),
    );
    for (const waId of customers) expect(await timelineOf(tenant.id, waId)).not.toEqual([]);
    const gateKeys = (name = tenant.id) =>
      runInDurableObject(env.TENANT_GATE.getByName(name), async (_gate, state) => [
        ...(await state.storage.list()).keys(),
      ]);
    expect(await gateKeys()).not.toEqual([]);
    expect(await gateKeys(clientGate)).toEqual(['genesys-token']);

    const deleted = await adminApi('DELETE', `/api/tenants/${tenant.id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.headers.get('location')).toBe(`/api/tenants/${tenant.id}/offboarding`);
    expect(deleted.json).toMatchObject({ tenantId: tenant.id, requestedBy: 'operator' });
    expect(['pending', 'running', 'done']).toContain(deleted.json.status);

    // Not served any more, from the moment DELETE answered.
    expect((await adminApi('GET', `/api/tenants/${tenant.id}`)).status).toBe(404);
    const webhook = webhookFor(textFixture, tenant, { from: customers[0], id: 'wamid.after-delete' });
    expect((await postWebhook(webhook, { secret: tenant.whatsapp.appSecret })).status).toBeGreaterThanOrEqual(400);
    expect(
      (await postGenesys(tenant, agentMessage(tenant, customers[0]!, { text: 'late' }))).status,
    ).toBeGreaterThanOrEqual(400);

    await vi.waitFor(
      async () => expect((await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).json.status).toBe('done'),
      WAIT,
    );
    const job = (await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).json;
    expect(job).toMatchObject({
      id: deleted.json.id,
      conversationsErased: 3,
      kvKeysDeleted: 1,
      tenantGateErased: true,
      error: null,
    });
    expect(job.rowsDeleted).toBeGreaterThan(0);
    expect(job.finishedAt).toBeGreaterThanOrEqual(job.createdAt);

    expect(await rowsOf(tenant.id)).toEqual({});
    expect(await env.TOKENS.get(tokenKvKey(tenant.id))).toBeNull();
    for (const waId of customers) expect(await timelineOf(tenant.id, waId)).toEqual([]);
    expect(await gateKeys()).toEqual([]);
    // Every Genesys client's gate object too, with its token.
    expect(await gateKeys(clientGate)).toEqual([]);
    // The erasure itself is on record, without the tenant's data.
    const trail = await env.DB.prepare(
      'SELECT action, actor, tenant_id FROM audit_log WHERE target = ? ORDER BY created_at',
    )
      .bind(tenant.id)
      .all();
    expect(trail.results).toEqual([
      { action: 'tenant.delete', actor: 'operator', tenant_id: null },
      { action: 'tenant.offboarded', actor: 'system:offboarding', tenant_id: null },
    ]);

    // The neighbour, with the same customer number, is untouched.
    expect((await adminApi('GET', `/api/tenants/${neighbour.id}`)).status).toBe(200);
    expect((await adminApi('GET', `/api/tenants/${neighbour.id}/conversations`)).json.items).toMatchObject([
      { waId: customers[0] },
    ]);
    expect(await timelineOf(neighbour.id, customers[0]!)).toMatchObject([{ text: 'same number, other tenant' }]);
    expect(await env.TOKENS.get(tokenKvKey(neighbour.id))).not.toBeNull();
  });

  it('a job its request could not finish is finished by the next cron run', async () => {
    const tenant = await seedTenant(net);
    const customers = [newCustomer(), newCustomer()];
    for (const waId of customers) await customerWrites(net, tenant, waId);
    await vi.waitFor(
      async () => expect((await adminApi('GET', `/api/tenants/${tenant.id}/conversations`)).json.items).toHaveLength(2),
      WAIT,
    );
    // As if the Worker stopped right after answering the DELETE: the job is recorded, nothing erased yet.
    await startOffboarding(env, tenant.id, 'operator');
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).json).toMatchObject({
      status: 'pending',
      conversationsErased: 0,
    });
    // A run that ends on its batch budget leaves the job running …
    const partial = await runOffboarding(
      env,
      (await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).json.id,
      {
        maxBatches: 1,
      },
    );
    expect(partial).toMatchObject({ status: 'running', conversationsErased: 2, tenantGateErased: false });
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).json.status).toBe('running');

    // … and the cron takes it up and finishes it.
    await cronTick();
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).json).toMatchObject({
      status: 'done',
      conversationsErased: 2,
      tenantGateErased: true,
    });
    expect(await rowsOf(tenant.id)).toEqual({});
    for (const waId of customers) expect(await timelineOf(tenant.id, waId)).toEqual([]);
  });

  it('erases every table that holds a tenant id', async () => {
    // Offboarding works from a list of tables; a table added later must be added to it.
    expect(await tablesWithTenantId()).toEqual([...TENANT_TABLES, 'offboarding_jobs'].sort());
  });

  it('shows the job only to the platform', async () => {
    const tenant = await seedTenant(net);
    const key = (
      await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, { name: 'k', role: 'tenant-admin' })
    ).json.key;
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}`, { 'x-api-key': key })).status).toBe(403);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`, { 'x-api-key': key })).status).toBe(403);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/offboarding`)).status).toBe(404);
  });
});
