/**
 * Rotating the master key without downtime: every secret, session and media URL names the key it
 * was made with; the keyring (MASTER_KEYS, newest first) opens any of its keys; values made before
 * keyrings existed (raw-key AES-GCM, HMAC(raw key, label) JWTs) still open; and the platform can
 * re-seal every tenant secret with the newest key, after which the older key can go.
 * Also: the Genesys webhook secret before a rotation can be revoked before its grace ends.
 */
import { describe, expect, it } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { SignJWT } from 'jose';
import { reencryptTenantSecrets } from '../workers/db/reseal.repo';
import { forgetTenant, loadTenant } from '../workers/db/tenants.repo';
import { addAlertChannel, listAlertChannels } from '../workers/db/alerts.repo';
import { addGenesysClient } from '../workers/db/genesys-clients.repo';
import { issueSession, verifySession } from '../workers/auth/admin-session';
import { signMediaToken, verifyMediaToken } from '../workers/auth/media-url';
import { fromBase64, toBase64 } from '../workers/lib/crypto';
import { seal, unseal } from '../workers/lib/keyring';
import { useFakeNetwork } from './fakes/network';
import { adminApi, agentMessage, OPERATOR, postGenesys, seedTenant } from './helpers';

const net = useFakeNetwork();
const OLD = env.MASTER_KEY!;
const NEW = toBase64(crypto.getRandomValues(new Uint8Array(32)));
/** The test Worker's key (MASTER_KEY alone is key `k0`) and a new one, after step 1 of a rotation. */
const rotating = { MASTER_KEYS: `k1:${NEW},k0:${OLD}` };
const rotated = { MASTER_KEYS: `k1:${NEW}` };

/** How a secret was sealed before keyrings: AES-256-GCM under the raw master key, `v1:` and no key id. */
async function legacySeal(plaintext: string, context: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', fromBase64(OLD)!, 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const enc = new TextEncoder();
  const cipher = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: enc.encode(context) },
      key,
      enc.encode(plaintext),
    ),
  );
  return `v1:${toBase64(new Uint8Array([...iv, ...cipher]))}`;
}

/** How JWTs were signed before keyrings: HS256 with HMAC-SHA256(raw master key, label), no `kid`. */
async function legacyJwt(label: string, jwt: SignJWT): Promise<string> {
  const hmac = await crypto.subtle.importKey('raw', fromBase64(OLD)!, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const key = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(label)));
  return jwt.setProtectedHeader({ alg: 'HS256' }).sign(key);
}

const sealedColumns = async (tenantId: string) => {
  const w = await env.DB.prepare(
    'SELECT access_token_enc, app_secret_enc, verify_token_enc FROM whatsapp_configs WHERE tenant_id = ?',
  )
    .bind(tenantId)
    .first<Record<string, string>>();
  const g = await env.DB.prepare(
    'SELECT client_secret_enc, outbound_webhook_secret_enc FROM genesys_configs WHERE tenant_id = ?',
  )
    .bind(tenantId)
    .first<Record<string, string>>();
  return [...Object.values(w!), ...Object.values(g!)];
};

/** A page of exactly this tenant (ids sort as strings; nothing else starts with its id's prefix). */
const onlyTenant = (tenantId: string) => ({ after: tenantId.slice(0, -1), limit: 1 });

/** A tenant whose app secret is still sealed the way it was before keyrings. */
async function tenantWithLegacySecret() {
  const tenant = await seedTenant(net);
  await env.DB.prepare('UPDATE whatsapp_configs SET app_secret_enc = ? WHERE tenant_id = ?')
    .bind(await legacySeal(tenant.whatsapp.appSecret, `tenant:${tenant.id}:wa.appSecret`), tenant.id)
    .run();
  forgetTenant(tenant.id);
  return tenant;
}

describe('secrets at rest across a key rotation', () => {
  it('a secret sealed before keyrings (raw key, no key id) still opens', async () => {
    const tenant = await tenantWithLegacySecret();
    expect((await loadTenant(env, tenant.id))!.whatsapp.appSecret).toBe(tenant.whatsapp.appSecret);
  });

  it('new ciphertexts name the key that sealed them: the newest of MASTER_KEYS', async () => {
    const tenant = await seedTenant(net);
    for (const value of await sealedColumns(tenant.id)) expect(value).toMatch(/^v2:k0:/);
    const sealed = await seal(rotating, 'EAAG-secret', 'tenant:x:wa.accessToken');
    expect(sealed).toMatch(/^v2:k1:/);
    expect(await unseal(rotating, sealed, 'tenant:x:wa.accessToken')).toBe('EAAG-secret');
    await expect(unseal(env, sealed, 'tenant:x:wa.accessToken')).rejects.toThrow();
  });

  it('with MASTER_KEYS=new,old every secret is re-sealed with the new key, and then only the new key is needed', async () => {
    const tenant = await tenantWithLegacySecret();
    const before = await sealedColumns(tenant.id);

    const report = await reencryptTenantSecrets({ ...env, ...rotating }, onlyTenant(tenant.id));
    expect(report).toMatchObject({ tenants: 1, reencrypted: 5, current: 0, unreadable: 0 });
    const after = await sealedColumns(tenant.id);
    for (const value of after) expect(value).toMatch(/^v2:k1:/);
    expect(after).not.toEqual(before);
    // Run again: nothing left to do.
    expect(await reencryptTenantSecrets({ ...env, ...rotating }, onlyTenant(tenant.id))).toMatchObject({
      reencrypted: 0,
      current: 5,
    });

    forgetTenant(tenant.id);
    const loaded = await loadTenant({ ...env, MASTER_KEY: undefined, ...rotated }, tenant.id);
    expect(loaded!.whatsapp).toMatchObject(tenant.whatsapp);
    expect(loaded!.genesys).toMatchObject(tenant.genesys);
    forgetTenant(tenant.id);
    await expect(loadTenant(env, tenant.id)).rejects.toThrow();
    // Put the tenant back under the test Worker's key for whatever else runs.
    await reencryptTenantSecrets({ ...env, MASTER_KEYS: `k0:${OLD},k1:${NEW}` }, onlyTenant(tenant.id));
    forgetTenant(tenant.id);
  });

  it("a pool client's secret is re-sealed too, so it still opens once only the new key is left", async () => {
    const tenant = await seedTenant(net);
    const client = { id: crypto.randomUUID(), clientId: `pool-${tenant.id}`, clientSecret: 'pool-client-secret-1' };
    await addGenesysClient(env, tenant.id, client);
    const report = await reencryptTenantSecrets({ ...env, ...rotating }, onlyTenant(tenant.id));
    expect(report).toMatchObject({ reencrypted: 6, unreadable: 0 });
    const row = await env.DB.prepare('SELECT client_secret_enc FROM genesys_clients WHERE id = ?')
      .bind(client.id)
      .first<{ client_secret_enc: string }>();
    expect(row!.client_secret_enc).toMatch(/^v2:k1:/);
    forgetTenant(tenant.id);
    const loaded = await loadTenant({ ...env, MASTER_KEY: undefined, ...rotated }, tenant.id);
    expect(loaded!.genesysClients).toEqual([{ ...client, label: null }]);
    forgetTenant(tenant.id);
    await reencryptTenantSecrets({ ...env, MASTER_KEYS: `k0:${OLD},k1:${NEW}` }, onlyTenant(tenant.id));
    forgetTenant(tenant.id);
  });

  it("an alert channel's URL and signing secret are re-sealed too", async () => {
    const tenant = await seedTenant(net);
    const channel = {
      id: crypto.randomUUID(),
      url: 'https://alerts.fake/rotation',
      secret: 'channel-signing-secret-1',
      label: null,
    };
    await addAlertChannel(env, tenant.id, channel);
    const report = await reencryptTenantSecrets({ ...env, ...rotating }, onlyTenant(tenant.id));
    expect(report).toMatchObject({ reencrypted: 7, unreadable: 0 });
    const row = await env.DB.prepare('SELECT url_enc, secret_enc FROM alert_channels WHERE id = ?')
      .bind(channel.id)
      .first<{ url_enc: string; secret_enc: string }>();
    expect([row!.url_enc, row!.secret_enc]).toEqual([
      expect.stringMatching(/^v2:k1:/),
      expect.stringMatching(/^v2:k1:/),
    ]);
    expect(await listAlertChannels({ ...env, MASTER_KEY: undefined, ...rotated }, tenant.id)).toMatchObject([
      { id: channel.id, url: channel.url, secret: channel.secret },
    ]);
    await reencryptTenantSecrets({ ...env, MASTER_KEYS: `k0:${OLD},k1:${NEW}` }, onlyTenant(tenant.id));
    forgetTenant(tenant.id);
  });

  it('the platform re-seals through the API, page by page, and each tenant re-sealed has it in its audit', async () => {
    const tenant = await tenantWithLegacySecret();
    const post = (body: unknown, headers: Record<string, string> = OPERATOR) =>
      adminApi('POST', '/api/keyring/reencrypt', headers, body);
    const res = await post(onlyTenant(tenant.id));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      keyId: 'k0',
      tenants: 1,
      reencrypted: 1,
      current: 4,
      unreadable: 0,
      next: tenant.id,
    });
    for (const value of await sealedColumns(tenant.id)) expect(value).toMatch(/^v2:k0:/);

    const audit = await adminApi('GET', `/api/tenants/${tenant.id}/audit`);
    expect(audit.json.items).toContainEqual(
      expect.objectContaining({ actor: 'operator', action: 'keyring.reencrypt', target: 'k0' }),
    );

    const key = await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, {
      name: 'admin',
      role: 'tenant-admin',
    });
    const tenantAdmin = { 'x-api-key': key.json.key as string };
    expect((await post({}, tenantAdmin)).status).toBe(403);
  });
});

describe('sessions and media URLs across a key rotation', () => {
  it('a dashboard session signed before keyrings still verifies', async () => {
    const email = `legacy-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const created = await adminApi('POST', '/api/users', OPERATOR, {
      email,
      password: 'correct horse battery staple',
      role: 'platform-admin',
    });
    const { id } = created.json as { id: string };
    const now = Math.floor(Date.now() / 1000);
    const token = await legacyJwt(
      'admin-jwt:v1',
      new SignJWT({ role: 'platform-admin', tid: null })
        .setSubject(id)
        .setIssuer('wa-genesys-bridge')
        .setAudience('bridge-admin')
        .setIssuedAt(now)
        .setExpirationTime(now + 900),
    );
    const res = await adminApi('GET', '/api/tenants', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
  });

  it('a media URL handed out before keyrings still opens', async () => {
    const tenant = await seedTenant(net);
    net.meta.addMedia('legacy-media-1', new Uint8Array([1, 2, 3]), 'image/jpeg', tenant.whatsapp.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const token = await legacyJwt(
      'media-url:v1',
      new SignJWT({ tid: tenant.id, mid: 'legacy-media-1', mime: 'image/jpeg' })
        .setAudience('bridge-media')
        .setIssuedAt(now)
        .setExpirationTime(now + 3600),
    );
    const res = await exports.default.fetch(`https://bridge.test/media/${token}`);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('name their key: they verify while it is in the keyring, and not after it left', async () => {
    const { token } = await issueSession(env, { sub: 'u1', role: 'viewer', tid: 't1' });
    const media = await signMediaToken(env, { tid: 't1', mid: 'm1', mime: 'image/jpeg' }, 60);
    for (const jwt of [token, media]) {
      expect(JSON.parse(atob(jwt.split('.')[0]!))).toMatchObject({ alg: 'HS256', kid: 'k0' });
    }
    expect(await verifySession(rotating, token)).toMatchObject({ sub: 'u1' });
    expect(await verifyMediaToken(rotating, media)).toMatchObject({ mid: 'm1' });
    expect(await verifySession(rotated, token)).toBeNull();
    expect(await verifyMediaToken(rotated, media)).toBeNull();
  });
});

describe('revoking the previous Genesys webhook secret early', () => {
  it('refuses webhooks signed with it from then on, and is audited', async () => {
    const tenant = await seedTenant(net);
    const previous = tenant.genesys.outboundWebhookSecret;
    const current = `rotated-secret-${crypto.randomUUID()}`;
    const put = await adminApi('PUT', `/api/tenants/${tenant.id}/genesys`, OPERATOR, {
      outboundWebhookSecret: current,
    });
    expect(put.status).toBe(200);
    const typing = () => agentMessage(tenant, '447700900555', { type: 'Event', text: undefined, events: [] });
    expect((await postGenesys(tenant, typing(), { secret: previous })).status).toBe(200);

    const revoke = await adminApi('DELETE', `/api/tenants/${tenant.id}/genesys/previous-secret`);
    expect(revoke.status).toBe(204);
    const refused = await postGenesys(tenant, typing(), { secret: previous });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await postGenesys(tenant, typing(), { secret: current })).status).toBe(200);

    const audit = await adminApi('GET', `/api/tenants/${tenant.id}/audit`);
    expect(audit.json.items).toContainEqual(
      expect.objectContaining({ action: 'credentials.genesys.previous_secret.revoke', actor: 'operator' }),
    );
  });
});
