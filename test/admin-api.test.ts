/**
 * The admin API as operators, tenant admins and viewers use it: onboarding a tenant by script,
 * write-only credentials, test connection, one-click Genesys integration, API keys, users and
 * sign-in, custom hostnames, audit, rate limits, and the OpenAPI description.
 */
import { describe, expect, it } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { loadTenant } from '../workers/db/tenants.repo';
import { adminRoutes } from '../workers/routes/admin/admin.route';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  agentMessage,
  cronTick,
  OPERATOR,
  customerWrites,
  newCustomer,
  postGenesys,
  postWebhook,
  seedTenant,
  uniqueWamid,
  webhookFor,
} from './helpers';

const net = useFakeNetwork();

/** A new tenant's body, its number registered at the fake Meta under its WhatsApp Business Account. */
function newTenantBody(n = crypto.randomUUID().slice(0, 8)) {
  const digits = String(Date.now()).slice(-9) + String(Math.floor(Math.random() * 1e4)).padStart(4, '0');
  const whatsapp = {
    phoneNumberId: `9${digits}`,
    wabaId: `8${digits}`,
    accessToken: `EAAG-access-token-${n}-xyz`,
    appSecret: `app-secret-${n}-0123456789`,
    verifyToken: `verify-${n}-token`,
  };
  net.meta.addNumber(whatsapp.wabaId, whatsapp.phoneNumberId, whatsapp.accessToken);
  return {
    name: `Acme ${n}`,
    slug: `acme-${n}`,
    whatsapp,
    genesys: { region: 'mypurecloud.ie', clientId: `client-id-${n}`, clientSecret: `client-secret-${n}-0123456789` },
  };
}

describe('onboarding a tenant by script (platform operator token)', () => {
  it('POST /api/tenants answers 201 with the id and the webhook URLs, never a secret', async () => {
    const body = newTenantBody();
    net.genesys.registerClient(body.genesys.clientId, body.genesys.clientSecret);
    const res = await adminApi('POST', '/api/tenants', OPERATOR, body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      id: expect.any(String),
      tenant: {
        slug: body.slug,
        whatsapp: { phoneNumberId: body.whatsapp.phoneNumberId, credentialStatus: 'ok' },
        genesys: { region: 'mypurecloud.ie', integrationId: '' },
      },
      setup: {
        whatsapp: {
          callbackUrl: 'https://bridge.test/webhooks/whatsapp',
          tenantCallbackUrl: `https://${body.slug}.bridge.test/webhooks/whatsapp`,
          verifyToken: body.whatsapp.verifyToken,
        },
        genesys: { outboundWebhookUrl: `https://bridge.test/webhooks/genesys/${res.json.id}` },
      },
    });
    for (const secret of [body.whatsapp.accessToken, body.whatsapp.appSecret, body.genesys.clientSecret])
      expect(res.text).not.toContain(secret);
    expect(res.json.tenant.whatsapp.accessToken).toBe('••••-xyz');

    // it works: Meta's handshake and a signed webhook for the new tenant
    const hs = await exports.default.fetch(
      `https://bridge.test/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=7&hub.verify_token=${body.whatsapp.verifyToken}`,
    );
    expect(await hs.text()).toBe('7');
    const tenant = { id: res.json.id, ...body } as never;
    const hook = await postWebhook(webhookFor(textFixture, tenant, { id: uniqueWamid() }), {
      secret: body.whatsapp.appSecret,
    });
    expect(hook.status).toBe(200);

    const audit = await adminApi('GET', `/api/tenants/${res.json.id}/audit`, OPERATOR);
    expect(audit.json.items).toMatchObject([{ actor: 'operator', action: 'tenant.create' }]);
  });

  it('400 with field errors for a bad body', async () => {
    const body = newTenantBody() as Record<string, any>;
    body.slug = 'Not A Slug';
    body.whatsapp.phoneNumberId = '+1 555';
    delete body.genesys.clientSecret;
    body.genesys.region = 'example.com';
    const res = await adminApi('POST', '/api/tenants', OPERATOR, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_body');
    expect(res.json.error.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'genesys.clientSecret',
      'genesys.region',
      'slug',
      'whatsapp.phoneNumberId',
    ]);
    const notJson = await exports.default.fetch(
      new Request('https://bridge.test/api/tenants', {
        method: 'POST',
        headers: { ...OPERATOR, 'content-type': 'application/json' },
        body: '{oops',
      }),
    );
    expect(notJson.status).toBe(400);
  });

  it('409 for a slug or phone number that is taken', async () => {
    const body = newTenantBody();
    expect((await adminApi('POST', '/api/tenants', OPERATOR, body)).status).toBe(201);
    const again = await adminApi('POST', '/api/tenants', OPERATOR, { ...newTenantBody(), slug: body.slug });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('conflict');
  });

  it('401 without credentials, with a wrong operator token, or a forged session', async () => {
    expect((await adminApi('GET', '/api/tenants', {})).status).toBe(401);
    expect((await adminApi('GET', '/api/tenants', { authorization: 'Bearer nope' })).status).toBe(401);
    expect(
      (await adminApi('GET', '/api/tenants', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc' }))
        .status,
    ).toBe(401);
    expect((await adminApi('GET', '/api/tenants', { 'x-api-key': 'wgb_not-a-key' })).status).toBe(401);
  });
});

describe('credentials are write-only', () => {
  it('rotating the WhatsApp token keeps other fields, answers masked, and is audited without values', async () => {
    const tenant = await seedTenant(net);
    const res = await adminApi('PUT', `/api/tenants/${tenant.id}/whatsapp`, OPERATOR, {
      accessToken: 'EAAG-rotated-token-abcd',
    });
    expect(res.status).toBe(200);
    expect(res.json.whatsapp).toMatchObject({ accessToken: '••••abcd', phoneNumberId: tenant.whatsapp.phoneNumberId });
    expect(res.text).not.toContain('EAAG-rotated-token-abcd');
    const loaded = await loadTenant(env, tenant.id);
    expect(loaded!.whatsapp).toMatchObject({
      accessToken: 'EAAG-rotated-token-abcd',
      appSecret: tenant.whatsapp.appSecret,
    });
    const audit = await adminApi('GET', `/api/tenants/${tenant.id}/audit`, OPERATOR);
    expect(audit.json.items[0]).toMatchObject({
      action: 'credentials.whatsapp.set',
      detail: '{"fields":["accessToken"]}',
    });
    expect(audit.text).not.toContain('rotated');
  });

  it('rotating the Genesys secret drops the cached token: the next call gets one with the new secret', async () => {
    const tenant = await seedTenant(net);
    await customerWrites(net, tenant, newCustomer());
    expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId)).toBe(1);
    net.genesys.registerClient(tenant.genesys.clientId, 'brand-new-client-secret-9876');
    const res = await adminApi('PUT', `/api/tenants/${tenant.id}/genesys`, OPERATOR, {
      clientSecret: 'brand-new-client-secret-9876',
    });
    expect(res.status).toBe(200);
    expect(res.json.genesys).toMatchObject({
      clientSecret: '••••9876',
      clientId: tenant.genesys.clientId,
      integrationId: tenant.genesys.integrationId,
    });
    await customerWrites(net, tenant, newCustomer());
    expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId)).toBe(2);
    const tokens = net.genesys.callsFor(tenant.genesys.integrationId).map((c) => c.token);
    expect(new Set(tokens).size).toBe(2);
  });
});

describe('test connection', () => {
  it('reports both sides working', async () => {
    const tenant = await seedTenant(net);
    const res = await adminApi('POST', `/api/tenants/${tenant.id}/test-connection`, OPERATOR);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      whatsapp: { ok: true, detail: 'phone number +1 555-078-3881 (Fake Business)' },
      genesys: { ok: true, detail: `integration ${tenant.name} (Active)` },
    });
  });

  it('says which side is broken and why', async () => {
    const tenant = await seedTenant(net);
    net.meta.phoneNumbers.set(tenant.whatsapp.phoneNumberId, 'a-different-token');
    net.genesys.registerClient(tenant.genesys.clientId, 'another-secret');
    const res = await adminApi('POST', `/api/tenants/${tenant.id}/test-connection`, OPERATOR);
    expect(res.json.whatsapp).toMatchObject({ ok: false, detail: expect.stringContaining('401') });
    expect(res.json.genesys).toMatchObject({ ok: false, detail: expect.stringContaining('invalid_client') });
    expect(res.text).not.toContain(tenant.whatsapp.accessToken);
  });
});

describe('one-click Genesys integration', () => {
  it('creates the Open Messaging integration pointing at this bridge, with a generated secret', async () => {
    const tenant = await seedTenant(net, { genesys: { integrationId: '' } as never });
    const res = await adminApi('POST', `/api/tenants/${tenant.id}/genesys/integration`, OPERATOR, {
      name: 'WhatsApp Acme',
    });
    expect(res.status).toBe(201);
    const created = net.genesys.integrations.get(res.json.integrationId);
    expect(created).toMatchObject({
      name: 'WhatsApp Acme',
      webhookUrl: `https://bridge.test/webhooks/genesys/${tenant.id}`,
    });
    expect(created!.secret.length).toBeGreaterThanOrEqual(40);
    const loaded = await loadTenant(env, tenant.id);
    expect(loaded!.genesys).toMatchObject({
      integrationId: res.json.integrationId,
      outboundWebhookSecret: created!.secret,
    });
    expect(res.text).not.toContain(created!.secret);
  });

  it('502 with the reason when Genesys refuses', async () => {
    const tenant = await seedTenant(net);
    net.genesys.registerClient(tenant.genesys.clientId, 'rotated-elsewhere');
    const res = await adminApi('POST', `/api/tenants/${tenant.id}/genesys/integration`, OPERATOR);
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({ code: 'upstream_failed' });
  });
});

describe('API keys', () => {
  it('are shown once, stored hashed, scoped to their tenant, and revocable', async () => {
    const tenant = await seedTenant(net);
    const created = await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, {
      name: 'crm sync',
      role: 'tenant-admin',
    });
    expect(created.status).toBe(201);
    const key: string = created.json.key;
    expect(key).toMatch(/^wgb_[\w-]{40,}$/);

    const list = await adminApi('GET', `/api/tenants/${tenant.id}/api-keys`, OPERATOR);
    expect(list.json.items).toMatchObject([{ name: 'crm sync', prefix: key.slice(0, 12), revokedAt: null }]);
    expect(list.text).not.toContain(key);
    const stored = await env.DB.prepare('SELECT * FROM api_keys WHERE tenant_id = ?').bind(tenant.id).all();
    expect(JSON.stringify(stored.results)).not.toContain(key);

    const own = await adminApi('GET', `/api/tenants/${tenant.id}`, { 'x-api-key': key });
    expect(own.status).toBe(200);
    const all = await adminApi('GET', '/api/tenants', { 'x-api-key': key });
    expect(all.json.items.map((t: { id: string }) => t.id)).toEqual([tenant.id]);

    expect(
      (await adminApi('DELETE', `/api/tenants/${tenant.id}/api-keys/${created.json.id}`, { 'x-api-key': key })).status,
    ).toBe(204);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}`, { 'x-api-key': key })).status).toBe(401);
  });
});

describe('users, roles and sign-in', () => {
  async function userFor(tenantId: string | null, role: string) {
    const email = `${role}-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const password = 'correct horse battery staple';
    const created = await adminApi('POST', '/api/users', OPERATOR, { email, password, role, tenantId });
    expect(created.status).toBe(201);
    const login = await adminApi('POST', '/api/auth/login', {}, { email, password });
    expect(login.status).toBe(200);
    return { id: created.json.id as string, headers: { authorization: `Bearer ${login.json.token}` } };
  }

  it('a wrong password and an unknown email get the same 401', async () => {
    const tenant = await seedTenant(net);
    const email = `u-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await adminApi('POST', '/api/users', OPERATOR, {
      email,
      password: 'correct horse battery staple',
      role: 'viewer',
      tenantId: tenant.id,
    });
    const wrong = await adminApi('POST', '/api/auth/login', {}, { email, password: 'nope' });
    const unknown = await adminApi('POST', '/api/auth/login', {}, { email: 'nobody@example.com', password: 'nope' });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.json).toEqual(unknown.json);
    const stored = await env.DB.prepare('SELECT password_hash FROM admin_users WHERE email = ?')
      .bind(email)
      .first<{ password_hash: string }>();
    expect(stored!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
  });

  it('role matrix: viewer reads, tenant admin changes its tenant, only platform admin creates and deletes tenants', async () => {
    const tenant = await seedTenant(net);
    const viewer = await userFor(tenant.id, 'viewer');
    const admin = await userFor(tenant.id, 'tenant-admin');
    const platform = await userFor(null, 'platform-admin');
    // The number also belongs to another account of the business, so moving it there passes Meta's check.
    net.meta.addNumber('123456789', tenant.whatsapp.phoneNumberId, tenant.whatsapp.accessToken);

    const matrix: Array<[string, string, unknown, Record<string, number>]> = [
      ['GET', `/api/tenants/${tenant.id}`, undefined, { viewer: 200, admin: 200, platform: 200 }],
      ['GET', `/api/tenants/${tenant.id}/audit`, undefined, { viewer: 200, admin: 200, platform: 200 }],
      ['PATCH', `/api/tenants/${tenant.id}`, { name: 'Renamed' }, { viewer: 403, admin: 200, platform: 200 }],
      [
        'PUT',
        `/api/tenants/${tenant.id}/whatsapp`,
        { wabaId: '123456789' },
        { viewer: 403, admin: 200, platform: 200 },
      ],
      ['GET', `/api/tenants/${tenant.id}/setup`, undefined, { viewer: 403, admin: 200, platform: 200 }],
      ['POST', `/api/tenants/${tenant.id}/api-keys`, { name: 'k' }, { viewer: 403, admin: 201, platform: 201 }],
      ['POST', '/api/tenants', newTenantBody(), { viewer: 403, admin: 403, platform: 201 }],
      [
        'POST',
        `/api/tenants/${tenant.id}/hostnames`,
        { hostname: `chat-${crypto.randomUUID().slice(0, 6)}.acme-shop.com` },
        { viewer: 403, admin: 403, platform: 201 },
      ],
      ['GET', '/api/users', undefined, { viewer: 403, admin: 200, platform: 200 }],
    ];
    for (const [method, path, body, expected] of matrix) {
      for (const [who, headers] of [
        ['viewer', viewer.headers],
        ['admin', admin.headers],
        ['platform', platform.headers],
      ] as const) {
        const res = await adminApi(
          method,
          path,
          headers,
          body && method === 'POST' && path === '/api/tenants' ? newTenantBody() : body,
        );
        expect({ method, path, who, status: res.status }).toEqual({ method, path, who, status: expected[who] });
      }
    }
    // a tenant admin cannot mint a platform admin
    const escalate = await adminApi('POST', '/api/users', admin.headers, {
      email: `x-${crypto.randomUUID().slice(0, 6)}@example.com`,
      password: 'correct horse battery staple',
      role: 'platform-admin',
      tenantId: null,
    });
    expect(escalate.status).toBe(403);
    // deleting a user ends their session at once
    expect((await adminApi('DELETE', `/api/users/${viewer.id}`, admin.headers)).status).toBe(204);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}`, viewer.headers)).status).toBe(401);
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}`, admin.headers)).status).toBe(403);
    expect((await adminApi('DELETE', `/api/tenants/${tenant.id}`, platform.headers)).status).toBe(202);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}`, platform.headers)).status).toBe(404);
  });
});

describe('tenant resolution by host', () => {
  it('a tenant subdomain scopes even the platform operator to that tenant', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const list = await adminApi('GET', '/api/tenants', OPERATOR, undefined, { host: `${a.slug}.bridge.test` });
    expect(list.json.items.map((t: { id: string }) => t.id)).toEqual([a.id]);
    expect(
      (await adminApi('GET', `/api/tenants/${b.id}`, OPERATOR, undefined, { host: `${a.slug}.bridge.test` })).status,
    ).toBe(404);
    expect((await adminApi('GET', '/api/tenants', OPERATOR, undefined, { host: 'ghost.bridge.test' })).status).toBe(
      404,
    );
  });

  it("a custom hostname routes to its tenant only once Cloudflare reports it active; another tenant's key there gets 404", async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const hostname = `support-${crypto.randomUUID().slice(0, 6)}.acme-shop.com`;
    expect((await adminApi('POST', `/api/tenants/${a.id}/hostnames`, OPERATOR, { hostname })).status).toBe(201);
    const bKey = (await adminApi('POST', `/api/tenants/${b.id}/api-keys`, OPERATOR, { name: 'b' })).json.key;
    // Just added: pending at Cloudflare, so not served.
    expect((await adminApi('GET', `/api/tenants/${a.id}`, OPERATOR, undefined, { host: hostname })).status).toBe(404);
    net.cloudflare.verify(hostname);
    await cronTick();
    expect((await adminApi('GET', `/api/tenants/${a.id}`, OPERATOR, undefined, { host: hostname })).status).toBe(200);
    expect(
      (await adminApi('GET', `/api/tenants/${b.id}`, { 'x-api-key': bKey }, undefined, { host: hostname })).status,
    ).toBe(404);
  });

  it("the platform's own hosts cannot be claimed as a tenant's custom hostname", async () => {
    const tenant = await seedTenant(net);
    // BASE_DOMAIN and the PUBLIC_BASE_URL host are both bridge.test in the tests.
    for (const hostname of ['bridge.test', 'BRIDGE.test', 'other-tenant.bridge.test', 'a.b.bridge.test']) {
      const res = await adminApi('POST', `/api/tenants/${tenant.id}/hostnames`, OPERATOR, { hostname });
      expect(res.status, hostname).toBe(400);
      expect(res.json).toMatchObject({ error: { code: 'invalid_body', issues: [{ path: 'hostname' }] } });
    }
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/hostnames`, OPERATOR)).json.items).toEqual([]);
  });
});

describe('tenant settings', () => {
  it("Genesys receipts and the reorder hold show in the tenant view and change with PATCH; null goes back to the deployment's hold", async () => {
    const tenant = await seedTenant(net);
    const path = `/api/tenants/${tenant.id}`;
    const deploymentHold = Number(env.INBOUND_REORDER_MS);
    expect((await adminApi('GET', path, OPERATOR)).json).toMatchObject({
      genesysReceipts: 'all',
      inboundReorderMs: deploymentHold,
    });

    const changed = await adminApi('PATCH', path, OPERATOR, { genesysReceipts: 'failed', inboundReorderMs: 0 });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ genesysReceipts: 'failed', inboundReorderMs: 0 });
    expect((await adminApi('GET', path, OPERATOR)).json).toMatchObject({
      genesysReceipts: 'failed',
      inboundReorderMs: 0,
    });

    const reset = await adminApi('PATCH', path, OPERATOR, { inboundReorderMs: null });
    expect(reset.json).toMatchObject({ genesysReceipts: 'failed', inboundReorderMs: deploymentHold });
    expect((await adminApi('PATCH', path, OPERATOR, { genesysReceipts: 'all' })).json).toMatchObject({
      genesysReceipts: 'all',
    });
  });

  it('a hold below 0, above 10 s or not whole milliseconds, and an unknown receipts choice, are refused with 400', async () => {
    const tenant = await seedTenant(net);
    for (const body of [
      { inboundReorderMs: -1 },
      { inboundReorderMs: 10_001 },
      { inboundReorderMs: 1.5 },
      { genesysReceipts: 'none' },
    ]) {
      const res = await adminApi('PATCH', `/api/tenants/${tenant.id}`, OPERATOR, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.issues[0].path).toBe(Object.keys(body)[0]);
    }
  });
});

describe('per-tenant rate limits', () => {
  it('a noisy tenant gets 429 with Retry-After on the admin API; its neighbour does not', async () => {
    const noisy = await seedTenant(net);
    const quiet = await seedTenant(net);
    const noisyKey = (await adminApi('POST', `/api/tenants/${noisy.id}/api-keys`, OPERATOR, { name: 'n' })).json.key;
    const quietKey = (await adminApi('POST', `/api/tenants/${quiet.id}/api-keys`, OPERATOR, { name: 'q' })).json.key;
    // Windows are aligned to the clock (as at the edge): two budgets' worth always reaches the limit.
    let limited: Awaited<ReturnType<typeof adminApi>> | undefined;
    for (let i = 0; i < 2 * 60 + 5 && !limited; i++) {
      const res = await adminApi('GET', `/api/tenants/${noisy.id}/api-keys`, { 'x-api-key': noisyKey });
      if (res.status === 429) limited = res;
    }
    expect(limited?.json.error.code).toBe('rate_limited');
    expect(limited?.headers.get('retry-after')).toBe('60');
    expect((await adminApi('GET', `/api/tenants/${quiet.id}`, { 'x-api-key': quietKey })).status).toBe(200);
  });

  it("the webhook budget follows the number's throughput: a number at 80 mps gets 429 (Meta retries) past its tier, one at 1000 mps sending as much does not, and neighbours and agents are not affected", async () => {
    const noisy = await seedTenant(net);
    const fast = await seedTenant(net, { whatsapp: { messagesPerSecond: 1000 } });
    const quiet = await seedTenant(net);
    expect((await loadTenant(env, fast.id))?.whatsapp.messagesPerSecond).toBe(1000);
    const noisyBody = webhookFor(textFixture, noisy, { id: uniqueWamid() });
    const fastBody = webhookFor(textFixture, fast, { id: uniqueWamid() });
    const burst = (body: Record<string, unknown>, secret: string) =>
      Promise.all(Array.from({ length: 25 }, () => postWebhook(body, { secret })));
    let limited: Response | undefined;
    const fastAnswers: number[] = [];
    // Budgets in tests (vitest.config.ts): the 80-mps tier 100/min, the 1000-mps tier 1200/min.
    // Clock-aligned windows: two budgets' worth of the 80-mps tier always reaches it.
    for (let round = 0; round < 9 && !limited; round++) {
      const answers = await burst(noisyBody, noisy.whatsapp.appSecret);
      expect(answers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
      limited = answers.find((r) => r.status === 429);
      fastAnswers.push(...(await burst(fastBody, fast.whatsapp.appSecret)).map((r) => r.status));
    }
    expect(limited?.headers.get('retry-after')).toBe('60');
    expect(await limited?.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(fastAnswers.length).toBeGreaterThan(100);
    expect(fastAnswers.every((status) => status === 200)).toBe(true);
    expect(
      (await postWebhook(webhookFor(textFixture, quiet, { id: uniqueWamid() }), { secret: quiet.whatsapp.appSecret }))
        .status,
    ).toBe(200);
    // Agents' messages count apart from Meta's webhooks: the limited tenant's Genesys webhook still answers.
    expect((await postGenesys(noisy, agentMessage(noisy, newCustomer(), { text: 'still here' }))).status).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('describes every admin route, with docs', async () => {
    const doc = await adminApi('GET', '/api/openapi.json', {});
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/tenants',
        '/tenants/{tenantId}',
        '/tenants/{tenantId}/whatsapp',
        '/tenants/{tenantId}/api-keys',
        '/users',
        '/auth/login',
      ]),
    );
    // Try-it-out in the dashboard's viewer sends the Authorize token: every operation asks for one.
    expect(doc.json.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(doc.json.components.schemas.Timeline).toBeDefined();
  });

  it("is readable from the dashboard's origin, whose API reference /api/docs opens", async () => {
    const dashboard = env.DASHBOARD_ORIGINS!.split(',')[0]!.trim();
    const doc = await exports.default.fetch(
      new Request('https://bridge.test/api/openapi.json', { headers: { origin: dashboard } }),
    );
    expect(doc.status).toBe(200);
    expect(doc.headers.get('access-control-allow-origin')).toBe(dashboard);
    const stranger = await exports.default.fetch(
      new Request('https://bridge.test/api/openapi.json', { headers: { origin: 'https://evil.test' } }),
    );
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const docs = await exports.default.fetch(new Request('https://bridge.test/api/docs', { redirect: 'manual' }));
    expect(docs.status).toBe(302);
    expect(docs.headers.get('location')).toBe(`${dashboard}/api-docs/`);
    // Without a dashboard, the bridge's own plain list of operations.
    const fallback = await adminRoutes.request('/docs', {}, { ...env, DASHBOARD_ORIGINS: '' });
    expect(fallback.status).toBe(200);
    expect(await fallback.text()).toContain('openapi.json');
  });
});
