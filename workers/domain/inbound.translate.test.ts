/**
 * Every WhatsApp webhook Meta documents (../shared/protocols/meta/webhooks, copied to
 * test/fixtures/meta) and the Genesys Open Messaging request it must become.
 */
import { describe, expect, it } from 'vitest';
import { mediaOf } from './inbound.media';
import { translateInbound, type ReferencedMessage, type TranslateResult } from './inbound.translate';
import type { WaMessage } from '../schemas/whatsapp.schema';
import text from '../../test/fixtures/meta/text.json';
import image from '../../test/fixtures/meta/image.json';
import document from '../../test/fixtures/meta/document.json';
import sticker from '../../test/fixtures/meta/sticker_animated.json';
import audio from '../../test/fixtures/meta/audio_voice__RECONSTRUCTED.json';
import voice from '../../test/fixtures/meta/nonofficial/pywa_voice.json';
import audioForwarded from '../../test/fixtures/meta/nonofficial/pywa_audio_forwarded_not_voice.json';
import video from '../../test/fixtures/meta/nonofficial/pywa_video_forwarded.json';
import location from '../../test/fixtures/meta/location.json';
import contacts from '../../test/fixtures/meta/contacts.json';
import buttonReply from '../../test/fixtures/meta/interactive_button_reply.json';
import listReply from '../../test/fixtures/meta/interactive_list_reply.json';
import templateButton from '../../test/fixtures/meta/button_template_quick_reply.json';
import reaction from '../../test/fixtures/meta/reaction.json';
import referredProduct from '../../test/fixtures/meta/text_with_context_referred_product.json';
import referral from '../../test/fixtures/meta/text_with_referral_ctwa_ad.json';
import order from '../../test/fixtures/meta/order.json';
import unsupported from '../../test/fixtures/meta/unsupported_131051.json';
import system from '../../test/fixtures/meta/system_user_changed_number.json';

type Fixture = {
  entry: Array<{
    changes: Array<{ value: { messages?: unknown[]; contacts?: Array<{ profile?: { name?: string } }> } }>;
  }>;
};

function firstMessage(fixture: Fixture): { message: WaMessage; contactName?: string } {
  const value = fixture.entry[0]!.changes[0]!.value;
  return { message: value.messages![0] as WaMessage, contactName: value.contacts?.[0]?.profile?.name };
}

const MEDIA_URL = 'https://bridge.test/media/signed-token';

function translate(fixture: Fixture, referenced?: ReferencedMessage): TranslateResult {
  const { message, contactName } = firstMessage(fixture);
  return translateInbound({
    message,
    waId: message.from,
    contactName,
    mediaUrl: mediaOf(message) ? MEDIA_URL : undefined,
    referenced,
  });
}

const sheena = { id: '+16505551234', idType: 'Phone', nickname: 'Sheena Nelson' };
const pywa = { id: '+972987654321', idType: 'Phone', nickname: 'Test Name' };

function body(result: TranslateResult) {
  if (!result.ok) throw new Error(`expected a request, got ${result.code}`);
  return result.request;
}

describe('text', () => {
  it('becomes a Genesys text message from the customer, timed by Meta', () => {
    expect(translate(text)).toEqual({
      ok: true,
      request: {
        endpoint: 'message',
        body: {
          channel: {
            messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
            from: sheena,
            time: '2025-06-08T20:59:43.000Z',
          },
          text: 'Does it come in another color?',
        },
      },
    });
  });

  it('a reply quotes the message it answers when the conversation knows it', () => {
    const { message } = firstMessage(text);
    const result = translateInbound({
      message: { ...message, context: { from: '15550783881', id: 'wamid.agent' } },
      waId: '16505551234',
      referenced: { snippet: 'Your order shipped' },
    });
    expect(body(result).body).toMatchObject({
      text: '[Reply to "Your order shipped"]\nDoes it come in another color?',
    });
    const unknown = translateInbound({
      message: { ...message, context: { from: '15550783881', id: 'wamid.older' } },
      waId: '16505551234',
    });
    expect(body(unknown).body).toMatchObject({ text: '[Reply to an earlier message]\nDoes it come in another color?' });
  });

  it('a product inquiry names the product', () => {
    expect(body(translate(referredProduct)).body).toMatchObject({
      text: '[Asking about product di9ozbzfi4 from catalog 194836987003835]\nIs this still available?',
    });
  });

  it('a click-to-WhatsApp ad shows which ad brought the customer', () => {
    expect(body(translate(referral)).body).toMatchObject({
      text: 'Hello! Can I get more info on this?\n[Came from ad: Chat with us – Summer Succulents are here! (https://fb.me/3cr4Wqqkv)]',
    });
  });
});

describe('media arrive as attachments behind our signed URL', () => {
  it('image, with its caption as text', () => {
    expect(body(translate(image))).toEqual({
      endpoint: 'message',
      body: {
        channel: {
          messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          from: sheena,
          time: '2025-04-11T04:08:16.000Z',
        },
        text: 'Taj Mahal',
        content: [
          {
            contentType: 'Attachment',
            attachment: {
              mediaType: 'Image',
              url: MEDIA_URL,
              mime: 'image/jpeg',
              filename: 'image-1003383421387256.jpg',
              sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
            },
          },
        ],
      },
    });
  });

  it('document keeps its filename', () => {
    expect(body(translate(document)).body).toMatchObject({
      text: 'my receipt',
      content: [
        {
          contentType: 'Attachment',
          attachment: { mediaType: 'File', mime: 'application/pdf', filename: 'receipt.pdf', url: MEDIA_URL },
        },
      ],
    });
  });

  it('sticker is an image (webp)', () => {
    expect(body(translate(sticker)).body).toMatchObject({
      content: [{ attachment: { mediaType: 'Image', mime: 'image/webp', filename: 'sticker-1908647269898587.webp' } }],
    });
    expect(body(translate(sticker)).body).not.toHaveProperty('text');
  });

  it('voice notes and audio files are audio, with a bare MIME type', () => {
    expect(body(translate(audio)).body).toMatchObject({
      content: [{ attachment: { mediaType: 'Audio', mime: 'audio/ogg', filename: 'voice-1908647269898587.ogg' } }],
    });
    expect(body(translate(voice)).body).toMatchObject({
      channel: { from: pywa },
      content: [{ attachment: { mediaType: 'Audio', mime: 'audio/ogg' } }],
    });
    expect(body(translate(audioForwarded)).body).toMatchObject({
      text: '[Forwarded]',
      content: [{ attachment: { mediaType: 'Audio', filename: 'audio-1234567890987654321.ogg' } }],
    });
  });

  it('video, forwarded, with caption', () => {
    expect(body(translate(video)).body).toMatchObject({
      text: '[Forwarded]\ncaption',
      content: [{ attachment: { mediaType: 'Video', mime: 'video/mp4', filename: 'video-765756756.mp4' } }],
    });
  });

  it('a media message without a signed URL is refused, not sent half-empty', () => {
    const { message } = firstMessage(image);
    expect(translateInbound({ message, waId: message.from })).toEqual({
      ok: false,
      code: 'media_url_missing',
      detail: expect.any(String),
    });
  });
});

describe('content Genesys has no form for becomes readable text', () => {
  it('location, with a map link', () => {
    expect(body(translate(location)).body).toMatchObject({
      text: '📍 Shared location: Philz Coffee\n101 Forest Ave, Palo Alto, CA 94301\nhttps://maps.google.com/?q=37.44221496582,-122.16165924072\nhttps://philzcoffee.com/',
    });
  });

  it('shared contacts', () => {
    expect(body(translate(contacts)).body).toMatchObject({
      text: '👤 Shared contact:\nLucía Gómez (Google), +1 (983) 555-2319',
    });
  });

  it('an order, with its lines and total', () => {
    expect(body(translate(order)).body).toMatchObject({
      text: '🛒 Order from catalog 194836987003835:\n2 × di9ozbzfi4 @ 30 USD\n1 × nqryix03ez @ 25 USD\nTotal: 85 USD',
    });
  });

  it('a reaction, quoting the message when known', () => {
    expect(body(translate(reaction, { snippet: 'We open at 9' })).body).toMatchObject({
      text: 'Reacted 👍 to "We open at 9"',
    });
    const { message } = firstMessage(reaction);
    const removed = translateInbound({
      message: { ...message, reaction: { message_id: 'wamid.x', emoji: '' } },
      waId: message.from,
    });
    expect(body(removed).body).toMatchObject({ text: 'Removed a reaction from an earlier message' });
  });

  it('a system notice (the customer changed number)', () => {
    const result = translate(system);
    expect(body(result).body).toMatchObject({
      channel: { from: { id: '+16505551234', idType: 'Phone' } },
      text: '[WhatsApp notice] User Sheena Nelson changed from 16505551234 to 12195555358',
    });
  });

  it('an unsupported message reaches the agent in plain words and is flagged for the record with its code', () => {
    const result = translate(unsupported);
    expect(result).toMatchObject({
      ok: true,
      notice: { code: 'unsupported_message', detail: 'Message type unknown (131051)' },
      request: {
        endpoint: 'message',
        body: {
          text: '[The customer sent a kind of message, which WhatsApp does not pass on to businesses. Ask them to send it as text or a photo if you need it.]',
        },
      },
    });
  });

  it('says what the customer did when Meta names it (v24 `unsupported.type`): an edit, a poll', () => {
    const { message } = firstMessage(unsupported);
    const edited = translateInbound({ message: { ...message, unsupported: { type: 'edit' } }, waId: message.from });
    expect(edited).toMatchObject({
      notice: { detail: 'Message type unknown (131051): edit' },
      request: { body: { text: expect.stringMatching(/^\[The customer edited a message, which WhatsApp/) } },
    });
    const poll = translateInbound({
      message: { ...message, unsupported: { type: 'poll_creation' } },
      waId: message.from,
    });
    expect(poll).toMatchObject({ request: { body: { text: expect.stringContaining('The customer sent a poll') } } });
  });

  it('a customer opening the chat (request_welcome) is a readable note, not an error', () => {
    const { message } = firstMessage(text);
    const result = translateInbound({
      message: {
        from: message.from,
        id: message.id,
        timestamp: message.timestamp,
        type: 'request_welcome',
      } as WaMessage,
      waId: message.from,
    });
    expect(result).toEqual({
      ok: true,
      request: expect.objectContaining({
        body: expect.objectContaining({ text: '[The customer opened a WhatsApp chat with you]' }),
      }),
    });
  });

  it('a WhatsApp Flows answer (nfm_reply) shows the form fields, not raw JSON or the flow token', () => {
    const { message } = firstMessage(buttonReply);
    const response_json = JSON.stringify({
      flow_token: 'secret-token',
      screen_0_Full_name_0: 'Ana Lima',
      screen_0_Topics_1: ['billing', 'returns'],
      address: { city: 'Lisbon' },
    });
    const result = translateInbound({
      message: {
        ...message,
        context: undefined,
        interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json } },
      },
      waId: message.from,
    });
    expect(result).toMatchObject({
      ok: true,
      request: {
        endpoint: 'message',
        body: { text: '📝 Form reply\nFull name: Ana Lima\nTopics: billing, returns\naddress.city: Lisbon' },
      },
    });
    expect(JSON.stringify(result)).not.toContain('secret-token');
  });

  it('a type invented after this code is delivered as a note and flagged', () => {
    const { message } = firstMessage(text);
    const result = translateInbound({ message: { ...message, type: 'hologram', hologram: {} }, waId: message.from });
    expect(result).toMatchObject({
      ok: true,
      notice: { code: 'unknown_message_type' },
      request: { body: { text: expect.stringContaining('hologram') } },
    });
  });
});

describe('buttons', () => {
  it("a tap on an agent's reply button answers that agent message as a structured response", () => {
    expect(body(translate(buttonReply, { genesysId: 'gc-agent-msg-1' }))).toEqual({
      endpoint: 'structured',
      body: {
        channel: {
          messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=',
          from: sheena,
          time: '2025-06-15T22:05:36.000Z',
        },
        buttonResponse: { type: 'QuickReply', text: 'Cancel', payload: 'cancel-button' },
        originatingMessageId: 'gc-agent-msg-1',
      },
    });
  });

  it('without a known agent message, the tap arrives as its title', () => {
    expect(body(translate(buttonReply))).toMatchObject({ endpoint: 'message', body: { text: 'Cancel' } });
  });

  it('a list choice carries its description', () => {
    expect(body(translate(listReply)).body).toMatchObject({ text: 'Priority Mail Express\nNext Day to 2 Days' });
    expect(body(translate(listReply, { genesysId: 'gc-2' }))).toMatchObject({
      endpoint: 'structured',
      body: {
        buttonResponse: { type: 'QuickReply', text: 'Priority Mail Express', payload: 'priority_express' },
        originatingMessageId: 'gc-2',
      },
    });
  });

  it('a template quick-reply button', () => {
    expect(body(translate(templateButton))).toMatchObject({ endpoint: 'message', body: { text: 'Unsubscribe' } });
    expect(body(translate(templateButton, { genesysId: 'gc-3' }))).toMatchObject({
      endpoint: 'structured',
      body: { buttonResponse: { type: 'Button', text: 'Unsubscribe', payload: 'Unsubscribe' } },
    });
  });
});

describe('messages that cannot be transformed are reported, not guessed', () => {
  it.each([
    ['text', { body: 42 }, 'invalid_text'],
    ['image', { caption: 'no id' }, 'invalid_media'],
    ['location', { name: 'nowhere' }, 'invalid_location'],
    ['order', { catalog_id: '1' }, 'invalid_order'],
  ])('%s without its required fields', (type, content, code) => {
    const { message } = firstMessage(text);
    const result = translateInbound({
      message: { ...message, type, [type]: content },
      waId: message.from,
      mediaUrl: MEDIA_URL,
    });
    expect(result).toMatchObject({ ok: false, code });
  });
});
