/**
 * Outbound end to end, in workerd: an agent's message, signed by Genesys, crosses the outbound
 * queue and the conversation object and reaches the (fake) WhatsApp Cloud API; WhatsApp statuses
 * come back to Genesys as receipts; typing and read marks; the 24-hour window and rate limits.
 */
import { describe, expect, it, vi } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { fromBase64, hmacSha256Verify, utf8 } from '../workers/lib/crypto';
import { runInDurableObject } from 'cloudflare:test';
import { loadTenant, markWhatsappCredential } from '../workers/db/tenants.repo';
import { HOLD_RECHECK_MS } from '../durable-objects/tenant-gate.do';
import { listDeadLetters, listFailures } from '../workers/db/records.repo';
import genesysVector from './fixtures/genesys/signature_vector__DERIVED.json';
import agentImage from './fixtures/genesys/webhook_agent_image_attachment__captured.json';
import typingEvent from './fixtures/genesys/webhook_event_typing_on__doc_example_quoted_by_community.json';
import failedStatus from './fixtures/meta/status_failed_131049.json';
import buttonReplyFixture from './fixtures/meta/interactive_button_reply.json';
import { FakeMeta } from './fakes/meta.fake';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  agentMessage,
  agentSays,
  customerWrites as helperCustomerWrites,
  newCustomer,
  OPERATOR,
  postGenesys,
  postWebhook,
  seedTenant,
  statusWebhook,
  uniqueWamid,
  webhookFor,
  type SeededTenant,
  WAIT,
} from './helpers';

const net = useFakeNetwork();

/** Holds on the tenant's number, as the gate stores them. */
function numberHolds(tenant: SeededTenant) {
  return runInDurableObject(
    env.TENANT_GATE.getByName(tenant.id),
    async (_gate, state) => (await state.storage.get(`holds:${tenant.whatsapp.phoneNumberId}`)) ?? [],
  );
}

function sent(tenant: SeededTenant) {
  return net.meta.sentTo(tenant.whatsapp.phoneNumberId);
}

const customerWrites = (tenant: SeededTenant, waId: string, text?: string) =>
  helperCustomerWrites(net, tenant, waId, text);

describe('the Genesys outbound webhook', () => {
  it("verifies Genesys' base64 signature (derived test vector)", async () => {
    const mac = fromBase64(genesysVector.x_hub_signature_256.slice('sha256='.length))!;
    expect(await hmacSha256Verify(genesysVector.secret, utf8(genesysVector.raw_body), mac)).toBe(true);
  });

  it('refuses forged, hex-encoded (Meta-style) and missing signatures with 401, unknown tenants alike; bad bodies with 400', async () => {
    const tenant = await seedTenant(net);
    const message = agentMessage(tenant, newCustomer(), { text: 'hi' });
    expect((await postGenesys(tenant, message, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await postGenesys(tenant, message, { signature: `sha256=${'ab'.repeat(32)}` })).status).toBe(401);
    const missing = await exports.default.fetch(
      new Request(`https://bridge.test/webhooks/genesys/${tenant.id}`, {
        method: 'POST',
        body: JSON.stringify(message),
      }),
    );
    expect(missing.status).toBe(401);
    expect((await postGenesys({ ...tenant, id: crypto.randomUUID() }, message)).status).toBe(401);
    const invalid = await postGenesys(tenant, { id: 'x', type: 'Text' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'invalid_body', issues: [{ path: 'channel' }] } });
    await new Promise((r) => setTimeout(r, 1200));
    expect(sent(tenant)).toEqual([]);
  });

  it('accepts the old and the new secret while a rotation settles', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const rotated = await adminApi('PUT', `/api/tenants/${tenant.id}/genesys`, OPERATOR, {
      outboundWebhookSecret: 'the-new-secret-0123456789',
    });
    expect(rotated.status).toBe(200);
    expect((await postGenesys(tenant, agentMessage(tenant, waId, { text: 'old secret' }))).status).toBe(200);
    expect(
      (
        await postGenesys(tenant, agentMessage(tenant, waId, { text: 'new secret' }), {
          secret: 'the-new-secret-0123456789',
        })
      ).status,
    ).toBe(200);
    expect(
      (await postGenesys(tenant, agentMessage(tenant, waId, { text: 'x' }), { secret: 'some-other-secret' })).status,
    ).toBe(401);
    await vi.waitFor(
      () => expect(sent(tenant).map((m) => m.body.text?.body)).toEqual(['old secret', 'new secret']),
      WAIT,
    );
  });
});

describe('agent messages reach WhatsApp', () => {
  it('a text inside the window is sent once, even when Genesys posts it twice', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const message = agentMessage(tenant, waId, { text: 'See https://example.com/track' });
    await postGenesys(tenant, message);
    await postGenesys(tenant, message);
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    expect(sent(tenant)[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: waId,
      type: 'text',
      text: { body: 'See https://example.com/track', preview_url: true },
    });
    await new Promise((r) => setTimeout(r, 1200));
    expect(sent(tenant)).toHaveLength(1);
  });

  it('a long text is split at 4096 characters on a word boundary', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const text = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(' ');
    await agentSays(tenant, waId, { text });
    const parts = () => sent(tenant).map((m) => m.body.text.body as string);
    // more parts than the pair-rate burst (3 in tests): the rest queue and follow
    await vi.waitFor(() => expect(parts().join(' ')).toBe(text), WAIT);
    expect(parts().length).toBeGreaterThan(3);
    expect(parts().every((p) => p.length <= 4096 && !p.startsWith(' ') && !p.endsWith(' '))).toBe(true);
  });

  it('an agent image (as Genesys captured it) goes by link; a link to another host is refused with a Failed receipt', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const image = {
      ...structuredClone(agentImage),
      id: crypto.randomUUID(),
      channel: { ...agentImage.channel, to: { id: `+${waId}`, idType: 'Opaque' } },
      text: 'Here is the label',
    };
    await postGenesys(tenant, image);
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    expect(sent(tenant)[0]!.body).toMatchObject({
      type: 'image',
      image: { link: agentImage.content[0]!.attachment.url, caption: 'Here is the label' },
    });

    const evil = await agentSays(tenant, waId, {
      content: [
        {
          contentType: 'Attachment',
          attachment: { mediaType: 'Image', url: 'https://169.254.169.254/latest/meta-data', mime: 'image/png' },
        },
      ],
    });
    await vi.waitFor(
      () =>
        expect(net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === evil.id)).toMatchObject({
          status: 'Failed',
          reasons: [{ code: 'MediaTypeNotAllowed' }],
        }),
      WAIT,
    );
    expect(sent(tenant)).toHaveLength(1);
  });

  it('a document keeps its filename', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    await agentSays(tenant, waId, {
      content: [
        {
          contentType: 'Attachment',
          attachment: {
            mediaType: 'File',
            url: 'https://api-downloads.mypurecloud.ie/api/v2/downloads/abc',
            mime: 'application/pdf',
            filename: 'invoice.pdf',
          },
        },
      ],
    });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    expect(sent(tenant)[0]!.body).toMatchObject({
      type: 'document',
      document: { link: 'https://api-downloads.mypurecloud.ie/api/v2/downloads/abc', filename: 'invoice.pdf' },
    });
  });

  it('quick replies become buttons (up to 3), a list (up to 10), or numbered text', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const replies = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        contentType: 'QuickReply',
        quickReply: { text: `Option ${i + 1}`, payload: `opt-${i + 1}`, action: 'Message' },
      }));
    await agentSays(tenant, waId, { type: 'Structured', text: 'Pick one', content: replies(3) });
    await agentSays(tenant, waId, { type: 'Structured', text: 'Pick one', content: replies(5) });
    await agentSays(tenant, waId, { type: 'Structured', text: 'Pick one', content: replies(12) });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(3), { timeout: 20_000, interval: 50 });
    const [buttons, list, numbered] = sent(tenant).map((m) => m.body);
    expect(buttons!.interactive).toEqual({
      type: 'button',
      body: { text: 'Pick one' },
      action: { buttons: [1, 2, 3].map((i) => ({ type: 'reply', reply: { id: `opt-${i}`, title: `Option ${i}` } })) },
    });
    expect(list!.interactive.type).toBe('list');
    expect(list!.interactive.action.sections[0].rows).toHaveLength(5);
    expect(numbered!.text.body).toBe(
      ['Pick one', ...Array.from({ length: 12 }, (_, i) => `${i + 1}. Option ${i + 1}`)].join('\n'),
    );
  });

  it("the customer's tap on an agent button reaches Genesys as a structured response to that agent message", async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const question = await agentSays(tenant, waId, {
      type: 'Structured',
      text: 'Cancel the order?',
      content: [{ contentType: 'QuickReply', quickReply: { text: 'Cancel', payload: 'cancel-button' } }],
    });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    const tap = webhookFor(buttonReplyFixture, tenant, {
      id: uniqueWamid(),
      from: waId,
      timestamp: String(Math.floor(Date.now() / 1000)),
      context: { from: '15550783881', id: sent(tenant)[0]!.wamid },
    }) as any;
    tap.entry[0].changes[0].value.contacts[0].wa_id = waId;
    await postWebhook(tap, { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(
      () =>
        expect(net.genesys.callsFor(tenant.genesys.integrationId).some((c) => c.endpoint === 'structured')).toBe(true),
      WAIT,
    );
    const structured = net.genesys.callsFor(tenant.genesys.integrationId).find((c) => c.endpoint === 'structured')!;
    expect(structured.body).toMatchObject({
      buttonResponse: { type: 'QuickReply', text: 'Cancel', payload: 'cancel-button' },
      originatingMessageId: question.id,
    });
  });

  it('a reply to a customer message quotes it on WhatsApp', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const customerWamid = await customerWrites(tenant, waId, 'where is my parcel?');
    await agentSays(tenant, waId, {
      text: 'On its way',
      channel: { ...agentMessage(tenant, waId).channel, metadata: { replyToMessageId: customerWamid } },
    });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    expect(sent(tenant)[0]!.body.context).toEqual({ message_id: customerWamid });
  });
});

describe('the 24-hour window', () => {
  it('free text outside the window is not sent and the agent gets a Failed receipt saying why; a template still goes', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer(); // never wrote: no window
    net.meta.templates.push({
      name: 'order_shipped',
      language: 'en_US',
      components: [{ type: 'BODY', text: 'Your order {{1}} has shipped' }],
    });
    const text = await agentSays(tenant, waId, { text: 'Are you still there?' });
    const notification = await agentSays(tenant, waId, {
      type: 'Text',
      text: 'Your order 123 has shipped',
      content: [
        {
          contentType: 'Notification',
          template: {
            id: 'order_shipped',
            language: 'en_US',
            body: { text: 'Your order {{1}} has shipped', parameters: [{ id: '1', text: '123' }] },
          },
        },
      ],
    });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    expect(sent(tenant)[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: waId,
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: '123' }] }],
      },
    });
    await vi.waitFor(
      () => expect(net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === text.id)).toBeDefined(),
      WAIT,
    );
    expect(net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === text.id)).toMatchObject({
      status: 'Failed',
      isFinalReceipt: true,
      channel: { to: { id: `+${waId}` } },
      reasons: [{ code: 'MessageNotAllowed', message: expect.stringContaining('24-hour') }],
    });
    expect(net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === notification.id)).toBeUndefined();
  });
});

describe('receipts', () => {
  it('Genesys gets one Delivered receipt (never Sent or Read, which it refuses); the timeline keeps Sent → Delivered → Read', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const message = await agentSays(tenant, waId, { text: 'Thanks!' });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    const wamid = sent(tenant)[0]!.wamid;
    // `read` before `delivered` (Meta may deliver statuses out of order) still counts as delivered.
    for (const status of ['sent', 'read', 'delivered', 'read', 'sent']) {
      await postWebhook(statusWebhook(tenant, wamid, waId, status), { secret: tenant.whatsapp.appSecret });
    }
    await vi.waitFor(
      () => expect(net.genesys.receiptsFor(tenant.genesys.integrationId).map((r) => r.status)).toEqual(['Delivered']),
      WAIT,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const receipts = net.genesys.receiptsFor(tenant.genesys.integrationId);
    expect(receipts).toEqual([
      {
        id: message.id,
        // The original message's `to`, as Genesys' receipt examples show.
        channel: { to: { id: `+${waId}`, idType: 'Phone' }, time: expect.any(String) },
        status: 'Delivered',
        direction: 'Outbound',
        isFinalReceipt: true,
      },
    ]);
    const timeline = await adminApi('GET', `/api/tenants/${tenant.id}/conversations/${waId}`);
    const entries = (timeline.json as { entries: Array<{ id: string; receipt?: string }> }).entries;
    expect(entries.find((e) => e.id === message.id)?.receipt).toBe('Read');
  });

  it('a tenant that asks for Failed receipts only gets no Delivered receipt (no Genesys call), and still hears of a failure', async () => {
    const tenant = await seedTenant(net);
    const patched = await exports.default.fetch(
      new Request(`https://bridge.test/api/tenants/${tenant.id}`, {
        method: 'PATCH',
        headers: { ...OPERATOR, 'content-type': 'application/json' },
        body: JSON.stringify({ genesysReceipts: 'failed' }),
      }),
    );
    expect(await patched.json()).toMatchObject({ genesysReceipts: 'failed' });
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const delivered = await agentSays(tenant, waId, { text: 'Your order shipped' });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    const failed = await agentSays(tenant, waId, { text: 'Promo!' });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(2), WAIT);
    const [first, second] = sent(tenant);

    for (const status of ['sent', 'delivered', 'read'])
      await postWebhook(statusWebhook(tenant, first!.wamid, waId, status), { secret: tenant.whatsapp.appSecret });
    const timeline = async () => {
      const res = await exports.default.fetch(
        new Request(`https://bridge.test/api/tenants/${tenant.id}/conversations/${waId}`, { headers: OPERATOR }),
      );
      return ((await res.json()) as { entries: Array<{ id: string; receipt?: string }> }).entries;
    };
    // The timeline still shows the first message read.
    await vi.waitFor(
      async () => expect((await timeline()).find((e) => e.id === delivered.id)?.receipt).toBe('Read'),
      WAIT,
    );

    const errors = failedStatus.entry[0]!.changes[0]!.value.statuses[0]!.errors;
    await postWebhook(statusWebhook(tenant, second!.wamid, waId, 'failed', errors), {
      secret: tenant.whatsapp.appSecret,
    });
    // Follow-ups run in order: by the time the Failed receipt is sent, the Delivered one was settled before it.
    await vi.waitFor(() => expect(net.genesys.receiptsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    expect(net.genesys.receiptsFor(tenant.genesys.integrationId)).toEqual([
      expect.objectContaining({ id: failed.id, status: 'Failed' }),
    ]);
    expect((await timeline()).find((e) => e.id === failed.id)?.receipt).toBe('Failed');
  });

  it('the fake Genesys refuses Sent and Read receipts with 400, as the real endpoint documents', async () => {
    const tenant = await seedTenant(net);
    const token = await (
      await net.genesys.login.fetch(
        new Request('https://login.genesys.fake/oauth/token', {
          method: 'POST',
          headers: {
            authorization: `Basic ${btoa(`${tenant.genesys.clientId}:${tenant.genesys.clientSecret}`)}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
        }),
      )
    ).json<{ access_token: string }>();
    const post = (status: string) =>
      net.genesys.api.fetch(
        new Request(
          `https://api.genesys.fake/api/v2/conversations/messages/${tenant.genesys.integrationId}/inbound/open/receipt`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              id: 'm1',
              channel: { to: { id: '+447700900000', idType: 'Phone' }, time: new Date().toISOString() },
              status,
              direction: 'Outbound',
              isFinalReceipt: true,
            }),
          },
        ),
      );
    expect((await post('Sent')).status).toBe(400);
    expect((await post('Read')).status).toBe(400);
    expect((await post('Delivered')).status).toBe(200);
  });

  it('a failed status carries the WhatsApp code and title to the agent', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const message = await agentSays(tenant, waId, { text: 'Promo!' });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    const errors = failedStatus.entry[0]!.changes[0]!.value.statuses[0]!.errors;
    await postWebhook(statusWebhook(tenant, sent(tenant)[0]!.wamid, waId, 'failed', errors), {
      secret: tenant.whatsapp.appSecret,
    });
    await vi.waitFor(() => expect(net.genesys.receiptsFor(tenant.genesys.integrationId)).toHaveLength(1), WAIT);
    expect(net.genesys.receiptsFor(tenant.genesys.integrationId)[0]).toMatchObject({
      id: message.id,
      status: 'Failed',
      isFinalReceipt: true,
      reasons: [
        {
          code: 'GeneralError',
          message: 'WhatsApp 131049: This message was not delivered to maintain healthy ecosystem engagement.',
        },
      ],
    });
  });
});

describe('typing and read marks', () => {
  it("the agent's typing shows on WhatsApp (on the customer's last message)", async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const last = await customerWrites(tenant, waId);
    const event = {
      ...structuredClone(typingEvent),
      id: crypto.randomUUID(),
      channel: { ...typingEvent.channel, to: { id: `+${waId}` } },
    };
    expect((await postGenesys(tenant, event)).status).toBe(200);
    await vi.waitFor(
      () =>
        expect(net.meta.reads.filter((r) => r.phoneNumberId === tenant.whatsapp.phoneNumberId)).toEqual([
          { phoneNumberId: tenant.whatsapp.phoneNumberId, messageId: last, typing: true },
        ]),
      WAIT,
    );
  });

  it('customer messages are marked read when the tenant enables it, and not otherwise', async () => {
    const quiet = await seedTenant(net);
    const reading = await seedTenant(net);
    await adminApi('PATCH', `/api/tenants/${reading.id}`, OPERATOR, { markRead: true });
    for (const tenant of [quiet, reading]) {
      const waId = newCustomer();
      await customerWrites(tenant, waId);
      await agentSays(tenant, waId, { text: 'On it' });
      await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    }
    await vi.waitFor(
      () =>
        expect(net.meta.reads.filter((r) => r.phoneNumberId === reading.whatsapp.phoneNumberId)).toMatchObject([
          { typing: false },
        ]),
      WAIT,
    );
    expect(net.meta.reads.filter((r) => r.phoneNumberId === quiet.whatsapp.phoneNumberId)).toEqual([]);
  });
});

describe('WhatsApp limits and errors', () => {
  it('a burst to one customer is queued by the pair rate and sent in order', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    for (let i = 1; i <= 6; i++) await agentSays(tenant, waId, { text: `burst ${i}` });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(6), WAIT);
    expect(sent(tenant).map((m) => m.body.text.body)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `burst ${i}`));
    expect(
      net.meta.sendRequests.filter((r) => r.phoneNumberId === tenant.whatsapp.phoneNumberId && r.status !== 200),
    ).toEqual([]);
  });

  it('131056 (pair rate) and 130429 (throughput) are retried; 131047 is not, and the agent is told', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const route = new RegExp(`/messages/${tenant.whatsapp.phoneNumberId}$`);
    net.meta.script.push(route, {
      status: 400,
      body: FakeMeta.error(131056, '(Business Account, Consumer Account) pair rate limit hit'),
    });
    net.meta.script.push(route, { status: 400, body: FakeMeta.error(130429, 'Rate limit hit') });
    await agentSays(tenant, waId, { text: 'retried' });
    await vi.waitFor(() => expect(sent(tenant).map((m) => m.body.text.body)).toEqual(['retried']), WAIT);

    net.meta.script.push(route, {
      status: 400,
      body: FakeMeta.error(
        131047,
        'Re-engagement message',
        'Message failed to send because more than 24 hours have passed',
      ),
    });
    const refused = await agentSays(tenant, waId, { text: 'too late' });
    await vi.waitFor(
      () =>
        expect(net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === refused.id)).toMatchObject({
          status: 'Failed',
          reasons: [{ code: 'MessageNotAllowed' }],
        }),
      WAIT,
    );
    expect(
      net.meta.sendRequests.filter((r) => r.phoneNumberId === tenant.whatsapp.phoneNumberId && r.status === 400),
    ).toHaveLength(3);
    expect((await listFailures(env, tenant.id)).find((f) => f.externalId === refused.id)).toMatchObject({
      direction: 'outbound',
      code: 'MessageNotAllowed',
    });
  });

  it('error 190 holds the number without spending attempts, shows the credential broken, and a working token sends what was held, in order', async () => {
    const tenant = await seedTenant(net);
    const [alice, bob] = [newCustomer(), newCustomer()];
    await customerWrites(tenant, alice);
    await customerWrites(tenant, bob);
    net.meta.phoneNumbers.set(tenant.whatsapp.phoneNumberId, 'token-rotated-at-meta');
    await agentSays(tenant, alice, { text: 'first' });
    await vi.waitFor(
      async () => expect((await loadTenant(env, tenant.id))?.whatsapp.credentialStatus).toBe('broken'),
      WAIT,
    );
    await agentSays(tenant, alice, { text: 'second' });
    await agentSays(tenant, bob, { text: 'for bob' });
    const view = await adminApi('GET', `/api/tenants/${tenant.id}`);
    expect(view.json).toMatchObject({ whatsapp: { credentialStatus: 'broken' } });

    // Longer than every retry of MAX_DELIVERY_ATTEMPTS (4) with RETRY_BASE_MS (20) would take.
    await new Promise((r) => setTimeout(r, 3000));
    const refused = net.meta.sendRequests.filter(
      (r) => r.phoneNumberId === tenant.whatsapp.phoneNumberId && r.status === 401,
    );
    expect(refused).toHaveLength(1); // the send that found out; the others waited without trying
    expect(await listDeadLetters(env, tenant.id)).toEqual([]);
    expect(net.genesys.receiptsFor(tenant.genesys.integrationId).filter((r) => r.status === 'Failed')).toEqual([]);
    // Held messages re-check by themselves every 10 minutes, even if their wake-up were lost.
    const head = await runInDurableObject(env.CONVERSATION.getByName(`${tenant.id}:${alice}`), (_o, state) =>
      state.storage.sql
        .exec<{ at: number }>("SELECT next_attempt_at AS at FROM outbound WHERE state = 'pending' ORDER BY seq LIMIT 1")
        .one(),
    );
    expect(head.at - Date.now()).toBeGreaterThan(HOLD_RECHECK_MS - 10_000);
    expect(await numberHolds(tenant)).toMatchObject([{ reason: 'credential', until: null }]);

    // A token Meta also refuses keeps the hold.
    const put = (accessToken: string) =>
      adminApi('PUT', `/api/tenants/${tenant.id}/whatsapp`, OPERATOR, { accessToken });
    expect((await put('another-bad-token')).json).toMatchObject({ whatsapp: { credentialStatus: 'broken' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(sent(tenant)).toEqual([]);

    expect((await put('token-rotated-at-meta')).json).toMatchObject({ whatsapp: { credentialStatus: 'ok' } });
    await vi.waitFor(
      () =>
        expect(
          sent(tenant)
            .map((m) => m.body.text.body)
            .sort(),
        ).toEqual(['first', 'for bob', 'second']),
      WAIT,
    );
    expect(
      sent(tenant)
        .filter((m) => m.body.to === alice)
        .map((m) => m.body.text.body),
    ).toEqual(['first', 'second']);
    expect((await loadTenant(env, tenant.id))?.whatsapp.credentialStatus).toBe('ok');
    expect(await numberHolds(tenant)).toEqual([]);
  });

  it('a send that goes through with a token marked broken (fixed at Meta meanwhile) shows the credential ok again', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    await markWhatsappCredential(env, tenant.id, 'broken');
    await agentSays(tenant, waId, { text: 'still works' });
    await vi.waitFor(() => expect(sent(tenant).map((m) => m.body.text.body)).toEqual(['still works']), WAIT);
    await vi.waitFor(
      async () => expect((await loadTenant(env, tenant.id))?.whatsapp.credentialStatus).toBe('ok'),
      WAIT,
    );
  });

  it("the number's throughput is a per-tenant budget (messages per second, configurable)", async () => {
    const tenant = await seedTenant(net);
    const gate = env.TENANT_GATE.getByName(tenant.id);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await gate.acquireWhatsapp(1, 2));
    expect(answers.slice(0, 2)).toEqual([{ ok: true }, { ok: true }]);
    expect(answers[2]).toMatchObject({ ok: false, waitMs: expect.any(Number) });
  });

  it('a send that keeps failing with 5xx is dead-lettered, the agent gets a Failed receipt, and replay sends it', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    await customerWrites(tenant, waId);
    const route = new RegExp(`/messages/${tenant.whatsapp.phoneNumberId}$`);
    net.meta.script.push(route, { status: 500, body: FakeMeta.error(131000, 'Something went wrong') }, 4);
    const message = await agentSays(tenant, waId, { text: 'eventually' });
    await vi.waitFor(async () => expect(await listDeadLetters(env, tenant.id)).toHaveLength(1), WAIT);
    const [dead] = await listDeadLetters(env, tenant.id);
    expect(dead).toMatchObject({
      queue: 'outbound',
      externalId: message.id,
      errorCode: 'whatsapp_131000',
      attempts: 4,
    });
    await vi.waitFor(
      () =>
        expect(net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === message.id)).toMatchObject({
          status: 'Failed',
        }),
      WAIT,
    );

    const replay = await adminApi('POST', `/api/tenants/${tenant.id}/dead-letters/${dead!.id}/replay`);
    expect(replay.status).toBe(202);
    await vi.waitFor(() => expect(sent(tenant).map((m) => m.body.text.body)).toEqual(['eventually']), WAIT);
  });
});
