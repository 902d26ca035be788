/**
 * Tenant isolation and secret hygiene, proven exhaustively: every tenant-scoped admin endpoint,
 * called with tenant A's credentials on tenant B's objects, answers 404 and says nothing about B;
 * and no secret ever appears in a response body or a log line.
 */
import { describe, expect, it, vi } from 'vitest';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import { adminApi, OPERATOR, postWebhook, seedTenant, uniqueWamid, webhookFor, type SeededTenant } from './helpers';

const net = useFakeNetwork();

/** Every route that names a tenant, with a body that would succeed for the caller's own tenant. */
function tenantRoutes(
  b: SeededTenant,
  ids: { keyId: string; deadLetterId: string; hostname: string; clientEntryId: string; channelId: string },
): Array<[string, string, unknown?]> {
  return [
    ['GET', `/api/tenants/${b.id}`],
    ['PATCH', `/api/tenants/${b.id}`, { name: 'pwned' }],
    ['DELETE', `/api/tenants/${b.id}`],
    ['PUT', `/api/tenants/${b.id}/whatsapp`, { accessToken: 'stolen-token-123456' }],
    ['PUT', `/api/tenants/${b.id}/genesys`, { clientSecret: 'stolen-secret-123456' }],
    ['GET', `/api/tenants/${b.id}/genesys/clients`],
    ['POST', `/api/tenants/${b.id}/genesys/clients`, { clientId: 'planted-client', clientSecret: 'planted-secret-1' }],
    ['DELETE', `/api/tenants/${b.id}/genesys/clients/${ids.clientEntryId}`],
    ['GET', `/api/tenants/${b.id}/setup`],
    ['POST', `/api/tenants/${b.id}/test-connection`],
    ['POST', `/api/tenants/${b.id}/genesys/integration`, {}],
    ['GET', `/api/tenants/${b.id}/api-keys`],
    ['POST', `/api/tenants/${b.id}/api-keys`, { name: 'x', role: 'tenant-admin' }],
    ['DELETE', `/api/tenants/${b.id}/api-keys/${ids.keyId}`],
    ['GET', `/api/tenants/${b.id}/hostnames`],
    ['POST', `/api/tenants/${b.id}/hostnames`, { hostname: 'evil.example.com' }],
    ['DELETE', `/api/tenants/${b.id}/hostnames/${ids.hostname}`],
    ['GET', `/api/tenants/${b.id}/audit`],
    ['GET', `/api/tenants/${b.id}/failures`],
    ['GET', `/api/tenants/${b.id}/dead-letters`],
    ['POST', `/api/tenants/${b.id}/dead-letters/${ids.deadLetterId}/replay`],
    ['DELETE', `/api/tenants/${b.id}/customers/447700900001`],
    ['GET', `/api/tenants/${b.id}/offboarding`],
    ['GET', `/api/tenants/${b.id}/alert-channels`],
    ['POST', `/api/tenants/${b.id}/alert-channels`, { url: 'https://alerts.fake/planted' }],
    ['DELETE', `/api/tenants/${b.id}/alert-channels/${ids.channelId}`],
    ['POST', `/api/tenants/${b.id}/alert-channels/${ids.channelId}/test`],
    ['GET', `/api/tenants/${b.id}/alerts`],
  ];
}

describe("tenant A's credentials on tenant B's objects", () => {
  it('every tenant-scoped endpoint answers 404 and leaks nothing, for API keys and for sessions', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const aKey = JSON.parse(
      (await adminApi('POST', `/api/tenants/${a.id}/api-keys`, OPERATOR, { name: 'a', role: 'tenant-admin' })).text,
    ).key as string;
    const bKeyId = JSON.parse((await adminApi('POST', `/api/tenants/${b.id}/api-keys`, OPERATOR, { name: 'b' })).text)
      .id as string;
    const hostname = `b-${crypto.randomUUID().slice(0, 6)}.acme-shop.com`;
    await adminApi('POST', `/api/tenants/${b.id}/hostnames`, OPERATOR, { hostname });
    const bPool = { clientId: `pool-${b.id}`, clientSecret: `pool-secret-${b.id}` };
    net.genesys.registerClient(bPool.clientId, bPool.clientSecret);
    net.genesys.registerClient('planted-client', 'planted-secret-1');
    const clientEntryId = JSON.parse(
      (await adminApi('POST', `/api/tenants/${b.id}/genesys/clients`, OPERATOR, bPool)).text,
    ).id as string;
    const email = `a-admin-${crypto.randomUUID().slice(0, 6)}@example.com`;
    await adminApi('POST', '/api/users', OPERATOR, {
      email,
      password: 'correct horse battery staple',
      role: 'tenant-admin',
      tenantId: a.id,
    });
    const session = JSON.parse(
      (await adminApi('POST', '/api/auth/login', {}, { email, password: 'correct horse battery staple' })).text,
    ).token as string;

    const channelId = JSON.parse(
      (await adminApi('POST', `/api/tenants/${b.id}/alert-channels`, OPERATOR, { url: 'https://alerts.fake/b' })).text,
    ).id as string;
    const routes = tenantRoutes(b, { keyId: bKeyId, deadLetterId: 'any', hostname, clientEntryId, channelId });
    for (const headers of [{ 'x-api-key': aKey }, { authorization: `Bearer ${session}` }] as Array<
      Record<string, string>
    >) {
      for (const [method, path, body] of routes) {
        const res = await adminApi(method, path, headers, body);
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
        for (const leak of [b.name, b.slug, b.whatsapp.phoneNumberId, b.genesys.clientId])
          expect(res.text).not.toContain(leak);
      }
      // lists only ever show the caller's own tenant and users
      const tenants = await adminApi('GET', '/api/tenants', headers);
      expect(tenants.text).toContain(a.id);
      expect(tenants.text).not.toContain(b.id);
      const users = await adminApi('GET', '/api/users', headers);
      expect(users.status).toBe(200);
      expect(users.text).not.toContain(b.id);
    }
    // and B is untouched
    const after = JSON.parse((await adminApi('GET', `/api/tenants/${b.id}`, OPERATOR)).text);
    expect(after.name).toBe(b.name);
    expect((await adminApi('GET', `/api/tenants/${b.id}/api-keys`, OPERATOR)).text).toContain(bKeyId);
    const pool = JSON.parse((await adminApi('GET', `/api/tenants/${b.id}/genesys/clients`, OPERATOR)).text);
    expect(pool.items.map((c: { id: string }) => c.id)).toEqual(['default', clientEntryId]);
    const channels = JSON.parse((await adminApi('GET', `/api/tenants/${b.id}/alert-channels`, OPERATOR)).text);
    expect(channels.items.map((c: { id: string }) => c.id)).toEqual([channelId]);
    expect(net.alerts.received).toEqual([]);
  });
});

describe('secrets never leave', () => {
  it('no response body and no log line carries a secret, across onboarding, rotation, checks and traffic', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => lines.push(args.map(String).join(' '));
    const spies = [
      vi.spyOn(console, 'log').mockImplementation(capture),
      vi.spyOn(console, 'warn').mockImplementation(capture),
      vi.spyOn(console, 'error').mockImplementation(capture),
    ];
    try {
      const n = crypto.randomUUID().slice(0, 8);
      const secrets = {
        accessToken: `EAAGsecretaccesstoken${n}`,
        appSecret: `appsecretvalue${n}`,
        clientSecret: `genesysclientsecret${n}`,
        rotated: `EAAGrotatedtoken${n}`,
        poolClientSecret: `genesyspoolsecret${n}`,
      };
      const bodies: string[] = [];
      const digits = String(Date.now()).slice(-10);
      net.meta.addNumber(`6${digits}`, `7${digits}`, secrets.accessToken);
      const created = await adminApi('POST', '/api/tenants', OPERATOR, {
        name: `Secretive ${n}`,
        slug: `secretive-${n}`,
        whatsapp: {
          phoneNumberId: `7${digits}`,
          wabaId: `6${digits}`,
          accessToken: secrets.accessToken,
          appSecret: secrets.appSecret,
          verifyToken: `verify-${n}-xx`,
        },
        genesys: { region: 'mypurecloud.com', clientId: `cid-${n}-xx`, clientSecret: secrets.clientSecret },
      });
      bodies.push(created.text);
      const id = JSON.parse(created.text).id as string;
      net.genesys.registerClient(`cid-${n}-xx`, secrets.clientSecret);
      net.genesys.registerClient(`pool-${n}-xx`, secrets.poolClientSecret);
      for (const [method, path, body] of [
        ['GET', `/api/tenants/${id}`],
        ['GET', '/api/tenants'],
        ['PUT', `/api/tenants/${id}/whatsapp`, { accessToken: secrets.rotated }],
        ['POST', `/api/tenants/${id}/test-connection`],
        ['POST', `/api/tenants/${id}/genesys/integration`, {}],
        [
          'POST',
          `/api/tenants/${id}/genesys/clients`,
          { clientId: `pool-${n}-xx`, clientSecret: secrets.poolClientSecret },
        ],
        [
          'POST',
          `/api/tenants/${id}/genesys/clients`,
          { clientId: `pool-${n}-yy`, clientSecret: secrets.poolClientSecret },
        ],
        ['GET', `/api/tenants/${id}/genesys/clients`],
        ['GET', `/api/tenants/${id}/audit`],
        ['GET', `/api/tenants/${id}/setup`],
      ] as Array<[string, string, unknown?]>) {
        bodies.push((await adminApi(method, path, OPERATOR, body)).text);
      }
      const tenant = { id, whatsapp: { phoneNumberId: `7${digits}` } } as SeededTenant;
      bodies.push(
        await (
          await postWebhook(webhookFor(textFixture, tenant, { id: uniqueWamid() }), { secret: secrets.appSecret })
        ).text(),
      );
      bodies.push(
        await (await postWebhook(webhookFor(textFixture, tenant, { id: uniqueWamid() }), { secret: 'forged' })).text(),
      );
      await vi.waitFor(() => expect(lines.some((l) => l.includes('inbound.delivered') && l.includes(id))).toBe(true), {
        timeout: 10_000,
        interval: 50,
      });

      const integrationSecret = [...net.genesys.integrations.values()].find((i) => i.webhookUrl.endsWith(id))!.secret;
      for (const secret of [...Object.values(secrets), integrationSecret]) {
        for (const text of [...bodies, ...lines]) expect(text).not.toContain(secret);
      }
      // phone numbers in logs are masked
      expect(lines.join('\n')).not.toContain('16505551234');
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
