/**
 * What the dashboard and the agent widget read and do: the conversation index and timeline,
 * hourly metrics, and the widget's Genesys-verified session, history and template send.
 */
import { describe, expect, it, vi } from 'vitest';
import { env, exports } from 'cloudflare:workers';
import { getConversation } from '../workers/db/conversations.repo';
import textFixture from './fixtures/meta/text.json';
import imageFixture from './fixtures/meta/image.json';
import buttonReplyFixture from './fixtures/meta/interactive_button_reply.json';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  OPERATOR,
  agentMessage,
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

/** A customer who wrote a text and a photo, an agent who answered, and WhatsApp who delivered it. */
async function conversationWithTraffic(tenant: SeededTenant, waId: string) {
  net.meta.addMedia('1003383421387256', new Uint8Array([1, 2, 3]), 'image/jpeg', tenant.whatsapp.accessToken);
  const now = String(Math.floor(Date.now() / 1000));
  for (const fixture of [textFixture, imageFixture]) {
    const webhook = webhookFor(fixture, tenant, { id: uniqueWamid(), from: waId, timestamp: now }) as any;
    webhook.entry[0].changes[0].value.contacts[0].wa_id = waId;
    await postWebhook(webhook, { secret: tenant.whatsapp.appSecret });
  }
  await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(2), WAIT);
  const reply = agentMessage(tenant, waId, {
    text: 'It comes in blue too',
    conversationId: net.genesys.conversationsByCustomer.get(`+${waId}`),
  });
  await postGenesys(tenant, reply);
  await vi.waitFor(() => expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toHaveLength(1), WAIT);
  await postWebhook(
    statusWebhook(tenant, net.meta.sentTo(tenant.whatsapp.phoneNumberId)[0]!.wamid, waId, 'delivered'),
    { secret: tenant.whatsapp.appSecret },
  );
  await vi.waitFor(
    () => expect(net.genesys.receiptsFor(tenant.genesys.integrationId).map((r) => r.status)).toEqual(['Delivered']),
    WAIT,
  );
  // The dashboard learns of it from the conversation's next report (ACTIVITY_REPORT_MS).
  await vi.waitFor(
    async () => expect(await getConversation(env, tenant.id, waId)).toMatchObject({ messagesIn: 2, messagesOut: 1 }),
    WAIT,
  );
  return reply;
}

describe('conversations, timeline and metrics', () => {
  it('lists conversations and shows every message both ways with its delivery state', async () => {
    const tenant = await seedTenant(net);
    const waId = '447700800001';
    await conversationWithTraffic(tenant, waId);

    const list = await adminApi('GET', `/api/tenants/${tenant.id}/conversations`);
    expect(list.json.items).toMatchObject([
      {
        waId,
        contactName: 'Sheena Nelson',
        messagesIn: 2,
        messagesOut: 1,
        genesysConversationId: net.genesys.conversationsByCustomer.get(`+${waId}`),
      },
    ]);
    expect(list.json.items[0].windowClosesAt).toBeGreaterThan(Date.now());

    const timeline = await adminApi('GET', `/api/tenants/${tenant.id}/conversations/${waId}`);
    expect(timeline.status).toBe(200);
    expect(
      timeline.json.entries.map((e: any) => [e.direction, e.type, e.text, e.state, e.receipt, e.hasMedia]),
    ).toEqual([
      ['inbound', 'text', 'Does it come in another color?', 'delivered', undefined, false],
      ['inbound', 'image', 'Taj Mahal', 'delivered', undefined, true],
      ['outbound', 'text', 'It comes in blue too', 'sent', 'Delivered', false],
    ]);
    // another tenant cannot read it
    const other = await seedTenant(net);
    const key = (await adminApi('POST', `/api/tenants/${other.id}/api-keys`, OPERATOR, { name: 'k' })).json.key;
    expect(
      (await adminApi('GET', `/api/tenants/${tenant.id}/conversations/${waId}`, { 'x-api-key': key })).status,
    ).toBe(404);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/conversations`, { 'x-api-key': key })).status).toBe(404);
  });

  it("tells each entry's kind, type and label, and counts what it shows as messages (typing is not one)", async () => {
    const tenant = await seedTenant(net);
    const waId = '447700800006';
    const reply = await conversationWithTraffic(tenant, waId);
    const conversationId = reply.conversationId;
    await postGenesys(
      tenant,
      agentMessage(tenant, waId, {
        type: 'Event',
        events: [{ eventType: 'Typing', typing: { type: 'On', duration: 5000 } }],
        conversationId,
      }),
    );
    await postGenesys(
      tenant,
      agentMessage(tenant, waId, {
        text: 'Your shipping label',
        content: [
          {
            contentType: 'Attachment',
            attachment: {
              mediaType: 'Image',
              url: 'https://api-downloads.mypurecloud.ie/api/v2/downloads/label',
              mime: 'image/png',
              filename: 'label.png',
            },
          },
        ],
        conversationId,
      }),
    );
    await postGenesys(
      tenant,
      agentMessage(tenant, waId, {
        type: 'Structured',
        text: 'What would you like to do?',
        content: ['Track order', 'Cancel'].map((text) => ({ contentType: 'QuickReply', quickReply: { text } })),
        conversationId,
      }),
    );
    await vi.waitFor(() => expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toHaveLength(3), WAIT);
    const buttons = net.meta.sentTo(tenant.whatsapp.phoneNumberId)[2]!;
    const option = (buttons.body.interactive as any).action.buttons[0].reply;
    const tap = webhookFor(buttonReplyFixture, tenant, {
      id: uniqueWamid(),
      from: waId,
      timestamp: String(Math.floor(Date.now() / 1000) + 1),
      context: { from: tenant.whatsapp.phoneNumberId, id: buttons.wamid },
      interactive: { type: 'button_reply', button_reply: option },
    }) as any;
    tap.entry[0].changes[0].value.contacts[0].wa_id = waId;
    await postWebhook(tap, { secret: tenant.whatsapp.appSecret });
    await vi.waitFor(
      async () => expect(await getConversation(env, tenant.id, waId)).toMatchObject({ messagesIn: 3, messagesOut: 3 }),
      WAIT,
    );

    const { json } = await adminApi('GET', `/api/tenants/${tenant.id}/conversations/${waId}`);
    expect(json.entries.map((e: any) => [e.direction, e.kind, e.type, e.label, e.hasMedia])).toEqual([
      ['inbound', 'message', 'text', 'Does it come in another color?', false],
      ['inbound', 'message', 'image', '📷 Photo: Taj Mahal', true],
      ['outbound', 'message', 'text', 'It comes in blue too', false],
      ['outbound', 'typing', 'typing', 'Typing…', false],
      ['outbound', 'message', 'image', '📷 Photo: Your shipping label', true],
      ['outbound', 'message', 'buttons', 'What would you like to do? [Track order | Cancel]', false],
      ['inbound', 'message', 'button_reply', 'Tapped: Track order', false],
    ]);
    // The fields the dashboard read before are all still there.
    expect(json.entries[2]).toMatchObject({ text: 'It comes in blue too', state: 'sent', receipt: 'Delivered' });
    // The index counts exactly the timeline's messages, both ways.
    const list = (await adminApi('GET', `/api/tenants/${tenant.id}/conversations`)).json.items[0];
    const messages = (direction: string) =>
      json.entries.filter((e: any) => e.direction === direction && e.kind === 'message').length;
    expect([list.messagesIn, list.messagesOut]).toEqual([messages('inbound'), messages('outbound')]);
  });

  it('counts messages in and out, failures and latency per hour', async () => {
    const tenant = await seedTenant(net);
    await conversationWithTraffic(tenant, '447700800002');
    await postGenesys(tenant, agentMessage(tenant, '447700800099', { text: 'no window here' }));
    await vi.waitFor(
      async () =>
        expect((await adminApi('GET', `/api/tenants/${tenant.id}/metrics?hours=3`)).json.hours.at(-1)).toMatchObject({
          inbound: 2,
          outbound: 1,
          failed: 1,
        }),
      WAIT,
    );
    const { json } = await adminApi('GET', `/api/tenants/${tenant.id}/metrics?hours=3`);
    expect(json.hours).toHaveLength(3);
    const last = json.hours.at(-1);
    expect(last.avgLatencyMs).toBeGreaterThan(0);
    // Percentiles are bucket bounds at or above the true value: p50 ≤ p95, both ≥ the average's bucket floor.
    expect(last.p50LatencyMs).toBeGreaterThan(0);
    expect(last.p95LatencyMs).toBeGreaterThanOrEqual(last.p50LatencyMs);
    expect(json.hours[0]).toMatchObject({
      inbound: 0,
      outbound: 0,
      failed: 0,
      avgLatencyMs: null,
      p50LatencyMs: null,
      p95LatencyMs: null,
    });
    expect(json.backlog).toEqual({
      inbound: { count: 0, oldestAgeMs: null },
      outbound: { count: 0, oldestAgeMs: null },
    });
  });
});

describe('the agent widget', () => {
  async function openWidget(tenant: SeededTenant, waId: string, orgId = 'org-default') {
    const agentToken = net.genesys.issueAgentToken(orgId, { id: 'agent-1', name: 'Alex Agent' });
    return adminApi(
      'POST',
      '/api/widget/session',
      {},
      {
        tenant: tenant.slug,
        conversationId: net.genesys.conversationsByCustomer.get(`+${waId}`) ?? crypto.randomUUID(),
        accessToken: agentToken,
      },
    );
  }

  it("verifies the agent with Genesys, then shows the customer's name, number, window and history with media", async () => {
    const tenant = await seedTenant(net);
    const waId = '447700800003';
    await conversationWithTraffic(tenant, waId);
    const session = await openWidget(tenant, waId);
    expect(session.status).toBe(200);
    expect(session.json.agent).toEqual({ id: 'agent-1', name: 'Alex Agent' });

    const view = await adminApi('GET', '/api/widget/conversation', { authorization: `Bearer ${session.json.token}` });
    expect(view.status).toBe(200);
    expect(view.json.customer).toEqual({ name: 'Sheena Nelson', waId });
    expect(view.json.window).toMatchObject({ open: true, closesAt: expect.any(Number) });
    expect(view.json.history.map((h: any) => h.text)).toEqual([
      'Does it come in another color?',
      'Taj Mahal',
      'It comes in blue too',
    ]);
    expect(view.json.history.map((h: any) => [h.kind, h.type, h.label])).toEqual([
      ['message', 'text', 'Does it come in another color?'],
      ['message', 'image', '📷 Photo: Taj Mahal'],
      ['message', 'text', 'It comes in blue too'],
    ]);
    // The agent's typing is not a message: the widget's history leaves it out.
    await postGenesys(
      tenant,
      agentMessage(tenant, waId, { type: 'Event', events: [{ eventType: 'Typing', typing: { type: 'On' } }] }),
    );
    await vi.waitFor(async () => {
      const { json } = await adminApi('GET', `/api/tenants/${tenant.id}/conversations/${waId}`);
      expect(json.entries.at(-1)).toMatchObject({ kind: 'typing' });
    }, WAIT);
    const after = await adminApi('GET', '/api/widget/conversation', { authorization: `Bearer ${session.json.token}` });
    expect(after.json.history.map((h: any) => h.kind)).toEqual(['message', 'message', 'message']);
    const photo = view.json.history[1].media;
    expect(photo.url).toMatch(/^https:\/\/bridge\.test\/media\//);
    const bytes = await exports.default.fetch(photo.url);
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("lists approved templates and sends one; it reaches WhatsApp and the tenant's audit log", async () => {
    const tenant = await seedTenant(net);
    const waId = '447700800004';
    await conversationWithTraffic(tenant, waId);
    const { token } = (await openWidget(tenant, waId)).json;
    const templates = await adminApi('GET', '/api/widget/templates', { authorization: `Bearer ${token}` });
    expect(templates.json.items).toContainEqual({
      name: 'order_update',
      language: 'en_US',
      body: 'Hi {{1}}, your order {{2}} is on its way',
      parameters: 2,
    });
    const sent = await adminApi(
      'POST',
      '/api/widget/template',
      { authorization: `Bearer ${token}` },
      { name: 'order_update', language: 'en_US', parameters: ['Sheena', 'A-7'] },
    );
    expect(sent.status).toBe(202);
    await vi.waitFor(() => expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)).toHaveLength(2), WAIT);
    expect(net.meta.sentTo(tenant.whatsapp.phoneNumberId)[1]!.body.template).toEqual({
      name: 'order_update',
      language: { code: 'en_US' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Sheena' },
            { type: 'text', text: 'A-7' },
          ],
        },
      ],
    });
    // The widget's history reads it as the customer did: the approved body with the values filled in.
    await vi.waitFor(async () => {
      const view = await adminApi('GET', '/api/widget/conversation', { authorization: `Bearer ${token}` });
      expect(view.json.history.at(-1)).toMatchObject({
        kind: 'message',
        type: 'template',
        label: 'Hi Sheena, your order A-7 is on its way',
        state: 'sent',
      });
    }, WAIT);
    const audit = await adminApi('GET', `/api/tenants/${tenant.id}/audit`);
    expect(audit.json.items[0]).toMatchObject({ actor: 'agent:agent-1', action: 'widget.template.send' });
  });

  it('refuses agents of another org, conversations that are not ours, and bad or missing tokens', async () => {
    const tenant = await seedTenant(net);
    const waId = '447700800005';
    await conversationWithTraffic(tenant, waId);
    // Like an unknown tenant or a refused token (test/webhook-strangers.test.ts).
    expect((await openWidget(tenant, waId, 'some-other-org')).status).toBe(401);
    expect((await openWidget(tenant, '447700800777')).status).toBe(404);
    expect(
      (
        await adminApi(
          'POST',
          '/api/widget/session',
          {},
          { tenant: tenant.slug, conversationId: crypto.randomUUID(), accessToken: 'forged' },
        )
      ).status,
    ).toBe(401);
    expect((await adminApi('POST', '/api/widget/session', {}, { tenant: tenant.slug })).status).toBe(400);
    expect((await adminApi('GET', '/api/widget/conversation', {})).status).toBe(401);
    expect((await adminApi('GET', '/api/widget/conversation', { authorization: 'Bearer nope' })).status).toBe(401);
  });
});
