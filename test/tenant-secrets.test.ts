/**
 * Tenant secrets at rest: D1 holds only AES-GCM ciphertexts bound to their tenant, and only the
 * Worker (with its master keyring) can read them back. The Genesys access token the bridge obtains
 * stays in the tenant's gate object, never in KV.
 */
import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { loadTenant, forgetTenant } from '../workers/db/tenants.repo';
import { seal, unseal } from '../workers/lib/keyring';
import { useFakeNetwork } from './fakes/network';
import { customerWrites, newCustomer, seedTenant } from './helpers';

const net = useFakeNetwork();

describe('secrets at rest', () => {
  it('no secret appears in plaintext anywhere in the tenant rows', async () => {
    const tenant = await seedTenant(undefined);
    const rows = [
      await env.DB.prepare('SELECT * FROM whatsapp_configs WHERE tenant_id = ?').bind(tenant.id).first(),
      await env.DB.prepare('SELECT * FROM genesys_configs WHERE tenant_id = ?').bind(tenant.id).first(),
    ];
    const dump = JSON.stringify(rows);
    for (const secret of [
      tenant.whatsapp.accessToken,
      tenant.whatsapp.appSecret,
      tenant.whatsapp.verifyToken,
      tenant.genesys.clientSecret,
      tenant.genesys.outboundWebhookSecret,
    ]) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).toContain('v2:k0:');
  });

  it('the Worker reads them back', async () => {
    const tenant = await seedTenant(undefined);
    const loaded = await loadTenant(env, tenant.id);
    expect(loaded?.whatsapp).toMatchObject(tenant.whatsapp);
    expect(loaded?.genesys).toMatchObject(tenant.genesys);
  });

  it("a ciphertext copied into another tenant's row does not decrypt", async () => {
    const a = await seedTenant(undefined);
    const b = await seedTenant(undefined);
    const stolen = await env.DB.prepare('SELECT app_secret_enc FROM whatsapp_configs WHERE tenant_id = ?')
      .bind(a.id)
      .first<{ app_secret_enc: string }>();
    await env.DB.prepare('UPDATE whatsapp_configs SET app_secret_enc = ? WHERE tenant_id = ?')
      .bind(stolen!.app_secret_enc, b.id)
      .run();
    forgetTenant(b.id);
    await expect(loadTenant(env, b.id)).rejects.toThrow();
  });

  it('a wrong master key cannot open a secret', async () => {
    const sealed = await seal(env, 'EAAG-secret', 'tenant:x:wa.accessToken');
    expect(await unseal(env, sealed, 'tenant:x:wa.accessToken')).toBe('EAAG-secret');
    const otherKey = { MASTER_KEY: btoa('another-master-key-of-32-bytes!!') };
    await expect(unseal(otherKey, sealed, 'tenant:x:wa.accessToken')).rejects.toThrow();
  });
});

describe('the Genesys access token', () => {
  it("is kept in the tenant's gate, not in KV, and reused across requests", async () => {
    const tenant = await seedTenant(net);
    await customerWrites(net, tenant, newCustomer());
    await customerWrites(net, tenant, newCustomer());
    expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId)).toBe(1);
    const used = new Set(net.genesys.callsFor(tenant.genesys.integrationId).map((c) => c.token));
    expect(used.size).toBe(1);
    const [token] = used;

    expect(await env.TOKENS.get(`genesys-token:${tenant.id}`)).toBeNull();
    const stored = await env.TOKENS.list({ prefix: 'genesys-token:' });
    for (const key of stored.keys) expect(await env.TOKENS.get(key.name)).not.toContain(token!);
    // A gate that restarts finds it in its own storage instead of asking Genesys again.
    const kept = await runInDurableObject(env.TENANT_GATE.getByName(tenant.id), (_gate, state) =>
      state.storage.get<{ token: string }>('genesys-token'),
    );
    expect(kept?.token).toBe(token);
  });
});
