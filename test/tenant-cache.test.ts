/**
 * What tenant lookups cost the one shared D1, in workerd: ids, phone number ids, slugs and hosts
 * arrive from strangers before any signature is checked, so a made-up key asked again costs no
 * second read, the memo of them stays bounded, and a real change to a tenant is seen at once.
 * A tenant changed in another isolate is served from memory while it is re-read behind the
 * request, and never once it was read a minute ago (the clock is moved with a spy on Date.now).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import { app } from '../workers/app';
import type { Env } from '../workers/env';
import { tenantCacheSizes } from '../workers/db/tenant-cache';
import { tenantIdForHost } from '../workers/db/tenant-host.repo';
import {
  createTenant,
  forgetTenant,
  loadTenant,
  setGenesysConfig,
  setWhatsappConfig,
  tenantIdByPhoneNumberId,
  tenantIdBySlug,
  updateTenant,
} from '../workers/db/tenants.repo';
import { seal } from '../workers/lib/keyring';
import { TENANT_MAX_STALENESS_MS, TENANT_REFRESH_MS } from '../workers/db/tenant-cache';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import {
  agentMessage,
  countingD1,
  metaSignature,
  newCustomer,
  postGenesys,
  seedTenant,
  type SeededTenant,
} from './helpers';

const net = useFakeNetwork();

/** The real bindings, with D1 counting the statements the bridge prepares on it. */
function countingEnv() {
  const { DB, statements, reset } = countingD1();
  return { env: { ...env, DB } as Env, reads: statements, reset };
}

function randomDigits(): string {
  return String(crypto.getRandomValues(new Uint32Array(2)).join('')).slice(0, 15);
}

describe("strangers' made-up keys", () => {
  it('webhooks naming the same unknown phone number id over and over cost D1 one read', async () => {
    const d1 = countingEnv();
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
    const d1 = countingEnv();
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
    const d1 = countingEnv();
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

/** Changes a tenant in D1 the way another isolate would: this isolate's memory is not told. */
async function changeElsewhere(
  tenant: SeededTenant,
  change: { suspend?: boolean; revokePrevious?: boolean; accessToken?: string; previousUntil?: number },
) {
  const statements: D1PreparedStatement[] = [];
  if (change.suspend)
    statements.push(env.DB.prepare("UPDATE tenants SET status = 'suspended' WHERE id = ?").bind(tenant.id));
  if (change.revokePrevious)
    statements.push(
      env.DB.prepare(
        'UPDATE genesys_configs SET previous_secret_enc = NULL, previous_secret_until = NULL WHERE tenant_id = ?',
      ).bind(tenant.id),
    );
  if (change.previousUntil !== undefined)
    statements.push(
      env.DB.prepare('UPDATE genesys_configs SET previous_secret_until = ? WHERE tenant_id = ?').bind(
        change.previousUntil,
        tenant.id,
      ),
    );
  if (change.accessToken)
    statements.push(
      env.DB.prepare('UPDATE whatsapp_configs SET access_token_enc = ? WHERE tenant_id = ?').bind(
        await seal(env, change.accessToken, `tenant:${tenant.id}:wa.accessToken`),
        tenant.id,
      ),
    );
  await env.DB.batch(statements);
}

/** A tenant whose Genesys webhook secret was rotated: the previous one is accepted during its grace. */
async function rotatedTenant(): Promise<SeededTenant & { previousSecret: string }> {
  const tenant = await seedTenant(net);
  const previousSecret = tenant.genesys.outboundWebhookSecret;
  const genesys = { ...tenant.genesys, outboundWebhookSecret: `${previousSecret}-rotated` };
  await setGenesysConfig(env, tenant.id, genesys, (await loadTenant(env, tenant.id))!.genesys);
  return { ...tenant, genesys, previousSecret };
}

/** Moves this isolate's clock (the memo's, the routes', the objects') to `at`. */
function clockAt(at: number) {
  vi.spyOn(Date, 'now').mockReturnValue(at);
}

describe('a tenant changed in another isolate', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is served from memory at once when 30 s old, re-read behind the request, and the change shows on the next lookup', async () => {
    const tenant = await seedTenant(net);
    expect(await loadTenant(env, tenant.id)).toMatchObject({ status: 'active' });
    const readAt = Date.now();
    await changeElsewhere(tenant, { suspend: true, accessToken: 'EAAG-new-token' });

    clockAt(readAt + TENANT_REFRESH_MS);
    // No wait for D1 and the decryption: the tenant in hand, as it was read.
    expect(await loadTenant(env, tenant.id)).toMatchObject({
      status: 'active',
      whatsapp: { accessToken: tenant.whatsapp.accessToken },
    });
    await vi.waitFor(async () => expect(await loadTenant(env, tenant.id)).toMatchObject({ status: 'suspended' }), {
      timeout: 5_000,
      interval: 20,
    });
    expect((await loadTenant(env, tenant.id))?.whatsapp.accessToken).toBe('EAAG-new-token');
  });

  it('is never used 60 s after it was read: a suspension, a revoked webhook secret and a new WhatsApp token all show, even with nothing asked in between', async () => {
    const tenant = await rotatedTenant();
    expect(await loadTenant(env, tenant.id)).toMatchObject({
      status: 'active',
      genesys: { previousOutboundWebhookSecret: tenant.previousSecret },
    });
    const readAt = Date.now();
    await changeElsewhere(tenant, { suspend: true, revokePrevious: true, accessToken: 'EAAG-new-token' });

    clockAt(readAt + TENANT_MAX_STALENESS_MS);
    const seen = await loadTenant(env, tenant.id);
    expect(seen).toMatchObject({ status: 'suspended', whatsapp: { accessToken: 'EAAG-new-token' } });
    expect(seen?.genesys.previousOutboundWebhookSecret).toBeUndefined();
    const signedWithRevoked = await postGenesys(tenant, agentMessage(tenant, newCustomer(), { text: 'hi' }), {
      secret: tenant.previousSecret,
    });
    expect(signedWithRevoked.status).toBe(401);
  });

  it('the previous webhook secret stops working when its grace ends, even if the tenant was read just before', async () => {
    const tenant = await rotatedTenant();
    const graceEnds = Date.now() + 10_000;
    await changeElsewhere(tenant, { previousUntil: graceEnds });
    forgetTenant(tenant.id);
    const message = () => agentMessage(tenant, newCustomer(), { text: 'hi' });
    expect((await postGenesys(tenant, message(), { secret: tenant.previousSecret })).status).toBe(200);

    clockAt(graceEnds);
    expect((await postGenesys(tenant, message(), { secret: tenant.previousSecret })).status).toBe(401);
    vi.restoreAllMocks();
    expect((await postGenesys(tenant, message())).status).toBe(200);
    // Both accepted messages settle (no customer window: Failed receipts) before the test ends.
    await vi.waitFor(() => expect(net.genesys.receiptsFor(tenant.genesys.integrationId)).toHaveLength(2), {
      timeout: 15_000,
      interval: 50,
    });
  });
});
