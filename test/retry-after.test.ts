/**
 * `Retry-After` on every upstream call, in workerd through the fakes: a server may give it as
 * delay-seconds or as an HTTP-date (RFC 9110 §10.2.3), and either way the next attempt waits that
 * long. The answers are scripted per test: Meta documents 429 and 503 answers when a number's
 * request rate or capacity is exceeded, and Genesys documents Retry-After on its 429s; whether a
 * server sends the date form is the server's choice, which RFC 9110 leaves to it.
 */
import { describe, expect, it, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import textFixture from './fixtures/meta/text.json';
import { FakeMeta } from './fakes/meta.fake';
import { useFakeNetwork } from './fakes/network';
import {
  agentSays,
  customerMessageState,
  customerWrites,
  newCustomer,
  postWebhook,
  seedTenant,
  uniqueWamid,
  webhookFor,
  WAIT,
} from './helpers';

const net = useFakeNetwork();

/** An HTTP-date (IMF-fixdate, whole seconds) `seconds` from now, and the instant it names. */
function httpDateIn(seconds: number): { header: string; at: number } {
  const at = Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000;
  return { header: new Date(at).toUTCString(), at };
}

/** Where an agent message stands in its conversation object. */
function agentMessageState(tenantId: string, waId: string, genesysId: string) {
  return runInDurableObject(
    env.CONVERSATION.getByName(`${tenantId}:${waId}`),
    (_object, state) =>
      state.storage.sql
        .exec<{ state: string; attempts: number; next_attempt_at: number }>(
          'SELECT state, attempts, next_attempt_at FROM outbound WHERE genesys_id = ?',
          genesysId,
        )
        .toArray()
        .map((r) => ({ state: r.state, attempts: r.attempts, nextAttemptAt: r.next_attempt_at }))[0],
  );
}

describe('an HTTP-date Retry-After is honoured like delay-seconds', () => {
  it.each([
    [429, FakeMeta.error(4, '(#4) Application request limit reached')],
    [503, FakeMeta.error(131016, 'Service unavailable')],
  ])('a WhatsApp send answered %i waits until the date Meta gave before it is tried again', async (status, body) => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(net, tenant, waId);
    const retry = httpDateIn(90);
    net.meta.script.push(new RegExp(`/messages/${tenant.whatsapp.phoneNumberId}$`), {
      status,
      headers: { 'retry-after': retry.header },
      body,
    });

    const message = await agentSays(tenant, waId, { text: 'in a moment' });

    await vi.waitFor(
      async () =>
        expect(await agentMessageState(tenant.id, waId, message.id)).toMatchObject({ state: 'pending', attempts: 1 }),
      WAIT,
    );
    const pending = await agentMessageState(tenant.id, waId, message.id);
    // The date has whole seconds; the conversation object's clock reads the answer a moment later.
    expect(Math.abs(pending!.nextAttemptAt - retry.at)).toBeLessThan(2000);
    expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toEqual([]);
  });

  it('a customer message Genesys answers 429 with an HTTP date waits until that date', async () => {
    const tenant = await seedTenant(net);
    const retry = httpDateIn(90);
    net.genesys.script.push(new RegExp(tenant.genesys.integrationId), {
      status: 429,
      headers: { 'retry-after': retry.header },
      body: { status: 429, code: 'too.many.requests', message: 'Rate limit exceeded the maximum' },
    });
    const wamid = uniqueWamid();
    const res = await postWebhook(webhookFor(textFixture, tenant, { id: wamid }), {
      secret: tenant.whatsapp.appSecret,
    });
    expect(res.status).toBe(200);

    const stored = () => customerMessageState(tenant.id, '16505551234', wamid);
    await vi.waitFor(async () => expect(await stored()).toMatchObject({ state: 'pending', attempts: 1 }), WAIT);
    expect(Math.abs((await stored())!.nextAttemptAt - retry.at)).toBeLessThan(2000);
    expect(net.genesys.callsFor(tenant.genesys.integrationId)).toEqual([]);
  });
});
