/**
 * Vendor conformance, end to end in workerd: what agents send reaches WhatsApp in a form the Cloud
 * API accepts (the fake enforces Meta's media table, limits and approved templates), taps come back
 * to Genesys with the agent's own payload, and WhatsApp's refusals reach the agent in plain words.
 */
import { describe, expect, it, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import buttonReplyFixture from './fixtures/meta/interactive_button_reply.json';
import listReplyFixture from './fixtures/meta/interactive_list_reply.json';
import { listFailures } from '../workers/db/records.repo';
import { useFakeNetwork } from './fakes/network';
import {
  agentSays,
  customerWrites,
  newCustomer,
  postWebhook,
  seedTenant,
  uniqueWamid,
  webhookFor,
  type SeededTenant,
  WAIT,
} from './helpers';

const net = useFakeNetwork();
const GENESYS_FILES = 'https://api-downloads.mypurecloud.ie/api/v2/downloads';

function sent(tenant: SeededTenant) {
  return net.meta.sentTo(tenant.whatsapp.phoneNumberId);
}

function receiptOf(tenant: SeededTenant, id: string) {
  return net.genesys.receiptsFor(tenant.genesys.integrationId).find((r) => r.id === id);
}

/** The customer taps an option on the agent's interactive message; answers what Genesys received. */
async function customerTaps(
  tenant: SeededTenant,
  waId: string,
  fixture: unknown,
  interactive: Record<string, unknown>,
) {
  const tap = webhookFor(fixture, tenant, {
    id: uniqueWamid(),
    from: waId,
    timestamp: String(Math.floor(Date.now() / 1000)),
    context: { from: '15550783881', id: sent(tenant)[0]!.wamid },
    interactive,
  }) as any;
  tap.entry[0].changes[0].value.contacts[0].wa_id = waId;
  await postWebhook(tap, { secret: tenant.whatsapp.appSecret });
  const structured = () => net.genesys.callsFor(tenant.genesys.integrationId).find((c) => c.endpoint === 'structured');
  await vi.waitFor(() => expect(structured()).toBeDefined(), WAIT);
  return structured()!.body;
}

async function windowOpen() {
  const tenant = await seedTenant(net);
  const waId = newCustomer();
  await customerWrites(net, tenant, waId);
  return { tenant, waId };
}

function attachment(fields: { mime: string; mediaType?: string; filename?: string; contentSizeBytes?: number }) {
  return {
    contentType: 'Attachment',
    attachment: { mediaType: 'Image', url: `${GENESYS_FILES}/${crypto.randomUUID()}`, ...fields },
  };
}

/** Puts the asset behind the link, so the fake WhatsApp checks it like the real one after fetching it. */
function host(...files: Array<ReturnType<typeof attachment>>) {
  for (const f of files)
    net.meta.hosted.set(f.attachment.url, { mime: f.attachment.mime, bytes: f.attachment.contentSizeBytes ?? 1000 });
}

describe('agent attachments WhatsApp cannot take as their own type', () => {
  it('the fake WhatsApp refuses a GIF sent as an image with 131053, as Meta’s media table says', async () => {
    const tenant = await seedTenant(net);
    const gif = attachment({ mime: 'image/gif' });
    host(gif);
    const res = await net.meta.graph.fetch(
      new Request(`https://graph.fake/v21.0/${tenant.whatsapp.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.whatsapp.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '447700900123',
          type: 'image',
          image: { link: gif.attachment.url },
        }),
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 131053 } });
  });

  it('a GIF, a BMP and a WebP go as documents with their filename; a PNG goes as an image', async () => {
    const { tenant, waId } = await windowOpen();
    const files = [
      attachment({ mime: 'image/gif', filename: 'dance.gif', contentSizeBytes: 200_000 }),
      attachment({ mime: 'image/bmp', filename: 'scan.bmp', contentSizeBytes: 900_000 }),
      attachment({ mime: 'image/webp', contentSizeBytes: 40_000 }),
      attachment({ mime: 'image/png', filename: 'label.png', contentSizeBytes: 2444 }),
    ];
    // WhatsApp fetches each link itself and checks it against Meta's supported-media table.
    host(...files);
    await agentSays(tenant, waId, { content: files });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(4), WAIT);
    expect(sent(tenant).map((m) => [m.body.type, m.body[m.body.type].filename])).toEqual([
      ['document', 'dance.gif'],
      ['document', 'scan.bmp'],
      ['document', 'image.webp'],
      ['image', undefined],
    ]);
    expect(
      net.meta.sendRequests.filter((r) => r.phoneNumberId === tenant.whatsapp.phoneNumberId && r.status !== 200),
    ).toEqual([]);
  });

  it('a JPEG over 5 MB and a video over 16 MB go as documents; a file over 100 MB is refused with a reason the agent can read', async () => {
    const { tenant, waId } = await windowOpen();
    const photo = attachment({ mime: 'image/jpeg', filename: 'photo.jpg', contentSizeBytes: 6 * 1024 * 1024 });
    const video = attachment({
      mediaType: 'Video',
      mime: 'video/mp4',
      filename: 'tour.mp4',
      contentSizeBytes: 20 * 1024 * 1024,
    });
    host(photo, video);
    await agentSays(tenant, waId, { content: [photo, video] });
    const huge = await agentSays(tenant, waId, {
      content: [
        attachment({
          mediaType: 'File',
          mime: 'application/zip',
          filename: 'dump.zip',
          contentSizeBytes: 150 * 1024 * 1024,
        }),
      ],
    });
    await vi.waitFor(
      () =>
        expect(receiptOf(tenant, huge.id)).toMatchObject({
          status: 'Failed',
          reasons: [{ code: 'InvalidMediaContentLength', message: expect.stringContaining('100 MB') }],
        }),
      WAIT,
    );
    expect(sent(tenant).map((m) => [m.body.type, m.body.document?.filename])).toEqual([
      ['document', 'photo.jpg'],
      ['document', 'tour.mp4'],
    ]);
  });

  it('a caption longer than WhatsApp allows is not cut: the media goes, then the full text', async () => {
    const { tenant, waId } = await windowOpen();
    const text = `${'All the details of your order. '.repeat(40)}End.`;
    await agentSays(tenant, waId, { text, content: [attachment({ mime: 'image/png', filename: 'label.png' })] });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(2), WAIT);
    const [media, follow] = sent(tenant).map((m) => m.body);
    expect(media!.type).toBe('image');
    expect(media!.image.caption).toBeUndefined();
    expect(follow).toMatchObject({ type: 'text', text: { body: text } });
  });
});

describe('quick-reply payloads longer than WhatsApp ids', () => {
  it('a tap on a button whose payload is over 256 characters reaches Genesys with the full payload', async () => {
    const { tenant, waId } = await windowOpen();
    const long = `order:${'x'.repeat(400)}`;
    const question = await agentSays(tenant, waId, {
      type: 'Structured',
      text: 'Cancel?',
      content: [
        { contentType: 'QuickReply', quickReply: { text: 'Yes', payload: long } },
        { contentType: 'QuickReply', quickReply: { text: 'No', payload: 'keep' } },
      ],
    });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    const buttons = sent(tenant)[0]!.body.interactive.action.buttons.map((b: { reply: { id: string } }) => b.reply.id);
    expect(buttons.every((id: string) => id.length <= 256)).toBe(true);
    expect(
      await customerTaps(tenant, waId, buttonReplyFixture, {
        type: 'button_reply',
        button_reply: { id: buttons[0], title: 'Yes' },
      }),
    ).toMatchObject({
      buttonResponse: { type: 'QuickReply', text: 'Yes', payload: long },
      originatingMessageId: question.id,
    });
  });

  it('a list row whose title is cut to 24 characters and whose payload is over 200 comes back whole', async () => {
    const { tenant, waId } = await windowOpen();
    const options = Array.from({ length: 5 }, (_, i) => ({
      text: `Delivery option number ${i + 1} (express)`,
      payload: `${i}:${'p'.repeat(250)}`,
    }));
    await agentSays(tenant, waId, {
      type: 'Structured',
      text: 'How should we ship it?',
      content: options.map((quickReply) => ({ contentType: 'QuickReply', quickReply })),
    });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    const rows = sent(tenant)[0]!.body.interactive.action.sections[0].rows as Array<{
      id: string;
      title: string;
      description?: string;
    }>;
    expect(rows[2]).toMatchObject({
      title: 'Delivery option number …',
      description: 'Delivery option number 3 (express)',
    });
    expect(
      await customerTaps(tenant, waId, listReplyFixture, {
        type: 'list_reply',
        list_reply: { id: rows[2]!.id, title: rows[2]!.title, description: rows[2]!.description },
      }),
    ).toMatchObject({
      buttonResponse: { text: options[2]!.text, payload: options[2]!.payload },
    });
  });
});

describe('templates named namespace@name', () => {
  it('maps name, language, header media, body and quick-reply button parameters; WhatsApp accepts it', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer(); // no window: templates go anyway
    net.meta.templates.push({
      name: 'delivery_slot',
      language: 'pt_BR',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'Olá {{1}}, entrega em {{2}}' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Confirmar' },
            { type: 'QUICK_REPLY', text: 'Remarcar' },
          ],
        },
      ],
    });
    const notification = {
      contentType: 'Notification',
      template: {
        id: 'c8d2a5f1_6a0e_4f7c_9d4b_1e2f3a4b5c6d@delivery_slot',
        language: 'pt-BR',
        header: { type: 'Media', media: { mediaType: 'Image', url: `${GENESYS_FILES}/banner`, mime: 'image/png' } },
        body: {
          text: 'Olá {{1}}, entrega em {{2}}',
          parameters: [
            { name: '1', text: 'Ana' },
            { name: '2', text: 'sexta' },
          ],
        },
        buttons: [
          { type: 'QuickReply', text: 'Confirmar', index: 0, payload: 'slot-confirm' },
          { type: 'QuickReply', text: 'Remarcar', index: 1, payload: 'slot-change' },
        ],
      },
    };
    await agentSays(tenant, waId, { content: [notification] });
    await vi.waitFor(() => expect(sent(tenant)).toHaveLength(1), WAIT);
    expect(sent(tenant)[0]!.body.template).toEqual({
      name: 'delivery_slot',
      language: { code: 'pt_BR' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: `${GENESYS_FILES}/banner` } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: 'sexta' },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'slot-confirm' }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '1',
          parameters: [{ type: 'payload', payload: 'slot-change' }],
        },
      ],
    });
  });

  it('132001 (unknown or unapproved) and 132000 (parameter count) reach the agent as a Failed receipt naming the template', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const missing = await agentSays(tenant, waId, {
      content: [{ contentType: 'Notification', template: { id: 'ns@no_such_template', language: 'en_US' } }],
    });
    const short = await agentSays(tenant, waId, {
      content: [
        {
          contentType: 'Notification',
          template: { id: 'ns@order_update', language: 'en_US', body: { parameters: [{ name: '1', text: 'Ana' }] } },
        },
      ],
    });
    await vi.waitFor(() => expect(receiptOf(tenant, short.id)).toBeDefined(), WAIT);
    expect(receiptOf(tenant, missing.id)).toMatchObject({
      status: 'Failed',
      reasons: [
        {
          code: 'InvalidMessageStructure',
          message: expect.stringMatching(
            /^Not sent: template "no_such_template" \(en_US\) does not exist in that language or is not approved by Meta/,
          ),
        },
      ],
    });
    expect(receiptOf(tenant, short.id)).toMatchObject({
      status: 'Failed',
      reasons: [
        {
          code: 'InvalidMessageStructure',
          message: expect.stringContaining('template "order_update" (en_US) needs a different number of parameters'),
        },
      ],
    });
    expect((await listFailures(env, tenant.id)).map((f) => f.externalId).sort()).toEqual([missing.id, short.id].sort());
  });
});
