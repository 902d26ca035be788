/**
 * How the dashboard learns what happened (README "Metrics and backlog"): conversations report their
 * outcomes and backlog in summaries, and D1 is written a batch of summaries at a time — never once
 * per message on the delivery path.
 */
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyActivity, getConversation } from '../workers/db/conversations.repo';
import type { ActivityMessage } from '../workers/schemas/queue.schema';
import { useFakeNetwork } from './fakes/network';
import { adminApi, customerText, postWebhook, seedTenant, WAIT, type SeededTenant } from './helpers';

const net = useFakeNetwork();

async function metrics(tenant: SeededTenant) {
  return (await adminApi('GET', `/api/tenants/${tenant.id}/metrics?hours=1`)).json;
}

afterEach(() => vi.restoreAllMocks());

describe('what the dashboard learns', () => {
  it('30 messages from 10 customers reach the index and metrics with far fewer D1 writes than messages', async () => {
    const tenant = await seedTenant(net);
    const writes: string[] = [];
    const prepare = env.DB.prepare.bind(env.DB);
    vi.spyOn(env.DB, 'prepare').mockImplementation((query: string) => {
      if (/^insert into "(conversations|metrics_hourly)"/i.test(query)) writes.push(query);
      return prepare(query);
    });
    const now = Math.floor(Date.now() / 1000);
    const customers = Array.from({ length: 10 }, (_, i) => `4477009800${String(i).padStart(2, '0')}`);
    for (const [i, customer] of customers.entries())
      for (let m = 0; m < 3; m++)
        await postWebhook(customerText(tenant, customer, `c${i} m${m}`, now + m), {
          secret: tenant.whatsapp.appSecret,
        });

    await vi.waitFor(async () => expect((await metrics(tenant)).hours[0].inbound).toBe(30), WAIT);
    const rows = await env.DB.prepare(
      'SELECT SUM(messages_in) AS n, COUNT(*) AS c FROM conversations WHERE tenant_id = ?',
    )
      .bind(tenant.id)
      .first<{ n: number; c: number }>();
    expect(rows).toEqual({ n: 30, c: 10 });
    // Written once per message before (30 each); now once per conversation per report batch, and a
    // conversation reports at most every ACTIVITY_REPORT_MS whatever its traffic.
    const conversationWrites = writes.filter((q) => /"conversations"/.test(q)).length;
    const metricWrites = writes.length - conversationWrites;
    expect(conversationWrites).toBeLessThan(30);
    expect(metricWrites).toBeLessThan(30);
  });

  it('shows what conversations hold back and since when, and clears it once delivered', async () => {
    const tenant = await seedTenant(net);
    net.genesys.script.push(
      new RegExp(tenant.genesys.integrationId),
      { status: 503, headers: { 'retry-after': '3' }, body: { status: 503 } },
      1,
    );
    await postWebhook(customerText(tenant, '447700981001', 'stuck for now', Math.floor(Date.now() / 1000)), {
      secret: tenant.whatsapp.appSecret,
    });
    await vi.waitFor(async () => {
      const { backlog } = await metrics(tenant);
      expect(backlog.inbound.count).toBe(1);
      expect(backlog.inbound.oldestAgeMs).toBeGreaterThanOrEqual(0);
      expect(backlog.outbound).toEqual({ count: 0, oldestAgeMs: null });
    }, WAIT);
    await vi.waitFor(async () => {
      const { backlog, hours } = await metrics(tenant);
      expect(hours[0].inbound).toBe(1);
      expect(backlog.inbound).toEqual({ count: 0, oldestAgeMs: null });
    }, WAIT);
  });

  it('a report still on the queue when its customer is erased does not bring their row back', async () => {
    const tenant = await seedTenant(net);
    const waId = '447700981002';
    const report = (reportedAt: number): ActivityMessage => ({
      v: 1,
      kind: 'activity',
      tenantId: tenant.id,
      waId,
      reportedAt,
      contactName: 'Ana',
      genesysConversationId: null,
      lastMessageAt: reportedAt,
      lastDirection: 'inbound',
      lastCustomerMessageAt: reportedAt,
      messagesIn: 1,
      messagesOut: 0,
      hours: [],
      backlog: { inbound: { count: 0, oldestAt: null }, outbound: { count: 0, oldestAt: null } },
    });
    const sentBefore = Date.now() - 1000;
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}/customers/${waId}`)).status).toBe(200);
    await applyActivity(env, [report(sentBefore)]);
    expect(await getConversation(env, tenant.id, waId)).toBeUndefined();
    // The customer writes again later: that conversation is indexed as usual.
    await applyActivity(env, [report(Date.now() + 1000)]);
    expect(await getConversation(env, tenant.id, waId)).toMatchObject({ messagesIn: 1 });
  });
});
