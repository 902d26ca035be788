/**
 * Alerts (README "Alerts"): each type's condition is made to happen for real, and a Cron Trigger
 * tick sends exactly one signed `firing` notice to the tenant's channel, later ticks none while it
 * lasts, and once it clears exactly one `resolved` notice; the history API shows the incident.
 * Ticks may carry a later time than the clock (the job reads the tick's scheduled time), which is
 * how a test lets a backlog age or a forged-signature window pass.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { genesysRejectionsSince, listDeadLetters, recordDeadLetter } from '../workers/db/records.repo';
import { budgetShardName } from '../workers/domain/genesys-pool';
import { tenantBacklog } from '../workers/db/conversations.repo';
import { HOUR_MS } from '../workers/domain/alert-rules';
import { hmacSha256, toHex, utf8 } from '../workers/lib/crypto';
import type { ReceivedNotice } from './fakes/alerts.fake';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  agentSays,
  cronTick,
  customerText,
  customerWrites,
  newCustomer,
  OPERATOR,
  postWebhook,
  seedTenant,
  type SeededTenant,
  WAIT,
} from './helpers';

const net = useFakeNetwork();
const MINUTE = 60_000;

interface Channel {
  id: string;
  path: string;
  secret: string;
}

async function addChannel(tenant: SeededTenant, headers = OPERATOR): Promise<Channel> {
  const path = `/hooks/${tenant.id}/${crypto.randomUUID()}`;
  const res = await adminApi('POST', `/api/tenants/${tenant.id}/alert-channels`, headers, {
    url: `https://alerts.fake${path}`,
    label: 'ops',
  });
  expect(res.status).toBe(201);
  return { id: res.json.id, path, secret: res.json.secret };
}

/** The notices of `type` the channel received, each checked against its signature. */
async function noticesOf(channel: Channel, type: string): Promise<Array<ReceivedNotice['body']['alert']>> {
  const notices = net.alerts.at(channel.path).filter((n) => n.body.alert.type === type);
  for (const notice of notices) {
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(notice.signature ?? '');
    expect(match, 'X-Bridge-Signature: t=<seconds>,v1=<hex>').not.toBeNull();
    const expected = toHex(await hmacSha256(channel.secret, utf8(`${match![1]}.${notice.raw}`)));
    expect(match![2]).toBe(expected);
    expect(Math.abs(Number(match![1]) * 1000 - Date.now())).toBeLessThan(5 * MINUTE);
    expect(notice.body.text).toContain(notice.body.alert.state === 'firing' ? 'FIRING' : 'RESOLVED');
    expect(notice.alertId).toBe(notice.body.alert.id);
  }
  return notices.map((n) => n.body.alert);
}

async function expectNotices(channel: Channel, type: string, states: Array<'firing' | 'resolved'>) {
  expect((await noticesOf(channel, type)).map((a) => a.state)).toEqual(states);
}

async function history(tenant: SeededTenant, type: string) {
  const res = await adminApi('GET', `/api/tenants/${tenant.id}/alerts`);
  expect(res.status).toBe(200);
  return (
    res.json.items as Array<{ type: string; state: string; resolvedAt: number | null; deliveries: any[] }>
  ).filter((a) => a.type === type);
}

/** The full life of one incident of `type`: `fire` makes the condition, `clear` ends it. */
async function incident(
  tenant: SeededTenant,
  channel: Channel,
  type: string,
  steps: { fire: () => Promise<void>; clear: () => Promise<void>; firingAt?: () => number; clearedAt?: () => number },
) {
  await steps.fire();
  await cronTick(steps.firingAt?.() ?? Date.now());
  await expectNotices(channel, type, ['firing']);
  const [fired] = await noticesOf(channel, type);
  expect(fired).toMatchObject({
    type,
    state: 'firing',
    tenantId: tenant.id,
    tenantName: tenant.name,
    resolvedAt: null,
  });
  expect(await history(tenant, type)).toMatchObject([{ state: 'open', resolvedAt: null }]);

  // Still firing: not sent again.
  await cronTick(steps.firingAt?.() ?? Date.now());
  await expectNotices(channel, type, ['firing']);

  await steps.clear();
  await cronTick(steps.clearedAt?.() ?? Date.now());
  await expectNotices(channel, type, ['firing', 'resolved']);
  const resolved = (await noticesOf(channel, type))[1]!;
  expect(resolved).toMatchObject({ id: fired!.id, state: 'resolved', openedAt: fired!.openedAt });
  expect(resolved.resolvedAt).toEqual(expect.any(String));
  await cronTick(steps.clearedAt?.() ?? Date.now());
  await expectNotices(channel, type, ['firing', 'resolved']);

  const [row] = await history(tenant, type);
  expect(await history(tenant, type)).toHaveLength(1);
  expect(row).toMatchObject({ state: 'resolved', resolvedAt: expect.any(Number) });
  expect(row!.deliveries).toMatchObject([
    { channelId: channel.id, notice: 'firing', status: 'sent', attempts: 1 },
    { channelId: channel.id, notice: 'resolved', status: 'sent', attempts: 1 },
  ]);
}

/** Webhooks signed with a secret that is not the tenant's. */
async function forge(tenant: SeededTenant, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await postWebhook(customerText(tenant, newCustomer(), 'forged'), { secret: 'not-the-app-secret' });
    expect(res.status).toBe(401);
  }
}

const gateSignals = (tenant: SeededTenant, now = Date.now()) => env.TENANT_GATE.getByName(tenant.id).alertSignals(now);

describe('every alert type fires once and resolves once', () => {
  it('whatsapp_credential (Meta answers 190) and backlog (the held messages wait past ALERT_BACKLOG_AGE_MS)', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    const waId = newCustomer();
    await customerWrites(net, tenant, waId);
    const later = () => Date.now() + 16 * MINUTE;

    // The token was rotated at Meta: the next send meets 190 and the number is held.
    net.meta.phoneNumbers.set(tenant.whatsapp.phoneNumberId, 'token-rotated-at-meta');
    await agentSays(tenant, waId, { text: 'are you there?' });
    await vi.waitFor(async () => expect((await tenantBacklog(env, tenant.id)).outbound.count).toBe(1), WAIT);

    await cronTick();
    await expectNotices(channel, 'whatsapp_credential', ['firing']);
    await expectNotices(channel, 'backlog', []); // not old enough yet
    await cronTick(later());
    await expectNotices(channel, 'backlog', ['firing']);
    await cronTick(later());
    await expectNotices(channel, 'whatsapp_credential', ['firing']);
    await expectNotices(channel, 'backlog', ['firing']);

    // The runbook's fix: set the working token; the held message goes out and the backlog empties.
    const put = await adminApi('PUT', `/api/tenants/${tenant.id}/whatsapp`, OPERATOR, {
      accessToken: 'token-rotated-at-meta',
    });
    expect(put.json).toMatchObject({ whatsapp: { credentialStatus: 'ok' } });
    await vi.waitFor(async () => expect((await tenantBacklog(env, tenant.id)).outbound.count).toBe(0), WAIT);
    await cronTick(later());
    await cronTick(later());
    await expectNotices(channel, 'whatsapp_credential', ['firing', 'resolved']);
    await expectNotices(channel, 'backlog', ['firing', 'resolved']);
    for (const type of ['whatsapp_credential', 'backlog'])
      expect(await history(tenant, type)).toMatchObject([{ state: 'resolved' }]);
  });

  it('genesys_auth: the token endpoint refuses the OAuth client until new credentials are set', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    await incident(tenant, channel, 'genesys_auth', {
      async fire() {
        // The secret was rotated in Genesys: the bridge's one is refused (401 invalid_client).
        net.genesys.registerClient(tenant.genesys.clientId, 'rotated-in-genesys-1234');
        expect(
          (await postWebhook(customerText(tenant, newCustomer(), 'hi'), { secret: tenant.whatsapp.appSecret })).status,
        ).toBe(200);
        await vi.waitFor(async () => expect((await gateSignals(tenant)).genesysAuth).not.toBeNull(), WAIT);
      },
      async clear() {
        const put = await adminApi('PUT', `/api/tenants/${tenant.id}/genesys`, OPERATOR, {
          clientSecret: 'rotated-in-genesys-1234',
        });
        expect(put.status).toBe(200);
      },
    });
  });

  it("genesys_auth: a pool client's refusal fires too; removing that client resolves it", async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    const pool = { clientId: `pool-${tenant.id}`, clientSecret: `pool-secret-${tenant.id}` };
    net.genesys.registerClient(pool.clientId, pool.clientSecret);
    const entry = (await adminApi('POST', `/api/tenants/${tenant.id}/genesys/clients`, OPERATOR, pool)).json.id;
    await incident(tenant, channel, 'genesys_auth', {
      async fire() {
        net.genesys.registerClient(pool.clientId, 'rotated-in-genesys-5678');
        const lease = { tenantId: tenant.id, client: entry, holder: `${tenant.id}:x`, want: 1 };
        expect(await env.TENANT_GATE.getByName(budgetShardName(tenant.id, entry)).lease(lease)).toMatchObject({
          ok: false,
        });
      },
      async clear() {
        expect((await adminApi('DELETE', `/api/tenants/${tenant.id}/genesys/clients/${entry}`)).status).toBe(204);
      },
    });
    expect((await noticesOf(channel, 'genesys_auth'))[0]!.detail).toContain(`client ${entry}`);
  });

  it('genesys_integration: Genesys refuses a customer message for good (the integration was deleted); an hour without a refusal resolves it', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    await incident(tenant, channel, 'genesys_integration', {
      async fire() {
        // Genesys' error body for a missing resource: {"message", "code", "status"}.
        net.genesys.script.push(new RegExp(tenant.genesys.integrationId), {
          status: 404,
          body: { message: 'Integration not found', code: 'not.found', status: 404 },
        });
        await postWebhook(customerText(tenant, newCustomer(), 'hello?'), { secret: tenant.whatsapp.appSecret });
        await vi.waitFor(
          async () =>
            expect(await genesysRejectionsSince(env, tenant.id, Date.now() - HOUR_MS)).toEqual({
              count: 1,
              lastCode: 'genesys_404',
            }),
          WAIT,
        );
      },
      async clear() {},
      clearedAt: () => Date.now() + HOUR_MS + MINUTE,
    });
    expect((await noticesOf(channel, 'genesys_integration'))[0]!.detail).toContain('genesys_404');
  });

  it('dead_letters: clears by itself 24 hours after the last dead letter, replayed or not', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    await incident(tenant, channel, 'dead_letters', {
      async fire() {
        await recordDeadLetter(env, crypto.randomUUID(), {
          tenantId: tenant.id,
          queue: 'inbound',
          errorCode: 'genesys_503',
          errorDetail: 'service.unavailable',
          attempts: 4,
          payload: { v: 1 },
        });
      },
      async clear() {},
      clearedAt: () => Date.now() + 24 * HOUR_MS + MINUTE,
    });
  });

  it('dead_letters: a message dead-lettered; replaying it resolves the alert', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    await incident(tenant, channel, 'dead_letters', {
      async fire() {
        net.genesys.script.push(
          new RegExp(tenant.genesys.integrationId),
          { status: 503, body: { status: 503, code: 'service.unavailable' } },
          4,
        );
        await postWebhook(customerText(tenant, newCustomer(), 'please help'), { secret: tenant.whatsapp.appSecret });
        await vi.waitFor(async () => expect(await listDeadLetters(env, tenant.id)).toHaveLength(1), WAIT);
      },
      async clear() {
        const [dead] = await listDeadLetters(env, tenant.id);
        expect((await adminApi('POST', `/api/tenants/${tenant.id}/dead-letters/${dead!.id}/replay`)).status).toBe(202);
        await vi.waitFor(
          async () => expect((await listDeadLetters(env, tenant.id))[0]!.replayedAt).not.toBeNull(),
          WAIT,
        );
      },
    });
  });

  it('signature_failures: ALERT_SIGNATURE_FAILURES forged webhooks in 15 minutes; resolves once the window passes', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    await incident(tenant, channel, 'signature_failures', {
      async fire() {
        await forge(tenant, 5);
        expect((await gateSignals(tenant)).signatureFailures).toBe(5);
      },
      async clear() {},
      clearedAt: () => Date.now() + 16 * MINUTE,
    });
    // Four are not a spike.
    const quiet = await seedTenant(net);
    const quietChannel = await addChannel(quiet);
    await forge(quiet, 4);
    await cronTick();
    expect(net.alerts.at(quietChannel.path)).toEqual([]);
  });

  it('webhook_silent: no webhook for 3× the usual gap (at least an hour); the next genuine webhook resolves it', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    await incident(tenant, channel, 'webhook_silent', {
      async fire() {
        // A week of webhooks every hour (what the inbound consumer reports per batch), the last 4 hours ago.
        const gate = env.TENANT_GATE.getByName(tenant.id);
        const start = Date.now() - 7 * 24 * HOUR_MS;
        for (let at = start; at <= Date.now() - 4 * HOUR_MS; at += HOUR_MS) await gate.debitWhatsapp(0, 80, at);
        // Usual gap 1 h: silent past 3 h.
      },
      async clear() {
        const sentAt = Date.now();
        expect(
          (await postWebhook(customerText(tenant, newCustomer(), 'back'), { secret: tenant.whatsapp.appSecret }))
            .status,
        ).toBe(200);
        await vi.waitFor(
          async () => expect((await gateSignals(tenant)).arrivals.lastAt).toBeGreaterThanOrEqual(sentAt),
          WAIT,
        );
      },
    });
  });

  it('a tenant with little history has no baseline, so silence alone never fires', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    const gate = env.TENANT_GATE.getByName(tenant.id);
    for (let h = 30; h > 10; h--) await gate.debitWhatsapp(0, 80, Date.now() - h * HOUR_MS);
    await cronTick();
    expect(net.alerts.at(channel.path)).toEqual([]);
  });
});

describe('channels', () => {
  it("another tenant's channel receives nothing, and its history is its own", async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const aChannel = await addChannel(a);
    const bChannel = await addChannel(b);
    await forge(a, 5);
    await cronTick();
    await expectNotices(aChannel, 'signature_failures', ['firing']);
    expect(net.alerts.at(bChannel.path)).toEqual([]);
    expect(await history(b, 'signature_failures')).toEqual([]);
    const bKey = (
      await adminApi('POST', `/api/tenants/${b.id}/api-keys`, OPERATOR, { name: 'b', role: 'tenant-admin' })
    ).json.key;
    expect((await adminApi('GET', `/api/tenants/${a.id}/alerts`, { 'x-api-key': bKey })).status).toBe(404);
    expect((await adminApi('GET', `/api/tenants/${a.id}/alert-channels`, { 'x-api-key': bKey })).status).toBe(404);
  });

  it('a channel that refuses a notice gets it on the next tick, once; the delivery is recorded', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    net.alerts.failing.set(channel.path, 503);
    await forge(tenant, 5);
    await cronTick();
    expect(net.alerts.at(channel.path)).toEqual([]);
    expect((await history(tenant, 'signature_failures'))[0]!.deliveries).toMatchObject([
      { notice: 'firing', status: 'pending', attempts: 1, lastError: expect.stringContaining('503'), sentAt: null },
    ]);

    net.alerts.failing.delete(channel.path);
    await cronTick();
    await cronTick();
    await expectNotices(channel, 'signature_failures', ['firing']);
    expect((await history(tenant, 'signature_failures'))[0]!.deliveries).toMatchObject([
      { notice: 'firing', status: 'sent', attempts: 2, lastError: null, sentAt: expect.any(Number) },
    ]);
  });

  it('a notice refused ALERT_DELIVERY_MAX_ATTEMPTS (8) times is given up and recorded as failed', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    net.alerts.failing.set(channel.path, 500);
    await forge(tenant, 5);
    for (let tick = 0; tick < 8; tick++) await cronTick();
    expect((await history(tenant, 'signature_failures'))[0]!.deliveries).toMatchObject([
      { notice: 'firing', status: 'failed', attempts: 8, lastError: expect.stringContaining('500') },
    ]);
    net.alerts.failing.delete(channel.path);
    await cronTick();
    expect(net.alerts.at(channel.path)).toEqual([]);
  });

  it('a suspended tenant is not evaluated; once active again, its conditions are', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    const patch = (status: string) => adminApi('PATCH', `/api/tenants/${tenant.id}`, OPERATOR, { status });
    expect((await patch('suspended')).status).toBe(200);
    await forge(tenant, 5);
    await cronTick();
    expect(net.alerts.at(channel.path)).toEqual([]);
    expect((await patch('active')).status).toBe(200);
    await cronTick();
    await expectNotices(channel, 'signature_failures', ['firing']);
  });

  it('the signing secret is shown once and masked after; viewers read but cannot manage channels', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    expect(channel.secret.length).toBeGreaterThanOrEqual(32);
    const list = await adminApi('GET', `/api/tenants/${tenant.id}/alert-channels`);
    expect(list.json.items).toEqual([
      {
        id: channel.id,
        url: 'https://alerts.fake/••••',
        secret: `••••${channel.secret.slice(-4)}`,
        label: 'ops',
        createdAt: expect.any(Number),
      },
    ]);
    expect(list.text).not.toContain(channel.secret);
    expect(list.text).not.toContain(channel.path);

    for (let i = 0; i < 4; i++) await addChannel(tenant);
    const sixth = await adminApi('POST', `/api/tenants/${tenant.id}/alert-channels`, OPERATOR, {
      url: 'https://alerts.fake/sixth',
    });
    expect(sixth.status).toBe(409);
    expect(sixth.json.error.code).toBe('too_many_channels');

    const viewer = {
      'x-api-key': (
        await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, { name: 'v', role: 'viewer' })
      ).json.key,
    };
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/alert-channels`, viewer)).status).toBe(200);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/alerts`, viewer)).status).toBe(200);
    const planted = await adminApi('POST', `/api/tenants/${tenant.id}/alert-channels`, viewer, {
      url: 'https://alerts.fake/planted',
    });
    expect(planted.status).toBe(403);
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}/alert-channels/${channel.id}`, viewer)).status).toBe(
      403,
    );
    expect((await adminApi('POST', `/api/tenants/${tenant.id}/alert-channels/${channel.id}/test`, viewer)).status).toBe(
      403,
    );
  });

  it('a test notice is signed like the others; a removed channel receives nothing more', async () => {
    const tenant = await seedTenant(net);
    const channel = await addChannel(tenant);
    const res = await adminApi('POST', `/api/tenants/${tenant.id}/alert-channels/${channel.id}/test`);
    expect(res.json).toEqual({ ok: true, error: null });
    expect(await noticesOf(channel, 'test')).toMatchObject([{ state: 'firing', tenantId: tenant.id }]);

    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}/alert-channels/${channel.id}`)).status).toBe(204);
    await forge(tenant, 5);
    await cronTick();
    expect(net.alerts.at(channel.path)).toHaveLength(1);
  });
});
