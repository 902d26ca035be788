/**
 * Erasing one customer (README "Erasing a customer"): DELETE /api/tenants/{id}/customers/{waId}
 * removes the customer's conversation (messages both ways, media references, window) and every
 * record that names them, old rows included; other customers of the tenant and the same number
 * at another tenant are untouched; the audit log never learns the number.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { recordDeadLetter, recordFailure } from '../workers/db/records.repo';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  OPERATOR,
  agentSays,
  customerWrites,
  newCustomer,
  seedTenant,
  timelineOf,
  WAIT,
  type SeededTenant,
} from './helpers';

const net = useFakeNetwork();

/** Records that name `waId`: written now (the customer in its own column) and before migration 0004 (only in the payload). */
async function recordsFor(tenant: SeededTenant, waId: string) {
  await recordFailure(env, {
    tenantId: tenant.id,
    direction: 'outbound',
    code: 'whatsapp_rejected',
    detail: '131026: Message undeliverable',
    payload: { v: 1, kind: 'gc_message', message: { channel: { to: { id: `+${waId}`, idType: 'Phone' } } } },
  });
  await recordDeadLetter(env, crypto.randomUUID(), {
    tenantId: tenant.id,
    queue: 'inbound',
    errorCode: 'retries_exhausted',
    errorDetail: '503',
    attempts: 8,
    payload: { v: 1, kind: 'dead_letter', item: { v: 1, kind: 'wa_message', waId, message: { from: waId } } },
  });
  const old = (table: string, payload: unknown) =>
    table === 'failed_messages'
      ? env.DB.prepare(
          "INSERT INTO failed_messages (id, tenant_id, direction, code, detail, payload) VALUES (?, ?, 'inbound', 'genesys_rejected', '400', ?)",
        ).bind(crypto.randomUUID(), tenant.id, JSON.stringify(payload))
      : env.DB.prepare(
          "INSERT INTO dead_letters (id, tenant_id, queue, error_code, error_detail, attempts, payload) VALUES (?, ?, 'outbound', 'x', 'x', 8, ?)",
        ).bind(crypto.randomUUID(), tenant.id, JSON.stringify(payload));
  await env.DB.batch([
    old('failed_messages', { id: 'wamid.OLD', from: waId, type: 'text', text: { body: 'old message' } }),
    old('dead_letters', { statuses: [{ id: 'wamid.OLD2', recipient_id: waId, status: 'failed' }] }),
  ]);
}

describe('erasing one customer', () => {
  it("removes the customer's conversation and records, and nothing of other customers or tenants", async () => {
    const tenant = await seedTenant(net);
    const other = await seedTenant(net);
    const [customer, neighbour] = [newCustomer(), newCustomer()];
    await customerWrites(net, tenant, customer, 'my address is 1 Main St');
    await agentSays(tenant, customer, { text: 'Thanks, noted' });
    await vi.waitFor(() => expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toHaveLength(1), WAIT);
    await customerWrites(net, tenant, neighbour, 'hello from the neighbour');
    await customerWrites(net, other, customer, 'same number, other tenant');
    await vi.waitFor(async () => {
      expect((await adminApi('GET', `/api/tenants/${tenant.id}/conversations`)).json.items).toHaveLength(2);
      expect((await adminApi('GET', `/api/tenants/${other.id}/conversations`)).json.items).toHaveLength(1);
    }, WAIT);
    await recordsFor(tenant, customer);
    await recordsFor(tenant, neighbour);
    await recordsFor(other, customer);
    // An old record of a longer number that merely starts with the customer's is not theirs.
    await env.DB.prepare(
      "INSERT INTO failed_messages (id, tenant_id, direction, code, detail, payload) VALUES ('longer-number', ?, 'inbound', 'x', 'x', ?)",
    )
      .bind(tenant.id, JSON.stringify({ from: `${customer}9` }))
      .run();
    expect((await timelineOf(tenant.id, customer)).map((e) => e.text)).toEqual([
      'my address is 1 Main St',
      'Thanks, noted',
    ]);

    const admin = {
      'x-api-key': (
        await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, { name: 'dpo', role: 'tenant-admin' })
      ).json.key,
    };
    const viewer = {
      'x-api-key': (
        await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, { name: 'v', role: 'viewer' })
      ).json.key,
    };
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}/customers/${customer}`, viewer)).status).toBe(403);

    const erased = await adminApi('DELETE', `/api/tenants/${tenant.id}/customers/${customer}`, admin);
    expect(erased.status).toBe(200);
    expect(erased.json).toEqual({
      customer: `${'*'.repeat(customer.length - 4)}${customer.slice(-4)}`,
      conversationErased: true,
      conversations: 1,
      failures: 2,
      deadLetters: 2,
    });

    // The customer is gone from the tenant: conversation, timeline, failures, dead letters.
    expect(await timelineOf(tenant.id, customer)).toEqual([]);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/conversations/${customer}`, admin)).status).toBe(404);
    const conversations = (await adminApi('GET', `/api/tenants/${tenant.id}/conversations`, admin)).json.items;
    expect(conversations.map((c: { waId: string }) => c.waId)).toEqual([neighbour]);
    const failures = (await adminApi('GET', `/api/tenants/${tenant.id}/failures`, admin)).text;
    const deadLetters = (await adminApi('GET', `/api/tenants/${tenant.id}/dead-letters`, admin)).text;
    for (const text of [failures, deadLetters]) {
      expect(text).not.toContain(`\\"${customer}\\"`);
      expect(text).not.toContain(`\\"+${customer}\\"`);
    }

    // The neighbour keeps everything, and so does the same number at the other tenant.
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/failures`, admin)).json.items).toHaveLength(3);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/dead-letters`, admin)).json.items).toHaveLength(2);
    expect(await timelineOf(tenant.id, neighbour)).toMatchObject([{ text: 'hello from the neighbour' }]);
    expect(await timelineOf(other.id, customer)).toMatchObject([{ text: 'same number, other tenant' }]);
    expect((await adminApi('GET', `/api/tenants/${other.id}/conversations/${customer}`)).status).toBe(200);
    expect((await adminApi('GET', `/api/tenants/${other.id}/failures`)).json.items).toHaveLength(2);
    expect((await adminApi('GET', `/api/tenants/${other.id}/dead-letters`)).json.items).toHaveLength(2);

    // Audited, naming the customer by the last four digits only.
    const audit = await adminApi('GET', `/api/tenants/${tenant.id}/audit`, admin);
    expect(audit.json.items).toContainEqual(
      expect.objectContaining({
        action: 'customer.erase',
        actor: expect.stringContaining('apikey'),
        target: erased.json.customer,
      }),
    );
    expect(audit.text).not.toContain(customer);
  });

  it('answers zeros for a customer the bridge never saw, and refuses what is not a WhatsApp id', async () => {
    const tenant = await seedTenant(net);
    const never = await adminApi('DELETE', `/api/tenants/${tenant.id}/customers/447700000000`);
    expect(never.status).toBe(200);
    expect(never.json).toMatchObject({ conversations: 0, failures: 0, deadLetters: 0 });
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}/customers/%25`)).status).toBe(400);
  });
});
