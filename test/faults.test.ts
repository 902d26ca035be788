/**
 * The fault suite: under upstream storms, restarts, duplicates and hostile bodies, every accepted
 * input ends exactly once downstream or in the dead-letter store. Counts are asserted, not sampled.
 */
import { describe, expect, it, vi } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test';
import { ConversationDO } from '../durable-objects/conversation.do';
import { getConversation } from '../workers/db/conversations.repo';
import { listDeadLetters, listFailures } from '../workers/db/records.repo';
import { forgetTenant } from '../workers/db/tenants.repo';
import { parkDeadLetter, restoreParkedDeadLetters } from '../workers/lib/parked-dead-letters';
import errorsFixture from './fixtures/meta/errors_value_level_130429.json';
import { d1Outage } from './d1-outage';
import textFixture from './fixtures/meta/text.json';
import { FakeMeta } from './fakes/meta.fake';
import { useFakeNetwork } from './fakes/network';
import {
  agentMessage,
  agentSays,
  cronTick,
  customerMessageItem,
  customerWrites,
  metaSignature,
  newCustomer,
  postGenesys,
  postWebhook,
  seedTenant,
  statusWebhook,
  uniqueWamid,
  webhookFor,
  type SeededTenant,
} from './helpers';

const net = useFakeNetwork();

const WAIT = { timeout: 30_000, interval: 100 };

function customerText(
  tenant: SeededTenant,
  from: string,
  body: string,
  timestamp = String(Math.floor(Date.now() / 1000)),
) {
  const webhook = webhookFor(textFixture, tenant, { id: uniqueWamid(), from, timestamp, text: { body } }) as any;
  webhook.entry[0].changes[0].value.contacts[0].wa_id = from;
  return webhook as Record<string, unknown>;
}

/** What a conversation object holds: its rows per table, its alarm, how many alarm runs it counted. */
function conversationStorage(tenantId: string, waId: string) {
  return runInDurableObject(env.CONVERSATION.getByName(`${tenantId}:${waId}`), async (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray();
    if (!tables.some((t) => t.name === 'meta')) return { rows: 0, alarm: await state.storage.getAlarm(), alarmRuns: 0 };
    const rows = ['messages', 'outbound', 'tasks', 'statuses'].reduce(
      (n, table) => n + sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n,
      0,
    );
    const runs = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'alarm_runs'").toArray()[0];
    return { rows, alarm: await state.storage.getAlarm(), alarmRuns: Number(runs?.value ?? 0) };
  });
}

/** A customer message handed straight to its conversation object, as the inbound consumer does. */
async function customerWritesDirect(tenant: SeededTenant, waId: string, body: string) {
  const webhook = customerText(tenant, waId, body) as any;
  const message = webhook.entry[0].changes[0].value.messages[0];
  await env.CONVERSATION.getByName(`${tenant.id}:${waId}`).acceptInbound([customerMessageItem(tenant, waId, message)]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many times Genesys accepted each WhatsApp message id. */
function deliveriesById(tenant: SeededTenant): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of net.genesys.callsFor(tenant.genesys.integrationId)) {
    const id = (call.body.channel as { messageId: string }).messageId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('Genesys storms', () => {
  it('a 429 storm: 30 messages from 10 customers all arrive, each exactly once', async () => {
    const tenant = await seedTenant(net);
    net.genesys.script.push(
      new RegExp(tenant.genesys.integrationId),
      { status: 429, headers: { 'retry-after': '0' }, body: { status: 429 } },
      20,
    );
    const webhooks = Array.from({ length: 30 }, (_, i) =>
      customerText(tenant, `4477009100${String(i % 10).padStart(2, '0')}`, `m${i}`),
    );
    await Promise.all(webhooks.map((w) => postWebhook(w, { secret: tenant.whatsapp.appSecret })));
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(30), WAIT);
    expect([...deliveriesById(tenant).values()].every((n) => n === 1)).toBe(true);
    expect(
      net.genesys.requests.filter((r) => r.integrationId === tenant.genesys.integrationId && r.status === 429),
    ).toHaveLength(20);
  });

  it('5xx mixed with timeouts: every message is delivered once or dead-lettered, none lost, none doubled', async () => {
    const tenant = await seedTenant(net);
    const route = new RegExp(tenant.genesys.integrationId);
    net.genesys.script.push(route, { status: 502, body: { status: 502 } }, 6);
    net.genesys.script.push(route, { status: 200, hang: true }, 2);
    // one customer whose first message keeps failing past MAX_DELIVERY_ATTEMPTS (4 in tests)
    const doomed = customerText(tenant, '447700920000', 'doomed');
    const webhooks = [
      doomed,
      ...Array.from({ length: 12 }, (_, i) =>
        customerText(tenant, `4477009300${String(i).padStart(2, '0')}`, `ok${i}`),
      ),
    ];
    for (const w of webhooks) await postWebhook(w, { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(async () => {
      const dead = await listDeadLetters(env, tenant.id);
      expect(deliveriesById(tenant).size + dead.length).toBe(13);
    }, WAIT);
    expect([...deliveriesById(tenant).values()].every((n) => n === 1)).toBe(true);
    const dead = await listDeadLetters(env, tenant.id);
    for (const d of dead) expect(deliveriesById(tenant).has(d.externalId!)).toBe(false);
  });

  it('a token revoked mid-flight is replaced and nothing is lost', async () => {
    const tenant = await seedTenant(net);
    const first = Array.from({ length: 10 }, (_, i) =>
      customerText(tenant, `4477009400${String(i).padStart(2, '0')}`, `a${i}`),
    );
    await Promise.all(first.map((w) => postWebhook(w, { secret: tenant.whatsapp.appSecret })));
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBeGreaterThanOrEqual(3), WAIT);
    net.genesys.revokeAllTokens();
    const second = Array.from({ length: 10 }, (_, i) =>
      customerText(tenant, `4477009500${String(i).padStart(2, '0')}`, `b${i}`),
    );
    await Promise.all(second.map((w) => postWebhook(w, { secret: tenant.whatsapp.appSecret })));
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(20), WAIT);
    expect([...deliveriesById(tenant).values()].every((n) => n === 1)).toBe(true);
  });
});

describe('restarts and duplicates', () => {
  it('conversation objects restarted mid-conversation still deliver everything, in order, once', async () => {
    const tenant = await seedTenant(net);
    const customer = '447700960001';
    const base = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 5; i++)
      await postWebhook(customerText(tenant, customer, `r${i}`, String(base + i)), {
        secret: tenant.whatsapp.appSecret,
      });
    // kill every Durable Object while messages wait in their outboxes
    await abortAllDurableObjects();
    for (let i = 5; i < 8; i++)
      await postWebhook(customerText(tenant, customer, `r${i}`, String(base + i)), {
        secret: tenant.whatsapp.appSecret,
      });
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(8), WAIT);
    expect(net.genesys.callsFor(tenant.genesys.integrationId).map((c) => c.body.text)).toEqual(
      Array.from({ length: 8 }, (_, i) => `r${i}`),
    );
  });

  it('a duplicate storm (20 messages × 5 copies, concurrently) delivers 20', async () => {
    const tenant = await seedTenant(net);
    const webhooks = Array.from({ length: 20 }, (_, i) =>
      customerText(tenant, `4477009700${String(i % 4).padStart(2, '0')}`, `d${i}`),
    );
    await Promise.all(
      webhooks.flatMap((w) => Array.from({ length: 5 }, () => postWebhook(w, { secret: tenant.whatsapp.appSecret }))),
    );
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(20), WAIT);
    await new Promise((r) => setTimeout(r, 1500));
    expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(20);
  });

  it('replaying an old delivery (Meta retrying a day later) does not deliver again', async () => {
    const tenant = await seedTenant(net);
    const webhook = customerText(tenant, '447700980001', 'once', String(Math.floor(Date.now() / 1000) - 86_400));
    await postWebhook(webhook, { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(1), WAIT);
    expect((await postWebhook(webhook, { secret: tenant.whatsapp.appSecret })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1);
  });

  it('out-of-order and repeated statuses give Genesys one Delivered receipt per message, the only success status it accepts', async () => {
    const tenant = await seedTenant(net);
    const waId = '447700990001';
    await postWebhook(customerText(tenant, waId, 'hi'), { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(1), WAIT);
    const messages = [agentMessage(tenant, waId, { text: 'one' }), agentMessage(tenant, waId, { text: 'two' })];
    for (const m of messages) await postGenesys(tenant, m);
    await vi.waitFor(() => expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toHaveLength(2), WAIT);
    const statuses = ['read', 'sent', 'delivered', 'read', 'delivered', 'sent'];
    const posts = net.meta
      .sentTo(tenant.whatsapp.phoneNumberId)
      .flatMap((m) => statuses.map((s) => statusWebhook(tenant, m.wamid, waId, s)));
    await Promise.all(posts.map((p) => postWebhook(p, { secret: tenant.whatsapp.appSecret })));
    await vi.waitFor(() => expect(net.genesys.receiptsFor(tenant.genesys.integrationId)).toHaveLength(2), WAIT);
    await new Promise((r) => setTimeout(r, 1000));
    for (const m of messages) {
      expect(
        net.genesys
          .receiptsFor(tenant.genesys.integrationId)
          .filter((r) => r.id === m.id)
          .map((r) => r.status),
      ).toEqual(['Delivered']);
    }
    // Every receipt call was accepted: none spent the budget on a status Genesys refuses.
    expect(
      net.genesys.requests.filter(
        (r) => r.integrationId === tenant.genesys.integrationId && r.path.endsWith('/receipt') && r.status !== 200,
      ),
    ).toEqual([]);
  });
});

describe('D1 unavailable, tenants going away', () => {
  it('D1 refusing writes for 4 s during a mixed batch: every customer message is delivered meanwhile, every notice and record lands once D1 returns, no alarm spins', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const [alice, bob, carol] = ['447700970001', '447700970002', '447700970003'];
    const closed = newCustomer();
    const outage = await d1Outage([a.id, b.id]);
    const started = Date.now();
    const base = Math.floor(Date.now() / 1000);
    const notice = webhookFor(errorsFixture, a);
    const unhandled = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: b.whatsapp.wabaId,
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'APPROVED',
                message_template_id: 1,
                message_template_name: 'x',
                metadata: { phone_number_id: b.whatsapp.phoneNumberId },
              },
            },
          ],
        },
      ],
    };
    const posts = [
      ...Array.from({ length: 4 }, (_, i) => [customerText(a, alice, `a${i}`, String(base + i)), a] as const),
      [customerText(b, bob, 'b0'), b] as const,
      [customerText(b, carol, 'c0'), b] as const,
      [notice, a] as const,
      [unhandled, b] as const,
    ];
    for (const [body, tenant] of posts)
      expect((await postWebhook(body, { secret: tenant.whatsapp.appSecret })).status).toBe(200);
    // An agent writes to a customer whose window is closed: refused, and the refusal must be recorded.
    await agentSays(a, closed, { text: 'hello?' });

    // Delivery does not wait for D1: all six customer messages reach Genesys during the outage, in order.
    await vi.waitFor(() => expect(deliveriesById(a).size + deliveriesById(b).size).toBe(6), WAIT);
    expect(net.genesys.callsFor(a.genesys.integrationId).map((c) => c.body.text)).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect(await listFailures(env, a.id)).toEqual([]);
    await sleep(Math.max(0, 4000 - (Date.now() - started)));
    // Deferred records retry with a backoff: a handful of alarm runs in 4 s, not thousands.
    expect((await conversationStorage(a.id, alice)).alarmRuns).toBeLessThan(30);
    await outage.end();

    await vi.waitFor(async () => {
      const codes = [...(await listFailures(env, a.id)), ...(await listFailures(env, b.id))].map((f) => f.code).sort();
      expect(codes).toEqual(['MessageNotAllowed', 'unhandled_webhook_field', 'whatsapp_error']);
      expect(await getConversation(env, a.id, alice)).toMatchObject({ messagesIn: 4 });
      expect(await getConversation(env, b.id, carol)).toMatchObject({ messagesIn: 1 });
    }, WAIT);
    // accepted (6 messages + 2 notices + 1 agent message) = delivered (6) + recorded (3)
    expect([...deliveriesById(a).values(), ...deliveriesById(b).values()].every((n) => n === 1)).toBe(true);
  }, 60_000);

  it('a tenant lookup that keeps failing makes the conversation back off, not spin, and it recovers by itself', async () => {
    const tenant = await seedTenant(net);
    const customer = '447700970015';
    // The tenant's stored secret cannot be opened: every lookup of it throws, as when D1 refuses reads.
    const good = await env.DB.prepare('SELECT access_token_enc AS v FROM whatsapp_configs WHERE tenant_id = ?')
      .bind(tenant.id)
      .first<{ v: string }>();
    await env.DB.prepare("UPDATE whatsapp_configs SET access_token_enc = 'v2:k0:broken' WHERE tenant_id = ?")
      .bind(tenant.id)
      .run();
    forgetTenant(tenant.id);
    const runs = vi.spyOn(ConversationDO.prototype, 'alarm');
    await customerWritesDirect(tenant, customer, 'are you there?');
    await sleep(3000);
    // Backing off from 0.5 s, doubling: a handful of runs in 3 s, where re-arming at "now" makes hundreds.
    expect(runs.mock.calls.length).toBeGreaterThan(0);
    expect(runs.mock.calls.length).toBeLessThan(8);
    runs.mockRestore();
    expect(deliveriesById(tenant).size).toBe(0);
    await env.DB.prepare('UPDATE whatsapp_configs SET access_token_enc = ? WHERE tenant_id = ?')
      .bind(good!.v, tenant.id)
      .run();
    forgetTenant(tenant.id);
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(1), WAIT);
  });

  it('a dead letter D1 keeps refusing is parked, not deleted, and shows in dead letters once D1 returns', async () => {
    const tenant = await seedTenant(net);
    const outage = await d1Outage([tenant.id]);
    const item = JSON.parse(JSON.stringify(customerText(tenant, '447700970010', 'last copy')));
    await env.INBOUND_DLQ.send({
      v: 1,
      kind: 'dead_letter',
      tenantId: tenant.id,
      queue: 'inbound',
      externalId: 'wamid.parked',
      errorCode: 'genesys_503',
      errorDetail: 'Genesys answered 503',
      attempts: 4,
      item: {
        v: 1,
        kind: 'wa_notice',
        tenantId: tenant.id,
        phoneNumberId: '1',
        receivedAt: 1,
        field: 'x',
        value: item,
      },
    });
    // Three one-second retries in tests (DEAD_LETTER_MAX_ATTEMPTS), then it waits in KV.
    await vi.waitFor(async () => {
      const parked = await env.TOKENS.list({ prefix: 'parked-dead-letter:' });
      expect(parked.keys.length).toBeGreaterThan(0);
    }, WAIT);
    expect(await restoreParkedDeadLetters(env).catch(() => 'still down')).toBe('still down');
    await outage.end();
    // The scheduled job (every cron tick) moves it where operators look.
    await cronTick();
    expect((await listDeadLetters(env, tenant.id)).map((d) => d.externalId)).toEqual(['wamid.parked']);
  }, 30_000);

  it('a tenant deleted mid-conversation: its conversation drops its state and its alarm stops', async () => {
    const tenant = await seedTenant(net);
    const customer = newCustomer();
    await customerWrites(net, tenant, customer);
    // The number is paused (Meta's throughput limit), so the agent's message is waiting when the tenant goes.
    await env.TENANT_GATE.getByName(tenant.id).holdWhatsapp(tenant.whatsapp.phoneNumberId, 'throughput', 1500);
    await agentSays(tenant, customer, { text: 'are you still there?' });
    await vi.waitFor(async () => {
      const row = await runInDurableObject(
        env.CONVERSATION.getByName(`${tenant.id}:${customer}`),
        (_i, state) =>
          state.storage.sql
            .exec<{ next: number }>("SELECT next_attempt_at AS next FROM outbound WHERE state = 'pending'")
            .toArray()[0],
      );
      expect(row?.next).toBeGreaterThan(Date.now());
    }, WAIT);
    // The tenant's rows vanish (not through offboarding, which would erase the object itself).
    await env.DB.batch(
      ['whatsapp_configs', 'genesys_configs'].map((t) =>
        env.DB.prepare(`DELETE FROM ${t} WHERE tenant_id = ?`).bind(tenant.id),
      ),
    );
    await env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(tenant.id).run();
    forgetTenant(tenant.id);
    await vi.waitFor(
      async () => expect(await conversationStorage(tenant.id, customer)).toMatchObject({ rows: 0 }),
      WAIT,
    );
    // Counted outside the object (its own counter goes with its storage): no run follows the erase.
    const runs = vi.spyOn(ConversationDO.prototype, 'alarm');
    await sleep(1500);
    expect(runs).not.toHaveBeenCalled();
    runs.mockRestore();
    expect(await conversationStorage(tenant.id, customer)).toEqual({ rows: 0, alarm: null, alarmRuns: 0 });
    expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toEqual([]);
  });

  it('a backlog resumes by itself after a restart: a head message waiting on a retry goes without a new customer message', async () => {
    const tenant = await seedTenant(net);
    const customer = '447700970020';
    net.genesys.script.push(new RegExp(tenant.genesys.integrationId), { status: 503, body: { status: 503 } }, 2);
    const base = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++)
      await postWebhook(customerText(tenant, customer, `k${i}`, String(base + i)), {
        secret: tenant.whatsapp.appSecret,
      });
    await vi.waitFor(
      () =>
        expect(
          net.genesys.requests.filter((r) => r.integrationId === tenant.genesys.integrationId && r.status === 503),
        ).not.toHaveLength(0),
      WAIT,
    );
    await abortAllDurableObjects();
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(3), WAIT);
    expect(net.genesys.callsFor(tenant.genesys.integrationId).map((c) => c.body.text)).toEqual(['k0', 'k1', 'k2']);
  });

  it('a conversation whose alarm was lost reschedules its backlog as soon as anything wakes it', async () => {
    const tenant = await seedTenant(net);
    const customer = '447700970021';
    net.genesys.script.push(
      new RegExp(tenant.genesys.integrationId),
      { status: 503, headers: { 'retry-after': '2' }, body: { status: 503 } },
      1,
    );
    await postWebhook(customerText(tenant, customer, 'lost'), { secret: tenant.whatsapp.appSecret });
    const stub = env.CONVERSATION.getByName(`${tenant.id}:${customer}`);
    await vi.waitFor(async () => {
      const attempts = await runInDurableObject(
        stub,
        (_i, state) =>
          state.storage.sql.exec<{ attempts: number }>('SELECT attempts FROM messages').toArray()[0]?.attempts,
      );
      expect(attempts).toBeGreaterThan(0);
    }, WAIT);
    // The alarm is gone (as after a run the runtime gave up on), then the object restarts.
    await runInDurableObject(stub, (_i, state) => state.storage.deleteAlarm());
    await abortAllDurableObjects();
    await env.CONVERSATION.getByName(`${tenant.id}:${customer}`).serviceWindow();
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(1), WAIT);
  });
});

describe('erasure while things are in flight', () => {
  const eraseCustomer = (tenant: SeededTenant, waId: string) =>
    exports.default.fetch(
      new Request(`https://bridge.test/api/tenants/${tenant.id}/customers/${waId}`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer test-operator-token' },
      }),
    );

  it('a customer erased while their message is with Genesys leaves no record behind once the delivery ends', async () => {
    const tenant = await seedTenant(net);
    const customer = '447700970030';
    // Genesys takes a while, then refuses the message for good: a failure record (with its text) follows.
    net.genesys.script.push(
      new RegExp(tenant.genesys.integrationId),
      { status: 400, delayMs: 800, body: { status: 400, code: 'bad.request', message: 'refused' } },
      1,
    );
    await postWebhook(customerText(tenant, customer, 'please forget me'), { secret: tenant.whatsapp.appSecret });
    // The request has reached Genesys (its scripted answer is taken) and is still waiting for the answer.
    await vi.waitFor(() => expect(net.genesys.script.left()).toBe(0), { timeout: 15_000, interval: 10 });
    expect((await eraseCustomer(tenant, customer)).status).toBe(200);
    await sleep(1000);
    expect(await listFailures(env, tenant.id)).toEqual([]);
    expect(await getConversation(env, tenant.id, customer)).toBeUndefined();
    expect(await env.CONVERSATION.getByName(`${tenant.id}:${customer}`).timeline()).toEqual([]);
  });

  it('dead letters parked while D1 was down go with their customer, and with their tenant', async () => {
    const tenant = await seedTenant(net);
    const [erased, kept] = ['447700970031', '447700970032'];
    const record = (waId: string) => ({
      tenantId: tenant.id,
      queue: 'inbound',
      errorCode: 'genesys_503',
      errorDetail: 'Genesys answered 503',
      attempts: 8,
      payload: { v: 1, kind: 'dead_letter', item: { kind: 'wa_message', waId, message: { from: waId } } },
    });
    await parkDeadLetter(env, `dl-${erased}`, record(erased));
    await parkDeadLetter(env, `dl-${kept}`, record(kept));
    const parkedKeys = async () => (await env.TOKENS.list({ prefix: `parked-dead-letter:${tenant.id}:` })).keys.length;
    expect(await parkedKeys()).toBe(2);
    expect(await (await eraseCustomer(tenant, erased)).json()).toMatchObject({ deadLetters: 1 });
    expect(await parkedKeys()).toBe(1);
    await env.DB.prepare('DELETE FROM whatsapp_configs WHERE tenant_id = ?').bind(tenant.id).run();
    await env.DB.prepare('DELETE FROM genesys_configs WHERE tenant_id = ?').bind(tenant.id).run();
    await env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(tenant.id).run();
    forgetTenant(tenant.id);
    // A deleted tenant's parked dead letter is dropped, not restored into D1.
    await restoreParkedDeadLetters(env);
    expect(await parkedKeys()).toBe(0);
    expect(await listDeadLetters(env, tenant.id)).toEqual([]);
  });
});

describe('hostile bodies', () => {
  it('a 5 MB body and a deeply nested one are refused without queueing anything', async () => {
    const tenant = await seedTenant(net);
    const big = JSON.stringify({ ...customerText(tenant, '447700990002', 'x'), pad: 'x'.repeat(5 * 1024 * 1024) });
    expect((await postWebhook(big, { secret: tenant.whatsapp.appSecret })).status).toBe(413);
    const nested = '['.repeat(200_000) + ']'.repeat(200_000);
    const res = await postWebhook(nested, { signature: await metaSignature(nested, tenant.whatsapp.appSecret) });
    expect([400, 413]).toContain(res.status);
    const deepButSmall = `{"object":"whatsapp_business_account","entry":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const deep = await postWebhook(deepButSmall, {
      signature: await metaSignature(deepButSmall, tenant.whatsapp.appSecret),
    });
    expect(deep.status).toBe(400);
    await new Promise((r) => setTimeout(r, 1200));
    expect(net.genesys.callsFor(tenant.genesys.integrationId)).toEqual([]);
  });

  it('SSRF attempts in agent attachments never reach WhatsApp', async () => {
    const tenant = await seedTenant(net);
    const waId = '447700990003';
    await postWebhook(customerText(tenant, waId, 'hi'), { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(1), WAIT);
    const urls = [
      'http://api-downloads.mypurecloud.ie/x',
      'https://127.0.0.1/x',
      'https://[::1]/x',
      'https://localhost/x',
      'https://mypurecloud.ie.evil.com/x',
      'https://user:pw@api.mypurecloud.ie/x',
      'file:///etc/passwd',
    ];
    const sentIds = [];
    for (const url of urls) {
      const m = agentMessage(tenant, waId, {
        content: [{ contentType: 'Attachment', attachment: { mediaType: 'Image', url, mime: 'image/png' } }],
      });
      sentIds.push(m.id);
      await postGenesys(tenant, m);
    }
    await vi.waitFor(
      () =>
        expect(net.genesys.receiptsFor(tenant.genesys.integrationId).filter((r) => r.status === 'Failed')).toHaveLength(
          urls.length,
        ),
      WAIT,
    );
    expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toEqual([]);
  });

  it('WhatsApp send failures are retried, then dead-lettered: sent + dead = accepted', async () => {
    const tenant = await seedTenant(net);
    const waId = '447700990004';
    await postWebhook(customerText(tenant, waId, 'hi'), { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(() => expect(deliveriesById(tenant).size).toBe(1), WAIT);
    net.meta.script.push(
      new RegExp(`/messages/${tenant.whatsapp.phoneNumberId}$`),
      { status: 503, body: FakeMeta.error(131000, 'Service unavailable') },
      6,
    );
    const messages = Array.from({ length: 5 }, (_, i) => agentMessage(tenant, waId, { text: `o${i}` }));
    for (const m of messages) await postGenesys(tenant, m);
    await vi.waitFor(async () => {
      const dead = (await listDeadLetters(env, tenant.id)).length;
      expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId).length + dead).toBe(5);
    }, WAIT);
    const texts = net.meta.sentTo(tenant.whatsapp.phoneNumberId).map((m) => m.body.text.body);
    expect(new Set(texts).size).toBe(texts.length);
  });
});

describe('observability', () => {
  it('/health checks D1, KV, the queues and the Durable Objects', async () => {
    const res = await exports.default.fetch('https://bridge.test/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      checks: { d1: { ok: true }, kv: { ok: true }, queues: { ok: true }, durableObjects: { ok: true } },
    });
  });

  it('each delivery writes a per-tenant data point to Analytics Engine', async () => {
    const tenant = await seedTenant(net);
    const points: AnalyticsEngineDataPoint[] = [];
    const spy = vi.spyOn(env.METRICS!, 'writeDataPoint').mockImplementation((p) => void points.push(p!));
    try {
      await postWebhook(customerText(tenant, '447700990005', 'metrics'), { secret: tenant.whatsapp.appSecret });
      await vi.waitFor(() => expect(points.some((p) => p.indexes?.[0] === tenant.id)).toBe(true), WAIT);
      const point = points.find((p) => p.indexes?.[0] === tenant.id)!;
      expect(point.blobs).toEqual(['inbound', 'delivered']);
      expect(point.doubles![0]).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });
});
