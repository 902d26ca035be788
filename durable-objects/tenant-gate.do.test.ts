/**
 * The tenant gate on its own, through its RPC surface: what it keeps after it is told to forget
 * (erase, new credentials, a customer's erasure), even while a token request is still in flight.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { useFakeNetwork } from '../test/fakes/network';
import { Latch } from '../test/fakes/scripted';
import { seedTenant, WAIT } from '../test/helpers';
import { DEFAULT_CLIENT_ENTRY } from '../workers/domain/genesys-pool';
import { conversationName } from '../workers/domain/conversation';

const net = useFakeNetwork();

/** Every key in the gate's storage. */
function storedKeys(tenantId: string): Promise<string[]> {
  return runInDurableObject(env.TENANT_GATE.getByName(tenantId), async (_gate, state) => [
    ...(await state.storage.list()).keys(),
  ]);
}

describe('a token refresh that ends after the gate was told to forget', () => {
  for (const forget of ['erase', 'forgetToken'] as const) {
    it(`keeps nothing of the late token after ${forget}()`, async () => {
      const tenant = await seedTenant(net);
      const gate = env.TENANT_GATE.getByName(tenant.id);
      // Genesys answers the token request only once the test lets it.
      const latch = new Latch();
      net.genesys.script.push(/\/oauth\/token/, {
        status: 200,
        body: { access_token: 'tok-late', token_type: 'bearer', expires_in: 86_400 },
        latch,
      });

      const lease = { tenantId: tenant.id, client: DEFAULT_CLIENT_ENTRY, holder: 'test', want: 1 };
      const pending = gate.lease(lease);
      await vi.waitFor(() => expect(latch.arrived).toBe(true), WAIT);
      if (forget === 'erase') await gate.erase();
      else await gate.forgetToken(tenant.id);
      latch.open();
      // Whoever asked before still gets the token they waited for…
      expect(await pending).toMatchObject({ ok: true, token: 'tok-late' });

      // …but the gate neither stored it nor remembers it: the next caller gets a new one.
      expect(await storedKeys(tenant.id)).not.toContain('genesys-token');
      const next = await gate.lease(lease);
      expect(next.ok && next.token).not.toBe('tok-late');
      expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId)).toBe(1);
    });
  }
});

describe('forgetConversation', () => {
  it("deletes the conversation's waiter keys under every number, and no one else's", async () => {
    const tenant = await seedTenant(net);
    const gate = env.TENANT_GATE.getByName(tenant.id);
    const erased = conversationName(tenant.id, '447700900123');
    const other = conversationName(tenant.id, '4477009001234');
    const current = tenant.whatsapp.phoneNumberId;
    const previous = `9${current}`;
    // Waiting on the current number's refused token, and on the previous number's suspension.
    await gate.holdWhatsapp(current, 'credential', null);
    await gate.holdWhatsapp(previous, 'suspended', null);
    for (const waiter of [erased, other]) {
      expect(await gate.acquireWhatsapp(1, 80, { phoneNumberId: current, waiter })).toMatchObject({
        ok: false,
        held: 'credential',
      });
      expect(await gate.waitForRelease(previous, 'suspended', waiter)).toBe(true);
    }
    expect((await storedKeys(tenant.id)).filter((k) => k.includes('447700900123'))).toHaveLength(4);

    expect(await gate.forgetConversation(erased)).toBe(2);

    const waiters = (await storedKeys(tenant.id)).filter((k) => k.startsWith('waiter:'));
    expect(waiters.sort()).toEqual([`waiter:${previous}:${other}`, `waiter:${current}:${other}`].sort());
    expect(await gate.forgetConversation(erased)).toBe(0);
  });
});
