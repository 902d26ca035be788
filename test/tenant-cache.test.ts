/**
 * What tenant lookups cost the one shared D1, in workerd: ids, phone number ids, slugs and hosts
 * arrive from strangers before any signature is checked, so a made-up key asked again costs no
 * second read, the memo of them stays bounded, and a real change to a tenant is seen at once.
 */
import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:workers';
import { app } from '../workers/app';
import type { Env } from '../workers/env';
import { tenantCacheSizes } from '../workers/db/tenant-cache';
import { tenantIdForHost } from '../workers/db/tenant-host.repo';
import {
  createTenant,
  loadTenant,
  setWhatsappConfig,
  tenantIdByPhoneNumberId,
  tenantIdBySlug,
  updateTenant,
} from '../workers/db/tenants.repo';
import textFixture from './fixtures/meta/text.json';
import { metaSignature, seedTenant } from './helpers';

/** The real D1, counting the statements the bridge prepares on it (each one is a read or a write). */
function countingD1() {
  let statements = 0;
  const DB = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare')
        return (sql: string) => {
          statements++;
          return target.prepare(sql);
        };
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    env: { ...env, DB } as Env,
    reads: () => statements,
    reset: () => {
      statements = 0;
    },
  };
}

function randomDigits(): string {
  return String(crypto.getRandomValues(new Uint32Array(2)).join('')).slice(0, 15);
}

describe("strangers' made-up keys", () => {
  it('webhooks naming the same unknown phone number id over and over cost D1 one read', async () => {
    const d1 = countingD1();
    const body = structuredClone(textFixture);
    body.entry[0]!.changes[0]!.value.metadata.phone_number_id = randomDigits();
    const raw = JSON.stringify(body);
    const post = async () =>
      app.request(
        'https://bridge.test/webhooks/whatsapp',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': await metaSignature(raw, 'guess') },
          body: raw,
        },
        d1.env,
      );
    await post();
    const first = d1.reads();
    expect(first).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await post()).status).toBeGreaterThanOrEqual(400);
    expect(d1.reads()).toBe(first);
  });

  it('an unknown tenant id, slug or subdomain asked again within seconds costs no second read', async () => {
    const d1 = countingD1();
    const id = crypto.randomUUID();
    const slug = `ghost${randomDigits()}`;
    const host = `ghost${randomDigits()}.bridge.test`;

    expect(await loadTenant(d1.env, id)).toBeNull();
    expect(await tenantIdBySlug(d1.env, slug)).toBeNull();
    expect(await tenantIdForHost(d1.env, host)).toBeNull();
    const first = d1.reads();
    expect(first).toBe(3);

    expect(await loadTenant(d1.env, id)).toBeNull();
    expect(await tenantIdBySlug(d1.env, slug)).toBeNull();
    expect(await tenantIdForHost(d1.env, host)).toBeNull();
    expect(await tenantIdForHost(d1.env, host.toUpperCase())).toBeNull();
    expect(d1.reads()).toBe(first);
  });

  it('a flood of made-up phone number ids leaves at most 1000 misses remembered, and real tenants stay remembered', async () => {
    const tenant = await seedTenant(undefined);
    const d1 = countingD1();
    expect(await tenantIdByPhoneNumberId(d1.env, tenant.whatsapp.phoneNumberId)).toBe(tenant.id);
    expect(await loadTenant(d1.env, tenant.id)).toMatchObject({ id: tenant.id });

    for (let i = 0; i < 1100; i++) await tenantIdByPhoneNumberId(d1.env, `9${randomDigits()}`);
    for (let i = 0; i < 1100; i++) await loadTenant(d1.env, crypto.randomUUID());
    const sizes = tenantCacheSizes();
    expect(sizes.byPhoneNumberId.misses).toBe(1000);
    expect(sizes.byId.misses).toBe(1000);

    d1.reset();
    expect(await tenantIdByPhoneNumberId(d1.env, tenant.whatsapp.phoneNumberId)).toBe(tenant.id);
    expect(await loadTenant(d1.env, tenant.id)).toMatchObject({ id: tenant.id });
    expect(d1.reads()).toBe(0);
  });
});

describe('a change to a tenant is seen at once', () => {
  it('a tenant created after its id, number, slug and subdomain were missed is found at once', async () => {
    const id = crypto.randomUUID();
    const phoneNumberId = `1${randomDigits()}`;
    const slug = `late${randomDigits()}`;
    expect(await loadTenant(env, id)).toBeNull();
    expect(await tenantIdByPhoneNumberId(env, phoneNumberId)).toBeNull();
    expect(await tenantIdBySlug(env, slug)).toBeNull();
    expect(await tenantIdForHost(env, `${slug}.bridge.test`)).toBeNull();

    await createTenant(
      env,
      {
        name: 'Late',
        slug,
        whatsapp: { phoneNumberId, wabaId: '1', accessToken: 'a', appSecret: 's', verifyToken: `v${slug}` },
        genesys: {
          region: 'mypurecloud.ie',
          clientId: 'c',
          clientSecret: 'cs',
          integrationId: crypto.randomUUID(),
          outboundWebhookSecret: 'o',
        },
      },
      id,
    );

    expect(await loadTenant(env, id)).toMatchObject({ id, slug });
    expect(await tenantIdByPhoneNumberId(env, phoneNumberId)).toBe(id);
    expect(await tenantIdBySlug(env, slug)).toBe(id);
    expect(await tenantIdForHost(env, `${slug}.bridge.test`)).toBe(id);
  });

  it("changing a tenant's settings or its number is seen by the next lookup", async () => {
    const tenant = await seedTenant(undefined);
    expect(await loadTenant(env, tenant.id)).toMatchObject({ name: tenant.name });
    expect(await tenantIdByPhoneNumberId(env, tenant.whatsapp.phoneNumberId)).toBe(tenant.id);
    const newNumber = `1${randomDigits()}`;
    expect(await tenantIdByPhoneNumberId(env, newNumber)).toBeNull();

    await updateTenant(env, tenant.id, { name: 'Renamed' });
    expect(await loadTenant(env, tenant.id)).toMatchObject({ name: 'Renamed' });

    await setWhatsappConfig(env, tenant.id, { ...tenant.whatsapp, phoneNumberId: newNumber });
    expect(await tenantIdByPhoneNumberId(env, tenant.whatsapp.phoneNumberId)).toBeNull();
    expect(await tenantIdByPhoneNumberId(env, newNumber)).toBe(tenant.id);
    expect(await loadTenant(env, tenant.id)).toMatchObject({ whatsapp: { phoneNumberId: newNumber } });
  });
});
