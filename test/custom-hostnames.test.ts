/**
 * README "Custom hostnames": a tenant's own domain through Cloudflare for SaaS, against a fake of
 * Cloudflare's API at the HTTP boundary (test/fakes/cloudflare.fake.ts, answering as the real one):
 * created at Cloudflare, pending with the DNS records the customer must add, routed to the tenant
 * only once Cloudflare reports it active (the cron refreshes it), deleted at Cloudflare on DELETE
 * and on offboarding; Cloudflare's refusals and failures answered precisely, nothing stored. Also
 * the sandbox simulator's part of the same contract.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import type { CfCustomHostname } from '../sandbox/cloudflare.contract';
import demo from '../sandbox/simulator/demo-tenant.json';
import { cloudflareApi, loadZone, saveZone } from '../sandbox/simulator/simulator.cloudflare';
import { app } from '../workers/app';
import { insertHostname } from '../workers/db/custom-hostnames.repo';
import { CfCustomHostname as CfResult, hostnameState } from '../workers/domain/custom-hostname';
import type { Env } from '../workers/env';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  cronTick,
  OPERATOR,
  postWebhook,
  seedTenant,
  uniqueWamid,
  WAIT,
  webhookFor,
  type SeededTenant,
} from './helpers';

const net = useFakeNetwork();

const newHostname = () => `support-${crypto.randomUUID().slice(0, 8)}.acme-shop.com`;

/** A WhatsApp webhook for `tenant` signed with its app secret, sent to `host`. */
const webhookVia = (tenant: SeededTenant, host: string) =>
  postWebhook(webhookFor(textFixture, tenant, { id: uniqueWamid() }), { secret: tenant.whatsapp.appSecret, host });

/** A webhook via `host` is accepted, and its message reaches the tenant's Genesys (so nothing is left in flight). */
async function deliveredVia(tenant: SeededTenant, host: string): Promise<void> {
  const before = net.genesys.calls.filter((c) => c.integrationId === tenant.genesys.integrationId).length;
  expect((await webhookVia(tenant, host)).status).toBe(200);
  await vi.waitFor(
    () =>
      expect(net.genesys.calls.filter((c) => c.integrationId === tenant.genesys.integrationId)).toHaveLength(
        before + 1,
      ),
    WAIT,
  );
}

/** POST …/hostnames as the operator, on a Worker with other vars or secrets. */
async function addWith(vars: Partial<Env>, tenantId: string, hostname: string) {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`https://bridge.test/api/tenants/${tenantId}/hostnames`, {
      method: 'POST',
      headers: { ...OPERATOR, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname }),
    }),
    { ...env, ...vars } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, text: await res.text() };
}

const hostnamesOf = async (tenantId: string) =>
  (await adminApi('GET', `/api/tenants/${tenantId}/hostnames`)).json.items as Array<Record<string, any>>;

describe('a custom hostname through Cloudflare for SaaS', () => {
  it('create → pending with its DNS records → active after the cron → routes to the tenant → delete removes it at Cloudflare', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const hostname = newHostname();

    const created = await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
    expect(created.status).toBe(201);
    const atCloudflare = net.cloudflare.hostname(hostname)!;
    expect(atCloudflare).toMatchObject({ hostname, status: 'pending', ssl: { method: 'txt', type: 'dv' } });
    expect(created.json).toMatchObject({
      hostname,
      status: 'pending',
      routing: false,
      sslStatus: 'initializing',
      verificationErrors: ['custom hostname does not CNAME to this zone.'],
    });
    // What the customer adds at once: the CNAME to the platform host and the ownership TXT; the
    // certificate's TXT comes once Cloudflare has ordered the certificate (below).
    const traffic = { type: 'CNAME', name: hostname, value: 'bridge.test', purpose: 'traffic' };
    const ownership = {
      type: 'TXT',
      name: `_cf-custom-hostname.${hostname}`,
      value: atCloudflare.ownership_verification.value,
      purpose: 'ownership',
    };
    expect(created.json.records).toEqual([traffic, ownership]);
    const [audit] = (await adminApi('GET', `/api/tenants/${a.id}/audit`)).json.items;
    expect(audit).toMatchObject({ action: 'hostname.add', target: hostname });
    expect(JSON.stringify(audit)).not.toContain('test-cloudflare-token');

    // Pending: the host names no tenant that is served, for webhooks and the admin API alike.
    expect((await webhookVia(a, hostname)).status).toBe(401);
    const pending = await adminApi('GET', `/api/tenants/${a.id}`, OPERATOR, undefined, { host: hostname });
    expect(pending.status).toBe(404);
    expect(pending.json.error.code).toBe('unknown_tenant');

    // The cron asks Cloudflare: the certificate has moved on, the hostname is still pending.
    await cronTick();
    const [ordered] = await hostnamesOf(a.id);
    expect(ordered).toMatchObject({ status: 'pending', sslStatus: 'pending_validation' });
    expect(ordered!.records).toEqual([
      traffic,
      ownership,
      {
        type: 'TXT',
        name: `_acme-challenge.${hostname}`,
        value: net.cloudflare.hostname(hostname)!.ssl.validation_records![0]!.txt_value,
        purpose: 'certificate',
      },
    ]);
    expect((await adminApi('GET', `/api/tenants/${a.id}`, OPERATOR, undefined, { host: hostname })).status).toBe(404);

    // The customer's DNS is in place; Cloudflare reports it active; the next tick routes it at once
    // (the isolate's cached "not served" for this host is forgotten when the status changes).
    net.cloudflare.verify(hostname);
    await cronTick();
    const [active] = await hostnamesOf(a.id);
    expect(active).toMatchObject({ status: 'active', routing: true, sslStatus: 'active', verificationErrors: [] });
    expect(active!.checkedAt).toBeGreaterThan(0);
    expect(active!.records.map((r: { purpose: string }) => r.purpose)).toEqual(['traffic', 'ownership']);
    await deliveredVia(a, hostname);
    const scoped = await adminApi('GET', '/api/tenants', OPERATOR, undefined, { host: hostname });
    expect(scoped.json.items.map((t: { id: string }) => t.id)).toEqual([a.id]);

    // Active and with its certificate: the cron stops asking about it.
    const asked = net.cloudflare.requests.length;
    await cronTick();
    expect(net.cloudflare.requests.length).toBe(asked);

    const deleted = await adminApi('DELETE', `/api/tenants/${a.id}/hostnames/${hostname}`);
    expect(deleted.status).toBe(204);
    expect(net.cloudflare.hostname(hostname)).toBeUndefined();
    expect(await hostnamesOf(a.id)).toEqual([]);
    // No longer the tenant's: the host is not scoped to it any more.
    const after = await adminApi('GET', '/api/tenants', OPERATOR, undefined, { host: hostname });
    expect(after.json.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM custom_hostname_deletions').first('n')).toBe(0);
  });

  it('a tenant sees its own hostnames only, and cannot add or delete one', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const hostname = newHostname();
    expect((await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname })).status).toBe(201);
    const aKey = (
      await adminApi('POST', `/api/tenants/${a.id}/api-keys`, OPERATOR, { name: 'a', role: 'tenant-admin' })
    ).json.key;
    const bKey = (
      await adminApi('POST', `/api/tenants/${b.id}/api-keys`, OPERATOR, { name: 'b', role: 'tenant-admin' })
    ).json.key;

    expect((await adminApi('GET', `/api/tenants/${a.id}/hostnames`, { 'x-api-key': aKey })).json.items).toHaveLength(1);
    expect((await adminApi('GET', `/api/tenants/${a.id}/hostnames`, { 'x-api-key': bKey })).status).toBe(404);
    expect((await adminApi('GET', `/api/tenants/${b.id}/hostnames`, { 'x-api-key': bKey })).json.items).toEqual([]);
    // B's admin cannot remove A's hostname, through A's path or its own.
    expect((await adminApi('DELETE', `/api/tenants/${a.id}/hostnames/${hostname}`, { 'x-api-key': bKey })).status).toBe(
      404,
    );
    expect((await adminApi('DELETE', `/api/tenants/${b.id}/hostnames/${hostname}`, OPERATOR)).status).toBe(404);
    // Nor can A's own admin: custom hostnames are the platform's (they cost a Cloudflare quota).
    expect((await adminApi('DELETE', `/api/tenants/${a.id}/hostnames/${hostname}`, { 'x-api-key': aKey })).status).toBe(
      403,
    );
    expect(net.cloudflare.hostname(hostname)).toBeDefined();
    // Another tenant cannot claim it either.
    const taken = await adminApi('POST', `/api/tenants/${b.id}/hostnames`, OPERATOR, { hostname });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe('conflict');
  });
});

describe("Cloudflare's refusals and failures", () => {
  it('a hostname Cloudflare already has (1406) is a 409 with a plain message; nothing is stored', async () => {
    const a = await seedTenant(net);
    const hostname = newHostname();
    net.cloudflare.zone.handle(
      'POST',
      `/zones/${env.CLOUDFLARE_SAAS_ZONE_ID}/custom_hostnames`,
      `Bearer ${env.CLOUDFLARE_SAAS_API_TOKEN}`,
      { hostname, ssl: { method: 'http', type: 'dv' } },
    );
    const res = await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('conflict');
    expect(res.json.error.message).toContain('Cloudflare already has this hostname');
    expect(await hostnamesOf(a.id)).toEqual([]);
  });

  it('hostnames Cloudflare refuses are a 400 naming the field', async () => {
    const a = await seedTenant(net);
    for (const hostname of ['shop.example.com', 'support.example.org']) {
      const res = await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
      expect(res.status, hostname).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_body', issues: [{ path: 'hostname' }] });
    }
    expect(await hostnamesOf(a.id)).toEqual([]);
  });

  it('Cloudflare failing (5xx) or not answering is a 502 cloudflare_failed; nothing is stored', async () => {
    const a = await seedTenant(net);
    const hostname = newHostname();
    net.cloudflare.script.push(/^POST /, {
      status: 500,
      body: { success: false, errors: [{ code: 1500, message: 'Internal Server Error' }], messages: [], result: null },
    });
    const failed = await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
    expect(failed.status).toBe(502);
    expect(failed.json.error.code).toBe('cloudflare_failed');
    expect(failed.json.error.message).toContain('cloudflare_1500');

    net.cloudflare.script.push(/^POST /, { status: 200, hang: true });
    const timedOut = await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
    expect(timedOut.status).toBe(502);
    expect(timedOut.json.error.code).toBe('cloudflare_failed');
    expect(timedOut.json.error.message).toContain('cloudflare_timeout');
    expect(JSON.stringify([failed.json, timedOut.json])).not.toContain(env.CLOUDFLARE_SAAS_API_TOKEN!);
    expect(await hostnamesOf(a.id)).toEqual([]);
    expect(net.cloudflare.hostname(hostname)).toBeUndefined();
  });

  it("Cloudflare refusing the platform's token is a 502 cloudflare_refused that never shows the token", async () => {
    const a = await seedTenant(net);
    const res = await addWith({ CLOUDFLARE_SAAS_API_TOKEN: 'a-revoked-cloudflare-token' }, a.id, newHostname());
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error.code).toBe('cloudflare_refused');
    expect(res.text).not.toContain('a-revoked-cloudflare-token');
  });

  it('without the Cloudflare secrets, adding a hostname answers 503 hostnames_unconfigured', async () => {
    const a = await seedTenant(net);
    const res = await addWith(
      { CLOUDFLARE_SAAS_ZONE_ID: undefined, CLOUDFLARE_SAAS_API_TOKEN: undefined },
      a.id,
      newHostname(),
    );
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).error.code).toBe('hostnames_unconfigured');
    expect(net.cloudflare.requests).toEqual([]);
  });

  it('a deletion Cloudflare fails stops routing at once and is retried by the cron', async () => {
    const a = await seedTenant(net);
    const hostname = newHostname();
    await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
    net.cloudflare.verify(hostname);
    await cronTick();
    await deliveredVia(a, hostname);

    net.cloudflare.script.push(/^DELETE /, {
      status: 503,
      body: { success: false, errors: [], messages: [], result: null },
    });
    const res = await adminApi('DELETE', `/api/tenants/${a.id}/hostnames/${hostname}`);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ hostname, cloudflare: 'pending', error: 'cloudflare_503' });
    expect(await hostnamesOf(a.id)).toEqual([]);
    expect(net.cloudflare.hostname(hostname)).toBeDefined();

    await cronTick();
    expect(net.cloudflare.hostname(hostname)).toBeUndefined();
  });

  it('a hostname Cloudflare created but D1 refused to store is deleted at Cloudflare, by the cron when Cloudflare fails at first', async () => {
    const a = await seedTenant(net);
    const hostname = newHostname();
    const trigger = `refuse_hostname_${crypto.randomUUID().replaceAll('-', '')}`;
    await env.DB.prepare(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON custom_hostnames WHEN NEW.tenant_id = '${a.id}' BEGIN SELECT RAISE(ABORT, 'D1 unavailable (test)'); END`,
    ).run();
    net.cloudflare.script.push(/^DELETE /, {
      status: 502,
      body: { success: false, errors: [], messages: [], result: null },
    });
    try {
      const res = await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
      expect(res.status).toBe(500);
    } finally {
      await env.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    }
    expect(await hostnamesOf(a.id)).toEqual([]);
    // Created at Cloudflare, not stored here, and Cloudflare failed the immediate deletion: owed.
    expect(net.cloudflare.hostname(hostname)).toBeDefined();
    await cronTick();
    expect(net.cloudflare.hostname(hostname)).toBeUndefined();
  });

  it('a hostname deleted at Cloudflare by hand stops routing within a day (settled hostnames are checked daily), and GET says so', async () => {
    const a = await seedTenant(net);
    const hostname = newHostname();
    await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname });
    net.cloudflare.verify(hostname);
    await cronTick();
    await deliveredVia(a, hostname);
    // Deleted at Cloudflare by hand: the bridge stops routing it and says so.
    const cfId = net.cloudflare.hostname(hostname)!.id;
    delete net.cloudflare.zone.records[cfId];
    // An active hostname with its certificate is settled: the next ticks do not ask about it…
    await cronTick();
    expect((await hostnamesOf(a.id))[0]).toMatchObject({ status: 'active', routing: true });
    // …until a day has passed since it was last checked.
    await cronTick(Date.now() + 24 * 3600_000 + 60_000);
    expect((await hostnamesOf(a.id))[0]).toMatchObject({ status: 'deleted', routing: false });
    expect((await webhookVia(a, hostname)).status).toBe(401);
  });
});

describe('offboarding', () => {
  it('deleting a tenant deletes its custom hostnames at Cloudflare, and the cron retries what Cloudflare failed', async () => {
    const a = await seedTenant(net);
    const [first, second] = [newHostname(), newHostname()];
    for (const hostname of [first, second])
      expect((await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname })).status).toBe(201);
    net.cloudflare.script.push(/^DELETE /, {
      status: 502,
      body: { success: false, errors: [], messages: [], result: null },
    });

    expect((await adminApi('DELETE', `/api/tenants/${a.id}`)).status).toBe(202);
    // One deletion went through with the request; the other failed and waits for the cron.
    await vi.waitFor(() => expect([first, second].filter((h) => net.cloudflare.hostname(h)).length).toBe(1), WAIT);
    await cronTick();
    expect(net.cloudflare.hostname(first)).toBeUndefined();
    expect(net.cloudflare.hostname(second)).toBeUndefined();
    expect(
      await env.DB.prepare('SELECT COUNT(*) AS n FROM custom_hostnames WHERE tenant_id = ?').bind(a.id).first('n'),
    ).toBe(0);
  });
});

describe('the refresh job', () => {
  it('asks Cloudflare about 50 pending hostnames per run, least recently checked first', async () => {
    const a = await seedTenant(net);
    const names = Array.from({ length: 51 }, () => newHostname());
    for (const [i, hostname] of names.entries()) {
      const created = net.cloudflare.zone.handle(
        'POST',
        `/zones/${env.CLOUDFLARE_SAAS_ZONE_ID}/custom_hostnames`,
        `Bearer ${env.CLOUDFLARE_SAAS_API_TOKEN}`,
        { hostname, ssl: { method: 'txt', type: 'dv' } },
      ).body as { result: CfCustomHostname };
      await insertHostname(
        env,
        a.id,
        hostname,
        created.result.id,
        hostnameState(CfResult.parse(created.result)),
        1000 + i,
      );
    }
    const gets = () => net.cloudflare.requests.filter((r) => r.method === 'GET').map((r) => r.path.split('/').pop());
    await cronTick();
    expect(gets()).toHaveLength(50);
    // The one left out was checked last before this run (the highest checked_at); it goes first next.
    const last = net.cloudflare.hostname(names[50]!)!.id;
    expect(gets()).not.toContain(last);
    await cronTick();
    expect(gets()[50]).toBe(last);
  });

  it('a hostname added before Cloudflare was asked (no Cloudflare id) keeps routing, and the job leaves it alone', async () => {
    const a = await seedTenant(net);
    const hostname = newHostname();
    // As migration 0008 leaves a row written before it: no cf_id, status by the column default.
    await env.DB.prepare('INSERT INTO custom_hostnames (hostname, tenant_id) VALUES (?, ?)').bind(hostname, a.id).run();
    expect((await hostnamesOf(a.id))[0]).toMatchObject({ hostname, status: 'active', routing: true, records: [] });
    expect((await adminApi('GET', `/api/tenants/${a.id}`, OPERATOR, undefined, { host: hostname })).status).toBe(200);
    await cronTick();
    expect((await hostnamesOf(a.id))[0]).toMatchObject({ status: 'active', checkedAt: null });
    const asked = net.cloudflare.requests.length;
    expect((await adminApi('DELETE', `/api/tenants/${a.id}/hostnames/${hostname}`)).status).toBe(204);
    expect(net.cloudflare.requests.length).toBe(asked);
  });
});

describe('the sandbox simulator as Cloudflare', () => {
  /** The simulator object's storage, reduced to what simulator.cloudflare.ts uses. */
  function memoryStorage(): DurableObjectStorage {
    const map = new Map<string, unknown>();
    return {
      get: async (key: string) => structuredClone(map.get(key)),
      put: async (key: string, value: unknown) => void map.set(key, structuredClone(value)),
    } as unknown as DurableObjectStorage;
  }

  it('answers with the shared contract and turns a pending hostname active a minute after it was created', async () => {
    const storage = memoryStorage();
    const auth = `Bearer ${demo.cloudflare.apiToken}`;
    const base = `/zones/${demo.cloudflare.zoneId}/custom_hostnames`;
    const created = await cloudflareApi(
      storage,
      'POST',
      base,
      auth,
      JSON.stringify({ hostname: 'chat.acme-shop.com', ssl: { method: 'txt', type: 'dv' } }),
    );
    expect(created.status).toBe(201);
    const { result } = (await created.json()) as { result: CfCustomHostname };
    expect(result.status).toBe('pending');
    const read = async () =>
      (
        (await (await cloudflareApi(storage, 'GET', `${base}/${result.id}`, auth, '')).json()) as {
          result: CfCustomHostname;
        }
      ).result;
    expect((await read()).status).toBe('pending');
    // A minute later (the record's creation moved back, as if time had passed).
    const zone = await loadZone(storage);
    zone.records[result.id]!.created_at = new Date(
      Date.now() - demo.cloudflare.activateAfterSeconds * 1000,
    ).toISOString();
    await saveZone(storage, zone);
    expect(await read()).toMatchObject({ status: 'active', ssl: { status: 'active' } });
    expect((await cloudflareApi(storage, 'GET', `${base}/${result.id}`, 'Bearer wrong', '')).status).toBe(401);
  });
});
