/**
 * The WhatsApp webhook route as Meta and attackers see it: the handshake, signatures over the raw
 * bytes, and a precise 4xx, with nothing enqueued, for every kind of bad input.
 */
import { describe, expect, it } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { app } from '../workers/app';
import { fromHex, hmacSha256Verify, utf8 } from '../workers/lib/crypto';
import type { Env } from '../workers/env';
import textFixture from './fixtures/meta/text.json';
import statusFixture from './fixtures/meta/status_sent_marketing_pmp.json';
import errorsFixture from './fixtures/meta/errors_value_level_130429.json';
import sdkVector from './fixtures/meta/signature_vector_whatsapp_nodejs_sdk.json';
import pywaVector from './fixtures/meta/signature_vector_pywa_real_text_webhook.json';
import pywaRaw from './fixtures/meta/signature_vector_pywa_real_text_webhook.body.raw?raw';
import { useFakeNetwork } from './fakes/network';
import { metaSignature, seedTenant, uniqueWamid, webhookFor, type SeededTenant } from './helpers';

const net = useFakeNetwork();

/** The real queue, wrapped so a test can see what was sent (or make sending fail). */
function recordingEnv(options: { failSend?: boolean } = {}) {
  const sent: unknown[] = [];
  const queue = {
    async send(body: unknown) {
      if (options.failSend) throw new Error('Queue is unavailable');
      sent.push(body);
    },
    async sendBatch(messages: Iterable<{ body: unknown }>) {
      if (options.failSend) throw new Error('Queue is unavailable');
      const list = [...messages];
      sent.push(...list.map((m) => m.body));
      await env.INBOUND_QUEUE.sendBatch(list as MessageSendRequest<never>[]);
    },
  };
  return { sent, env: { ...env, INBOUND_QUEUE: queue } as unknown as Env };
}

async function post(
  target: ReturnType<typeof recordingEnv>,
  raw: string | Uint8Array,
  headers: Record<string, string>,
  host = 'bridge.test',
): Promise<Response> {
  return app.request(
    `https://${host}/webhooks/whatsapp`,
    { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw },
    target.env,
  );
}

async function signed(tenant: SeededTenant, body: unknown) {
  const raw = JSON.stringify(body);
  return { raw, headers: { 'x-hub-signature-256': await metaSignature(raw, tenant.whatsapp.appSecret) } };
}

describe("Meta's subscription handshake (GET)", () => {
  it('echoes hub.challenge when the verify token belongs to a tenant', async () => {
    const tenant = await seedTenant(net);
    const url = `https://bridge.test/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${tenant.whatsapp.verifyToken}`;
    const res = await exports.default.fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1158201444');
  });

  it('checks the token of the tenant named by the subdomain', async () => {
    const tenant = await seedTenant(net);
    const other = await seedTenant(net);
    const base = `https://${tenant.slug}.bridge.test/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=42`;
    expect((await exports.default.fetch(`${base}&hub.verify_token=${tenant.whatsapp.verifyToken}`)).status).toBe(200);
    const res = await exports.default.fetch(`${base}&hub.verify_token=${other.whatsapp.verifyToken}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'verification_failed' } });
  });

  it('refuses a wrong token with 403 and a missing parameter with 400', async () => {
    const wrong = await exports.default.fetch(
      'https://bridge.test/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope',
    );
    expect(wrong.status).toBe(403);
    const missing = await exports.default.fetch(
      'https://bridge.test/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x',
    );
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { code: 'invalid_body', issues: [{ path: 'hub.challenge' }] },
    });
  });
});

describe('X-Hub-Signature-256', () => {
  it("verifies Meta's official SDK test vector", async () => {
    const hex = sdkVector.x_hub_signature_256.slice('sha256='.length);
    expect(await hmacSha256Verify(sdkVector.app_secret, utf8(sdkVector.raw_body), fromHex(hex)!)).toBe(true);
    expect(await hmacSha256Verify('another-secret', utf8(sdkVector.raw_body), fromHex(hex)!)).toBe(false);
  });

  it('accepts the real Meta-signed webhook captured by pywa, byte for byte', async () => {
    expect(pywaRaw).toBe(pywaVector.raw_body);
    await seedTenant(net, {
      whatsapp: {
        phoneNumberId: '277321005464405',
        wabaId: '264937493375603',
        accessToken: 'x',
        appSecret: pywaVector.app_secret,
        verifyToken: `v-${crypto.randomUUID()}`,
      },
    });
    const target = recordingEnv();
    const res = await post(target, pywaRaw, { 'x-hub-signature-256': pywaVector.x_hub_signature_256 });
    expect(res.status).toBe(200);
    expect(target.sent).toHaveLength(1);
    expect(target.sent[0]).toMatchObject({ kind: 'wa_message', waId: '972544401243', contactName: 'PyWa Tests' });
  });

  it('refuses the same webhook re-serialised (same JSON, other bytes)', async () => {
    const target = recordingEnv();
    const reformatted = JSON.stringify(JSON.parse(pywaRaw), null, 2);
    const res = await post(target, reformatted, { 'x-hub-signature-256': pywaVector.x_hub_signature_256 });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    expect(target.sent).toEqual([]);
  });

  it('refuses a forged signature, a missing one and a malformed one with 401', async () => {
    const tenant = await seedTenant(net);
    const body = webhookFor(textFixture, tenant, { id: uniqueWamid() });
    const raw = JSON.stringify(body);
    const target = recordingEnv();
    const forged = await post(target, raw, { 'x-hub-signature-256': await metaSignature(raw, 'not-the-app-secret') });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    const missing = await post(target, raw, {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'missing_signature' } });
    const malformed = await post(target, raw, { 'x-hub-signature-256': 'sha1=abc' });
    expect(malformed.status).toBe(401);
    expect(target.sent).toEqual([]);
  });

  it("refuses a body signed with another tenant's secret", async () => {
    const tenant = await seedTenant(net);
    const other = await seedTenant(net);
    const raw = JSON.stringify(webhookFor(textFixture, tenant, { id: uniqueWamid() }));
    const target = recordingEnv();
    const res = await post(target, raw, { 'x-hub-signature-256': await metaSignature(raw, other.whatsapp.appSecret) });
    expect(res.status).toBe(401);
    expect(target.sent).toEqual([]);
  });
});

describe('bad input is refused precisely and nothing is enqueued', () => {
  it('413 for a body over the cap, declared by Content-Length', async () => {
    const tenant = await seedTenant(net);
    const huge = JSON.stringify({ ...webhookFor(textFixture, tenant), padding: 'x'.repeat(5 * 1024 * 1024) });
    const target = recordingEnv();
    const res = await post(target, huge, {
      'x-hub-signature-256': await metaSignature(huge, tenant.whatsapp.appSecret),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(target.sent).toEqual([]);
  });

  it('413 for an oversized body streamed without Content-Length', async () => {
    const target = recordingEnv();
    const chunk = new Uint8Array(256 * 1024).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await app.request(
      'https://bridge.test/webhooks/whatsapp',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
        body: stream,
        duplex: 'half',
      } as RequestInit,
      target.env,
    );
    expect(res.status).toBe(413);
    expect(target.sent).toEqual([]);
  });

  it('400 for a body that is not JSON', async () => {
    const target = recordingEnv();
    const res = await post(target, '{"object": "whatsapp_business_account", ', {
      'x-hub-signature-256': `sha256=${'a'.repeat(64)}`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'malformed_json' } });
    expect(target.sent).toEqual([]);
  });

  it('400 with field errors for a signed body that is not a WhatsApp webhook', async () => {
    const tenant = await seedTenant(net);
    const body = webhookFor(textFixture, tenant) as {
      object: string;
      entry: Array<{ changes: Array<{ value: { messages: Array<Record<string, unknown>> } }> }>;
    };
    body.object = 'page';
    delete body.entry[0]!.changes[0]!.value.messages[0]!.timestamp;
    const target = recordingEnv();
    const { raw, headers } = await signed(tenant, body);
    const res = await post(target, raw, headers);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(json.error.code).toBe('invalid_body');
    expect(json.error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['object', 'entry.0.changes.0.value.messages.0.timestamp']),
    );
    expect(target.sent).toEqual([]);
  });

  it('401 invalid_signature, like a forged signature, for a phone_number_id no tenant owns', async () => {
    const body = structuredClone(textFixture);
    body.entry[0]!.changes[0]!.value.metadata.phone_number_id = '999000999000';
    const raw = JSON.stringify(body);
    const target = recordingEnv();
    const res = await post(target, raw, { 'x-hub-signature-256': await metaSignature(raw, 'whatever') });
    expect(res.status).toBe(401);
    // Which numbers are tenants' is nobody else's business (test/webhook-strangers.test.ts).
    expect(await res.json()).toEqual({
      error: { code: 'invalid_signature', message: 'X-Hub-Signature-256 does not match the body' },
    });
    expect(target.sent).toEqual([]);
  });

  it("401 for an unknown tenant subdomain or another tenant's signature there; 403 when the subdomain's tenant signed another's number", async () => {
    const tenant = await seedTenant(net);
    const other = await seedTenant(net);
    const { raw, headers } = await signed(tenant, webhookFor(textFixture, tenant));
    const target = recordingEnv();
    expect((await post(target, raw, headers, 'nobody.bridge.test')).status).toBe(401);
    expect((await post(target, raw, headers, `${other.slug}.bridge.test`)).status).toBe(401);
    const mismatch = await post(
      target,
      raw,
      { 'x-hub-signature-256': await metaSignature(raw, other.whatsapp.appSecret) },
      `${other.slug}.bridge.test`,
    );
    expect(mismatch.status).toBe(403);
    expect(await mismatch.json()).toMatchObject({ error: { code: 'tenant_mismatch' } });
    expect(target.sent).toEqual([]);
    expect((await post(target, raw, headers, `${tenant.slug}.bridge.test`)).status).toBe(200);
  });

  it('503 when the queue refuses, so Meta retries later', async () => {
    const tenant = await seedTenant(net);
    const { raw, headers } = await signed(tenant, webhookFor(textFixture, tenant, { id: uniqueWamid() }));
    const res = await post(recordingEnv({ failSend: true }), raw, headers);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'enqueue_failed' } });
  });
});

describe('what one webhook becomes', () => {
  it('one queue message per message, status and error, each tagged with its tenant', async () => {
    const tenant = await seedTenant(net);
    const body = webhookFor(textFixture, tenant) as { entry: Array<{ changes: unknown[] }> };
    const second = webhookFor(textFixture, tenant, { id: uniqueWamid(), from: '447700900123' }) as {
      entry: Array<{ changes: unknown[] }>;
    };
    const status = webhookFor(statusFixture, tenant) as { entry: Array<{ changes: unknown[] }> };
    const errors = webhookFor(errorsFixture, tenant) as { entry: Array<{ changes: unknown[] }> };
    body.entry[0]!.changes.push(...second.entry[0]!.changes, ...status.entry[0]!.changes, ...errors.entry[0]!.changes);
    const target = recordingEnv();
    const { raw, headers } = await signed(tenant, body);
    const res = await post(target, raw, headers);
    expect(res.status).toBe(200);
    expect(target.sent.map((m) => (m as { kind: string }).kind)).toEqual([
      'wa_message',
      'wa_message',
      'wa_status',
      'wa_notice',
    ]);
    expect(target.sent.every((m) => (m as { tenantId: string }).tenantId === tenant.id)).toBe(true);
    expect(target.sent[1]).toMatchObject({ waId: '447700900123' });
  });
});
