/**
 * A tenant can only claim a WhatsApp number its own business account holds: before a phone number
 * id is saved, Graph must list it under the given WhatsApp Business Account for the given token.
 * Otherwise another business's customers would be routed to whoever typed its number id first.
 */
import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:workers';
import { loadTenant, tenantIdByPhoneNumberId } from '../workers/db/tenants.repo';
import { FakeMeta } from './fakes/meta.fake';
import { useFakeNetwork } from './fakes/network';
import { adminApi, OPERATOR, seedTenant } from './helpers';

const net = useFakeNetwork();
let n = 0;
/** A business on Meta: its account, one number, and a token that may read it. */
function business() {
  n++;
  const digits = `${Date.now() % 1_000_000_000}${n}`;
  const account = { wabaId: `5${digits}`, phoneNumberId: `4${digits}`, accessToken: `EAAG-owner-${digits}` };
  net.meta.addNumber(account.wabaId, account.phoneNumberId, account.accessToken);
  return account;
}

function tenantBody(whatsapp: { wabaId: string; phoneNumberId: string; accessToken: string }) {
  const id = crypto.randomUUID().slice(0, 8);
  return {
    name: `Claimant ${id}`,
    slug: `claimant-${id}`,
    whatsapp: { ...whatsapp, appSecret: `app-secret-${id}-000`, verifyToken: `verify-${id}-000` },
    genesys: { region: 'mypurecloud.ie', clientId: `client-${id}-000`, clientSecret: `client-secret-${id}-000` },
  };
}

describe('claiming a WhatsApp number', () => {
  it("refuses another business's number under one's own account and token (422), and saves nothing", async () => {
    const victim = business();
    const squatter = business();
    const claim = tenantBody({ ...squatter, phoneNumberId: victim.phoneNumberId });
    const res = await adminApi('POST', '/api/tenants', OPERATOR, claim);
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('phone_number_not_in_waba');
    expect(await tenantIdByPhoneNumberId(env, victim.phoneNumberId)).toBeNull();

    // Naming the victim's account does not help: the squatter's token cannot read it.
    const again = await adminApi(
      'POST',
      '/api/tenants',
      OPERATOR,
      tenantBody({ ...victim, accessToken: squatter.accessToken }),
    );
    expect(again.status).toBe(422);
    expect(again.json.error.code).toBe('phone_number_not_in_waba');
  });

  it('refuses a token Meta does not accept (190) with its own code', async () => {
    const owner = business();
    const res = await adminApi(
      'POST',
      '/api/tenants',
      OPERATOR,
      tenantBody({ ...owner, accessToken: 'EAAG-expired-token' }),
    );
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('whatsapp_token_refused');
  });

  it('creates the tenant when the account lists the number for the token', async () => {
    const owner = business();
    const res = await adminApi('POST', '/api/tenants', OPERATOR, tenantBody(owner));
    expect(res.status).toBe(201);
    expect(await tenantIdByPhoneNumberId(env, owner.phoneNumberId)).toBe(res.json.id);
  });

  it('checks a number change on a tenant the same way', async () => {
    const tenant = await seedTenant(net);
    const stranger = business();
    const moved = await adminApi('PUT', `/api/tenants/${tenant.id}/whatsapp`, OPERATOR, {
      phoneNumberId: stranger.phoneNumberId,
    });
    expect(moved.status).toBe(422);
    expect(moved.json.error.code).toBe('phone_number_not_in_waba');
    expect((await loadTenant(env, tenant.id))!.whatsapp.phoneNumberId).toBe(tenant.whatsapp.phoneNumberId);

    // A second number of the tenant's own account is fine.
    const second = `3${Date.now() % 1_000_000_000}`;
    net.meta.addNumber(tenant.whatsapp.wabaId, second, tenant.whatsapp.accessToken);
    const ok = await adminApi('PUT', `/api/tenants/${tenant.id}/whatsapp`, OPERATOR, { phoneNumberId: second });
    expect(ok.status).toBe(200);
    expect(ok.json.whatsapp.phoneNumberId).toBe(second);
  });
});

describe('when Graph asks to be called later', () => {
  /** The next GET /{waba-id}/phone_numbers of this account answers `answer` instead. */
  const busy = (wabaId: string, status: number, headers: Record<string, string> = {}) =>
    net.meta.script.push(new RegExp(`/${wabaId}/phone_numbers$`), {
      status,
      headers,
      body: FakeMeta.error(
        status === 429 ? 4 : 2,
        status === 429 ? 'Application request limit reached' : 'Service temporarily unavailable',
      ),
    });

  it("answers 503 whatsapp_busy with Meta's Retry-After in seconds, and saves nothing", async () => {
    const owner = business();
    busy(owner.wabaId, 429, { 'retry-after': '120' });
    const res = await adminApi('POST', '/api/tenants', OPERATOR, tenantBody(owner));
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('whatsapp_busy');
    expect(res.headers.get('retry-after')).toBe('120');
    expect(await tenantIdByPhoneNumberId(env, owner.phoneNumberId)).toBeNull();

    // Asked again when told, Graph answers and the tenant is created.
    expect((await adminApi('POST', '/api/tenants', OPERATOR, tenantBody(owner))).status).toBe(201);
  });

  it('reads a Retry-After given as an HTTP date', async () => {
    const owner = business();
    busy(owner.wabaId, 503, { 'retry-after': new Date(Date.now() + 600_000).toUTCString() });
    const res = await adminApi('POST', '/api/tenants', OPERATOR, tenantBody(owner));
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('whatsapp_busy');
    // The date has whole seconds, and some of the ten minutes passed before the answer.
    const seconds = Number(res.headers.get('retry-after'));
    expect(seconds).toBeGreaterThan(540);
    expect(seconds).toBeLessThanOrEqual(600);
  });

  it('says a minute when Meta does not say, and answers a number change the same way', async () => {
    const tenant = await seedTenant(net);
    const second = `3${Date.now() % 1_000_000_000}`;
    net.meta.addNumber(tenant.whatsapp.wabaId, second, tenant.whatsapp.accessToken);
    busy(tenant.whatsapp.wabaId, 429);
    const moved = await adminApi('PUT', `/api/tenants/${tenant.id}/whatsapp`, OPERATOR, { phoneNumberId: second });
    expect(moved.status).toBe(503);
    expect(moved.json.error.code).toBe('whatsapp_busy');
    expect(moved.headers.get('retry-after')).toBe('60');
    expect((await loadTenant(env, tenant.id))!.whatsapp.phoneNumberId).toBe(tenant.whatsapp.phoneNumberId);
  });
});
