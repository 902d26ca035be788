/**
 * Retention (README "Retention"): the Cron Trigger deletes D1 rows past their age, kind by kind,
 * and keeps the rest; failure records keep what an operator reads of a large notice, not all of it.
 * The scheduled handler is called as the runtime calls it, with createScheduledController.
 */
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { getConversation } from '../workers/db/conversations.repo';
import { MAX_FAILURE_PAYLOAD_CHARS } from '../workers/db/records.repo';
import { useFakeNetwork } from './fakes/network';
import { adminApi, agentSays, cronTick, customerWrites, newCustomer, postWebhook, seedTenant, WAIT } from './helpers';

const net = useFakeNetwork();

const DAY = 24 * 3600_000;

async function ids(sql: string, tenantId: string): Promise<string[]> {
  const rows = await env.DB.prepare(sql).bind(tenantId).all<{ id: string }>();
  return rows.results.map((r) => r.id).sort();
}

describe('retention', () => {
  it('purges failures, dead letters, audit entries, hourly metrics and stale index rows past their age, and keeps younger ones', async () => {
    const tenant = crypto.randomUUID();
    const now = Date.now();
    const ago = (days: number) => now - days * DAY;
    const failure = (id: string, at: number) =>
      env.DB.prepare(
        "INSERT INTO failed_messages (id, tenant_id, direction, code, detail, payload, created_at) VALUES (?, ?, 'inbound', 'x', 'x', '{}', ?)",
      ).bind(id, tenant, at);
    const deadLetter = (id: string, at: number, replayedAt: number | null) =>
      env.DB.prepare(
        "INSERT INTO dead_letters (id, tenant_id, queue, error_code, error_detail, attempts, payload, replayed_at, created_at) VALUES (?, ?, 'inbound', 'x', 'x', 8, '{}', ?, ?)",
      ).bind(id, tenant, replayedAt, at);
    const auditEntry = (id: string, at: number) =>
      env.DB.prepare(
        "INSERT INTO audit_log (id, tenant_id, actor, action, created_at) VALUES (?, ?, 'operator', 'tenant.update', ?)",
      ).bind(id, tenant, at);
    const metric = (hour: number) =>
      env.DB.prepare(
        "INSERT INTO metrics_hourly (tenant_id, hour, direction, delivered) VALUES (?, ?, 'inbound', 1)",
      ).bind(tenant, hour);
    const indexRow = (waId: string, at: number) =>
      env.DB.prepare(
        "INSERT INTO conversations (tenant_id, wa_id, last_message_at, last_direction) VALUES (?, ?, ?, 'inbound')",
      ).bind(tenant, waId, at);
    const finishedJob = (id: string, at: number) =>
      env.DB.prepare(
        "INSERT INTO offboarding_jobs (id, tenant_id, status, requested_by, created_at, updated_at, finished_at) VALUES (?, ?, 'done', 'operator', ?, ?, ?)",
      ).bind(id, tenant, at, at, at);

    const alert = (id: string, resolvedAt: number | null) =>
      env.DB.prepare(
        "INSERT INTO alerts (id, tenant_id, type, state, detail, opened_at, resolved_at) VALUES (?, ?, 'backlog', ?, 'x', ?, ?)",
      ).bind(id, tenant, resolvedAt === null ? 'open' : 'resolved', ago(400), resolvedAt);
    const delivery = (alertId: string) =>
      env.DB.prepare(
        "INSERT INTO alert_deliveries (alert_id, channel_id, tenant_id, notice, status, created_at) VALUES (?, 'c', ?, 'firing', 'sent', ?)",
      ).bind(alertId, tenant, ago(400));

    await env.DB.batch([
      alert('resolved-366d', ago(366)),
      alert('resolved-364d', ago(364)),
      alert('open-400d', null),
      delivery('resolved-366d'),
      delivery('resolved-364d'),
      delivery('open-400d'),
      failure('failed-31d', ago(31)),
      failure('failed-29d', ago(29)),
      deadLetter('replayed-31d-ago', ago(40), ago(31)),
      deadLetter('replayed-yesterday', ago(40), ago(1)),
      deadLetter('parked-89d', ago(89), null),
      deadLetter('parked-91d', ago(91), null),
      auditEntry('audit-366d', ago(366)),
      auditEntry('audit-364d', ago(364)),
      metric(ago(91)),
      metric(ago(89)),
      indexRow('447700000091', ago(91)),
      indexRow('447700000089', ago(89)),
      finishedJob('offboarded-366d', ago(366)),
      finishedJob('offboarded-10d', ago(10)),
    ]);

    await cronTick(now);

    expect(await ids('SELECT id FROM failed_messages WHERE tenant_id = ?', tenant)).toEqual(['failed-29d']);
    expect(await ids('SELECT id FROM dead_letters WHERE tenant_id = ?', tenant)).toEqual([
      'parked-89d',
      'replayed-yesterday',
    ]);
    expect(await ids('SELECT id FROM audit_log WHERE tenant_id = ?', tenant)).toEqual(['audit-364d']);
    expect(await ids('SELECT hour AS id FROM metrics_hourly WHERE tenant_id = ?', tenant)).toEqual([ago(89)]);
    expect(await ids('SELECT wa_id AS id FROM conversations WHERE tenant_id = ?', tenant)).toEqual(['447700000089']);
    expect(await ids('SELECT id FROM offboarding_jobs WHERE tenant_id = ?', tenant)).toEqual(['offboarded-10d']);
    // Resolved alerts go with the audit log, with their deliveries; an open one stays, however old.
    expect(await ids('SELECT id FROM alerts WHERE tenant_id = ?', tenant)).toEqual(['open-400d', 'resolved-364d']);
    expect(await ids('SELECT alert_id AS id FROM alert_deliveries WHERE tenant_id = ?', tenant)).toEqual([
      'open-400d',
      'resolved-364d',
    ]);
  });

  it('records a 200 KB notice trimmed to a few KB, marked, with its ids, type and error', async () => {
    const tenant = await seedTenant(net);
    const thread = Array.from({ length: 1200 }, (_, i) => ({
      from: '447700900123',
      id: `wamid.HISTORY${i}`,
      timestamp: '1739321024',
      type: 'text',
      text: { body: `message number ${i} of a long history, with some words to make it realistic` },
    }));
    const webhook = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: tenant.whatsapp.wabaId,
          changes: [
            {
              field: 'history',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: tenant.whatsapp.phoneNumberId },
                history: [
                  { metadata: { phase: 0, chunk_order: 1 }, threads: [{ id: '447700900123', messages: thread }] },
                ],
              },
            },
          ],
        },
      ],
    };
    const body = JSON.stringify(webhook);
    expect(body.length).toBeGreaterThan(190_000);
    expect((await postWebhook(body, { secret: tenant.whatsapp.appSecret })).status).toBe(200);

    const res = await adminApi('GET', `/api/tenants/${tenant.id}/failures`);
    const { items } = res.json as { items: Array<{ id: string; code: string }> };
    expect(items).toHaveLength(1);
    expect(items[0]!.code).toBe('item_too_large');
    // Lists leave payloads out; the failure's own route has it.
    const stored = (await adminApi('GET', `/api/tenants/${tenant.id}/failures/${items[0]!.id}`)).json.payload as string;
    expect(stored.length).toBeLessThanOrEqual(MAX_FAILURE_PAYLOAD_CHARS);
    const payload = JSON.parse(stored);
    expect(payload._trimmed.originalChars).toBeGreaterThan(190_000);
    expect(payload).toMatchObject({
      kind: 'wa_notice',
      field: 'history',
      tenantId: tenant.id,
      phoneNumberId: tenant.whatsapp.phoneNumberId,
      value: { metadata: { phone_number_id: tenant.whatsapp.phoneNumberId } },
    });
    expect(payload.value.history[0].threads[0].messages[0].id).toBe('wamid.HISTORY0');
  });

  it('a conversation with nothing left past the dedup window removes its index row, then erases itself', async () => {
    const tenant = await seedTenant(net);
    const customer = newCustomer();
    await customerWrites(net, tenant, customer);
    await agentSays(tenant, customer, { text: 'bye' });
    await vi.waitFor(
      async () => expect(await getConversation(env, tenant.id, customer)).toMatchObject({ messagesOut: 1 }),
      WAIT,
    );
    const stub = env.CONVERSATION.getByName(`${tenant.id}:${customer}`);
    // Nine days pass: everything settled is older than the 8-day dedup window.
    await runInDurableObject(stub, (_i, state) => {
      const longAgo = Date.now() - 9 * DAY;
      for (const table of ['messages', 'outbound'])
        state.storage.sql.exec(`UPDATE ${table} SET updated_at = ?`, longAgo);
      state.storage.sql.exec('UPDATE statuses SET received_at = ?', longAgo);
      state.storage.sql.exec('DELETE FROM tasks');
    });
    await env.DB.prepare('UPDATE conversations SET last_message_at = ? WHERE tenant_id = ? AND wa_id = ?')
      .bind(Date.now() - 9 * DAY, tenant.id, customer)
      .run();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await getConversation(env, tenant.id, customer)).toBeUndefined();
    expect(await stub.timeline()).toEqual([]);
    // deleteAll: not even empty tables are left.
    expect(
      await runInDurableObject(stub, async (_i, state) => ({
        alarm: await state.storage.getAlarm(),
        tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
      })),
    ).toEqual({ alarm: null, tables: [] });
  });
});
