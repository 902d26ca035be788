/**
 * Inbound end to end, in workerd: signed Meta webhooks enter the Worker, cross the real queue and
 * the conversation Durable Object, and reach the (fake) Genesys Open Messaging API — once, in
 * order, through upstream failures.
 */
import { describe, expect, it, vi } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { listDeadLetters, listFailures } from '../workers/db/records.repo';
import type { WaMessageItem } from '../durable-objects/conversation.do';
import textFixture from './fixtures/meta/text.json';
import imageFixture from './fixtures/meta/image.json';
import documentFixture from './fixtures/meta/document.json';
import unsupportedFixture from './fixtures/meta/unsupported_131051.json';
import errorsFixture from './fixtures/meta/errors_value_level_130429.json';
import statusFixture from './fixtures/meta/status_failed_131049.json';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  customerMessageState,
  postWebhook,
  seedTenant,
  uniqueWamid,
  webhookFor,
  type SeededTenant,
  WAIT,
} from './helpers';

const net = useFakeNetwork();

function textFrom(
  tenant: SeededTenant,
  options: { from?: string; id?: string; timestamp?: string; body?: string } = {},
) {
  const message: Record<string, unknown> = { id: options.id ?? uniqueWamid() };
  if (options.from) message.from = options.from;
  if (options.timestamp) message.timestamp = options.timestamp;
  if (options.body) message.text = { body: options.body };
  const webhook = webhookFor(textFixture, tenant, message) as {
    entry: Array<{ changes: Array<{ value: { contacts: Array<{ wa_id: string }> } }> }>;
  };
  if (options.from) webhook.entry[0]!.changes[0]!.value.contacts[0]!.wa_id = options.from;
  return webhook;
}

function send(tenant: SeededTenant, webhook: unknown) {
  return postWebhook(webhook as Record<string, unknown>, { secret: tenant.whatsapp.appSecret });
}

function texts(tenant: SeededTenant): string[] {
  return net.genesys.callsFor(tenant.genesys.integrationId).map((c) => c.body.text as string);
}

describe('delivery', () => {
  it('a text reaches the tenant integration with the customer name and a bearer token, and is mapped', async () => {
    const tenant = await seedTenant(net);
    const wamid = uniqueWamid();
    const res = await send(tenant, textFrom(tenant, { id: wamid }));
    expect(res.status).toBe(200);

    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    const [call] = net.genesys.callsFor(tenant.genesys.integrationId);
    expect(call!.endpoint).toBe('message');
    expect(call!.body).toEqual({
      channel: {
        messageId: wamid,
        from: { id: '+16505551234', idType: 'Phone', nickname: 'Sheena Nelson' },
        time: '2025-06-08T20:59:43.000Z',
      },
      text: 'Does it come in another color?',
    });
    expect(net.unhandled).toEqual([]);

    const stub = env.CONVERSATION.getByName(`${tenant.id}:16505551234`);
    expect(await customerMessageState(tenant.id, '16505551234', wamid)).toMatchObject({
      state: 'delivered',
      genesysId: call!.id,
    });
    expect(await stub.serviceWindow(Date.parse('2025-06-08T21:00:00Z'))).toMatchObject({
      open: true,
      lastCustomerMessageAt: 1749416383000,
    });
    expect(await stub.serviceWindow(Date.parse('2025-06-09T21:00:00Z'))).toMatchObject({ open: false });
  });

  it('every documented message type is accepted by Genesys (strictly validated by the fake)', async () => {
    const tenant = await seedTenant(net);
    const fixtures = import.meta.glob<{
      default: { entry: Array<{ changes: Array<{ field: string; value: { messages?: unknown[] } }> }> };
    }>(['./fixtures/meta/*.json', './fixtures/meta/nonofficial/*.json'], { eager: true });
    const withMessages = Object.entries(fixtures).filter(
      ([, f]) => f.default.entry?.[0]?.changes?.[0]?.value?.messages,
    );
    expect(withMessages).toHaveLength(19);
    for (const [, fixture] of withMessages) {
      const res = await send(tenant, webhookFor(fixture.default, tenant, { id: uniqueWamid() }));
      expect(res.status).toBe(200);
    }
    await vi.waitFor(
      () => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(withMessages.length),
      WAIT,
    );
    expect(
      net.genesys.requests.filter((r) => r.integrationId === tenant.genesys.integrationId && r.status !== 200),
    ).toEqual([]);
    // The unsupported type is delivered as a note and also recorded for the operator.
    expect((await listFailures(env, tenant.id)).map((f) => f.code)).toEqual(['unsupported_message']);
  });

  it('the same webhook five times at once reaches Genesys once', async () => {
    const tenant = await seedTenant(net);
    const webhook = textFrom(tenant);
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(tenant, webhook)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    // and stays once: Meta retrying hours later is still a duplicate
    await send(tenant, webhook);
    await new Promise((r) => setTimeout(r, 1500));
    expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1);
  });

  it('messages Meta delivers out of order reach Genesys in timestamp order', async () => {
    const tenant = await seedTenant(net);
    const customer = '447700900001';
    const stub = env.CONVERSATION.getByName(`${tenant.id}:${customer}`);
    const item = (ts: string, body: string): WaMessageItem => ({
      v: 1,
      kind: 'wa_message',
      tenantId: tenant.id,
      phoneNumberId: tenant.whatsapp.phoneNumberId,
      receivedAt: Date.now(),
      waId: customer,
      message: { id: uniqueWamid(), from: customer, timestamp: ts, type: 'text', text: { body } },
    });
    // Three separate arrivals, newest first, as three webhook deliveries would land.
    await stub.acceptInbound([item('1750000003', 'third')]);
    await stub.acceptInbound([item('1750000001', 'first')]);
    await stub.acceptInbound([item('1750000002', 'second')]);
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(3), WAIT);
    expect(texts(tenant)).toEqual(['first', 'second', 'third']);
  });

  it('out-of-order webhooks through the whole path keep timestamp order', async () => {
    const tenant = await seedTenant(net);
    const order = ['1750000105', '1750000101', '1750000104', '1750000102', '1750000103'];
    for (const ts of order) await send(tenant, textFrom(tenant, { timestamp: ts, body: ts }));
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(5), WAIT);
    expect(texts(tenant)).toEqual([...order].sort());
  });

  it('customers of one tenant do not wait for each other, and tenants stay apart', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    await send(a, textFrom(a, { from: '15550000001', body: 'a1' }));
    await send(b, textFrom(b, { from: '15550000001', body: 'b1' }));
    await vi.waitFor(() => expect([...texts(a), ...texts(b)]).toHaveLength(2), WAIT);
    expect(texts(a)).toEqual(['a1']);
    expect(texts(b)).toEqual(['b1']);
    expect(net.genesys.callsFor(a.genesys.integrationId)[0]!.token).not.toBe(
      net.genesys.callsFor(b.genesys.integrationId)[0]!.token,
    );
  });
});

describe('the reorder hold', () => {
  /** When the conversation object will first forward a customer message, and the queue item it holds. */
  function scheduled(tenantId: string, waId: string, wamid: string) {
    return runInDurableObject(env.CONVERSATION.getByName(`${tenantId}:${waId}`), (_instance, state) => {
      const row = state.storage.sql
        .exec<{ due_at: number; item: string }>('SELECT due_at, item FROM messages WHERE wamid = ?', wamid)
        .toArray()[0];
      return row ? { dueAt: row.due_at, item: JSON.parse(row.item) as WaMessageItem } : undefined;
    });
  }

  it("counts from the webhook's arrival, so the time a message spent in the queue is part of it", async () => {
    const tenant = await seedTenant(net);
    const customer = '447700900002';
    const now = Date.now();
    const item = (receivedAt: number, holdMs?: number): WaMessageItem => ({
      v: 1,
      kind: 'wa_message',
      tenantId: tenant.id,
      phoneNumberId: tenant.whatsapp.phoneNumberId,
      receivedAt,
      ...(holdMs === undefined ? {} : { holdMs }),
      waId: customer,
      message: {
        id: uniqueWamid(),
        from: customer,
        timestamp: String(Math.floor(now / 1000)),
        type: 'text',
        text: { body: 'hi' },
      },
    });
    const waitedLong = item(now - 10_000, 500);
    const waitedLittle = item(now - 100, 500);
    // Enqueued by an earlier release, without the tenant's hold: the deployment's applies.
    const older = item(now - 100);
    await env.CONVERSATION.getByName(`${tenant.id}:${customer}`).acceptInbound([waitedLong, waitedLittle, older]);

    expect((await scheduled(tenant.id, customer, waitedLong.message.id))?.dueAt).toBe(now - 10_000 + 500);
    expect((await scheduled(tenant.id, customer, waitedLittle.message.id))?.dueAt).toBe(now - 100 + 500);
    expect((await scheduled(tenant.id, customer, older.message.id))?.dueAt).toBe(
      now - 100 + Number(env.INBOUND_REORDER_MS),
    );
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(3), WAIT);
  });

  it("is each tenant's own, set through the admin API: 2 s, 0 (forward at once), or the deployment's", async () => {
    const patient = await seedTenant(net);
    const eager = await seedTenant(net);
    const usual = await seedTenant(net);
    for (const [tenant, inboundReorderMs] of [
      [patient, 2000],
      [eager, 0],
    ] as const) {
      const res = await exports.default.fetch(
        new Request(`https://bridge.test/api/tenants/${tenant.id}`, {
          method: 'PATCH',
          headers: { authorization: 'Bearer test-operator-token', 'content-type': 'application/json' },
          body: JSON.stringify({ inboundReorderMs }),
        }),
      );
      expect(res.status).toBe(200);
    }
    const holds = new Map<SeededTenant, number>();
    for (const tenant of [patient, eager, usual]) {
      const wamid = uniqueWamid();
      expect((await send(tenant, textFrom(tenant, { id: wamid, from: '447700900003' }))).status).toBe(200);
      const row = await vi.waitFor(async () => {
        const found = await scheduled(tenant.id, '447700900003', wamid);
        expect(found).toBeDefined();
        return found!;
      }, WAIT);
      holds.set(tenant, row.dueAt - row.item.receivedAt);
    }
    expect(holds.get(patient)).toBe(2000);
    expect(holds.get(eager)).toBe(0);
    expect(holds.get(usual)).toBe(Number(env.INBOUND_REORDER_MS));
    // Each is forwarded once its hold is over.
    for (const tenant of [eager, usual, patient]) await vi.waitFor(() => expect(texts(tenant)).toHaveLength(1), WAIT);
  });
});

describe('Genesys tokens', () => {
  it('token expiry under 50 concurrent sends causes one token request', async () => {
    const tenant = await seedTenant(net);
    // 61 s tokens: the gate treats them as expired 60 s early, so the first one is stale after 1 s.
    net.genesys.tokenLifetime = 61;
    await send(tenant, textFrom(tenant, { from: '15551000000' }));
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(1), WAIT);
    const before = net.genesys.tokenRequestsFor(tenant.genesys.clientId);
    await new Promise((r) => setTimeout(r, 1100));

    const customers = Array.from({ length: 50 }, (_, i) => `1555200${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(customers.map((from) => send(tenant, textFrom(tenant, { from }))));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(51), WAIT);
    expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId) - before).toBe(1);
    const tokens = new Set(
      net.genesys
        .callsFor(tenant.genesys.integrationId)
        .slice(1)
        .map((c) => c.token),
    );
    expect(tokens.size).toBe(1);
  });

  it('a revoked token is replaced once, however many conversations hit the 401', async () => {
    const tenant = await seedTenant(net);
    await send(tenant, textFrom(tenant, { from: '15553000000' }));
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(1), WAIT);
    const before = net.genesys.tokenRequestsFor(tenant.genesys.clientId);
    net.genesys.revokeAllTokens();

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(tenant, textFrom(tenant, { from: `1555300${String(i + 1).padStart(4, '0')}` })),
      ),
    );
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(21), WAIT);
    expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId) - before).toBe(1);
    expect(
      net.genesys.requests.filter((r) => r.integrationId === tenant.genesys.integrationId && r.status === 401).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it("the gate hands out a window's 300 permits in leases, then says how long to wait", async () => {
    const tenant = await seedTenant(net);
    const gate = env.TENANT_GATE.getByName(tenant.id);
    const lease = (holder: string) => gate.lease({ tenantId: tenant.id, client: 'default', holder, want: 50 });
    const leases = [];
    for (let i = 0; i < 6; i++) leases.push(await lease(`${tenant.id}:conversation-${i}`));
    expect(leases.map((l) => (l.ok ? l.permits : 0))).toEqual([50, 50, 50, 50, 50, 50]);
    const refused = await lease(`${tenant.id}:one-more`);
    expect(refused).toMatchObject({ ok: false, waitMs: expect.any(Number) });
    expect(net.genesys.tokenRequestsFor(tenant.genesys.clientId)).toBe(1);
  });
});

describe('upstream failures', () => {
  it('429 with Retry-After waits as asked, then delivers', async () => {
    const tenant = await seedTenant(net);
    net.genesys.script.push(new RegExp(tenant.genesys.integrationId), {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { status: 429, code: 'too.many.requests' },
    });
    const wamid = uniqueWamid();
    const sentAt = Date.now();
    await send(tenant, textFrom(tenant, { id: wamid }));
    const stored = () => customerMessageState(tenant.id, '16505551234', wamid);
    await vi.waitFor(async () => expect(await stored()).toMatchObject({ attempts: 1, state: 'pending' }), WAIT);
    const pending = await stored();
    expect(pending!.nextAttemptAt - sentAt).toBeGreaterThanOrEqual(1000);
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(1), WAIT);
    expect(await stored()).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('a message that keeps failing with 5xx is dead-lettered with its error, and replay delivers it', async () => {
    const tenant = await seedTenant(net);
    net.genesys.script.push(
      new RegExp(tenant.genesys.integrationId),
      { status: 503, body: { status: 503, code: 'service.unavailable' } },
      4,
    );
    const wamid = uniqueWamid();
    await send(tenant, textFrom(tenant, { id: wamid, body: 'please help' }));

    await vi.waitFor(async () => expect(await listDeadLetters(env, tenant.id)).toHaveLength(1), WAIT);
    const [dead] = await listDeadLetters(env, tenant.id);
    expect(dead).toMatchObject({
      tenantId: tenant.id,
      queue: 'inbound',
      externalId: wamid,
      errorCode: 'genesys_503',
      attempts: 4,
    });
    expect(dead!.payload).toContain('please help');
    expect(texts(tenant)).toEqual([]);

    const replay = await adminApi('POST', `/api/tenants/${tenant.id}/dead-letters/${dead!.id}/replay`);
    expect(replay.status).toBe(202);
    await vi.waitFor(() => expect(texts(tenant)).toEqual(['please help']), WAIT);
    expect((await listDeadLetters(env, tenant.id))[0]!.replayedAt).toBeTypeOf('number');
  });

  it('a permanent 4xx is recorded as failed and does not block the next message', async () => {
    const tenant = await seedTenant(net);
    net.genesys.script.push(new RegExp(tenant.genesys.integrationId), {
      status: 400,
      body: { status: 400, code: 'invalid.property', message: 'bad' },
    });
    const first = uniqueWamid();
    await send(tenant, textFrom(tenant, { id: first, timestamp: '1750000001', body: 'one' }));
    await send(tenant, textFrom(tenant, { timestamp: '1750000002', body: 'two' }));
    await vi.waitFor(() => expect(texts(tenant)).toEqual(['two']), WAIT);
    const failures = await listFailures(env, tenant.id);
    expect(failures).toMatchObject([{ externalId: first, code: 'genesys_400', direction: 'inbound' }]);
  });

  it('a Genesys timeout is retried', async () => {
    const tenant = await seedTenant(net);
    net.genesys.script.push(new RegExp(tenant.genesys.integrationId), { status: 200, hang: true });
    const wamid = uniqueWamid();
    await send(tenant, textFrom(tenant, { id: wamid, body: 'slow' }));
    await vi.waitFor(() => expect(texts(tenant)).toEqual(['slow']), WAIT);
    // the first attempt hung until UPSTREAM_TIMEOUT_MS, the second went through
    expect(await customerMessageState(tenant.id, '16505551234', wamid)).toMatchObject({
      state: 'delivered',
      attempts: 2,
    });
  });

  it("Meta's app-level errors and delivery statuses are kept, not dropped", async () => {
    const tenant = await seedTenant(net);
    expect((await send(tenant, webhookFor(errorsFixture, tenant))).status).toBe(200);
    expect((await send(tenant, webhookFor(statusFixture, tenant))).status).toBe(200);
    await vi.waitFor(
      async () =>
        expect(await listFailures(env, tenant.id)).toMatchObject([
          { code: 'whatsapp_error', detail: '130429: Rate limit hit' },
        ]),
      WAIT,
    );
  });
});

describe('media', () => {
  it('Genesys fetches the customer image through our signed URL; the link is useless once tampered with', async () => {
    const tenant = await seedTenant(net);
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
    net.meta.addMedia('1003383421387256', bytes, 'image/jpeg', tenant.whatsapp.accessToken);
    await send(tenant, webhookFor(imageFixture, tenant, { id: uniqueWamid() }));
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    const attachment = (
      net.genesys.callsFor(tenant.genesys.integrationId)[0]!.body.content as Array<{ attachment: { url: string } }>
    )[0]!.attachment;
    expect(attachment.url).toMatch(/^https:\/\/bridge\.test\/media\/[\w-]+\.[\w-]+\.[\w-]+$/);

    const media = await exports.default.fetch(attachment.url);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await media.arrayBuffer())).toEqual(bytes);

    const tampered = await exports.default.fetch(`${attachment.url.slice(0, -3)}abc`);
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ error: { code: 'invalid_media_token' } });
  });

  it('a customer document that is HTML downloads from our origin instead of rendering there', async () => {
    const tenant = await seedTenant(net);
    const page = new TextEncoder().encode('<script>alert(document.cookie)</script>');
    const webhook = webhookFor(documentFixture, tenant, { id: uniqueWamid() }) as any;
    const mediaId = webhook.entry[0].changes[0].value.messages[0].document.id as string;
    net.meta.addMedia(mediaId, page, 'text/html', tenant.whatsapp.accessToken);
    await send(tenant, webhook);
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    const { url } = (
      net.genesys.callsFor(tenant.genesys.integrationId)[0]!.body.content as Array<{ attachment: { url: string } }>
    )[0]!.attachment;
    const media = await exports.default.fetch(url);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-disposition')).toMatch(/^attachment; filename="whatsapp-/);
    expect(media.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(media.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('media WhatsApp no longer has is a 404 for Genesys', async () => {
    const tenant = await seedTenant(net);
    await send(tenant, webhookFor(imageFixture, tenant, { id: uniqueWamid() }));
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    const { url } = (
      net.genesys.callsFor(tenant.genesys.integrationId)[0]!.body.content as Array<{ attachment: { url: string } }>
    )[0]!.attachment;
    const res = await exports.default.fetch(url);
    expect(res.status).toBe(404);
  });
});

describe('unsupported content', () => {
  it('reaches the agent as a note and is recorded for the operator', async () => {
    const tenant = await seedTenant(net);
    await send(tenant, webhookFor(unsupportedFixture, tenant, { id: uniqueWamid() }));
    await vi.waitFor(() => expect(texts(tenant)).toHaveLength(1), WAIT);
    // The agent reads plain words; the operator's record keeps WhatsApp's code.
    expect(texts(tenant)[0]).toContain('which WhatsApp does not pass on to businesses');
    expect(await listFailures(env, tenant.id)).toMatchObject([
      { code: 'unsupported_message', detail: expect.stringContaining('Message type unknown (131051)') },
    ]);
  });
});
