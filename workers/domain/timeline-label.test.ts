/**
 * Timeline entries read the way a person would describe them: Meta's own webhook examples for the
 * customer's side, Genesys outbound notifications for the agent's (typing and receipts are not messages).
 */
import { describe, expect, it } from 'vitest';
import { inboundLabel, outboundLabel } from './timeline-label';
import type { GcOutboundMessage } from '../schemas/genesys.schema';
import type { WaMessage } from '../schemas/whatsapp.schema';
import text from '../../test/fixtures/meta/text.json';
import image from '../../test/fixtures/meta/image.json';
import documentMessage from '../../test/fixtures/meta/document.json';
import voice from '../../test/fixtures/meta/audio_voice__RECONSTRUCTED.json';
import buttonReply from '../../test/fixtures/meta/interactive_button_reply.json';
import listReply from '../../test/fixtures/meta/interactive_list_reply.json';
import templateTap from '../../test/fixtures/meta/button_template_quick_reply.json';
import location from '../../test/fixtures/meta/location.json';
import contacts from '../../test/fixtures/meta/contacts.json';
import reaction from '../../test/fixtures/meta/reaction.json';
import unsupported from '../../test/fixtures/meta/unsupported_131051.json';

const first = (webhook: unknown) =>
  (webhook as { entry: Array<{ changes: Array<{ value: { messages: WaMessage[] } }> }> }).entry[0]!.changes[0]!.value
    .messages[0]!;

const agent = (fields: Partial<GcOutboundMessage>): GcOutboundMessage => ({
  id: 'gc-1',
  channel: { to: { id: '+15551234567' } },
  type: 'Text',
  direction: 'Outbound',
  ...fields,
});

describe('customer messages', () => {
  it.each([
    [text, 'text', 'Does it come in another color?'],
    [image, 'image', '📷 Photo: Taj Mahal'],
    [documentMessage, 'document', '📄 Document: my receipt'],
    [voice, 'audio', '🎤 Voice message'],
    [buttonReply, 'button_reply', 'Tapped: Cancel'],
    [listReply, 'list_reply', 'Chose: Priority Mail Express (Next Day to 2 Days)'],
    [templateTap, 'button_reply', 'Tapped: Unsubscribe'],
    [reaction, 'reaction', 'Reacted 👍'],
    [
      location,
      'location',
      '📍 Shared location: Philz Coffee · 101 Forest Ave, Palo Alto, CA 94301 · https://maps.google.com/?q=37.44221496582,-122.16165924072 · https://philzcoffee.com/',
    ],
    [contacts, 'contacts', '👤 Shared contact: Lucía Gómez (Google), +1 (983) 555-2319'],
  ])('%#: %s reads as its type and a sentence', (webhook, type, label) => {
    expect(inboundLabel(first(webhook))).toEqual({ kind: 'message', type, label });
  });

  it('never shows a bare [interactive] or an empty body', () => {
    for (const webhook of [buttonReply, listReply, templateTap, reaction, unsupported]) {
      const { label } = inboundLabel(first(webhook));
      expect(label).not.toMatch(/^\[?(interactive|button|event)\]?$/);
      expect(label.length).toBeGreaterThan(3);
    }
    expect(inboundLabel({ ...first(reaction), reaction: { message_id: 'wamid.x', emoji: '' } }).label).toBe(
      'Removed a reaction',
    );
  });
});

describe('agent messages and signals', () => {
  it("the agent's typing and read receipts are not messages", () => {
    expect(
      outboundLabel(
        agent({ type: 'Event', events: [{ eventType: 'Typing', typing: { type: 'On', duration: 5000 } }] }),
      ),
    ).toEqual({ kind: 'typing', type: 'typing', label: 'Typing…' });
    expect(outboundLabel(agent({ type: 'Receipt', status: 'Read' }))).toEqual({
      kind: 'receipt',
      type: 'receipt',
      label: 'Read by the agent',
    });
    expect(outboundLabel(agent({ type: 'Event', events: [{ eventType: 'Presence' }] }))).toMatchObject({
      kind: 'event',
      label: 'Event: Presence',
    });
  });

  it('an image is typed image, with its caption (not "text")', () => {
    expect(
      outboundLabel(
        agent({
          text: 'Your shipping label',
          content: [
            {
              contentType: 'Attachment',
              attachment: { mediaType: 'Image', url: 'https://x.test/a.png', mime: 'image/png', filename: 'label.png' },
            },
          ],
        }),
      ),
    ).toEqual({ kind: 'message', type: 'image', label: '📷 Photo: Your shipping label' });
    expect(
      outboundLabel(
        agent({ content: [{ contentType: 'Attachment', attachment: { mediaType: 'File', filename: 'terms.pdf' } }] }),
      ),
    ).toEqual({ kind: 'message', type: 'document', label: '📄 Document: terms.pdf' });
  });

  it('buttons show their text and options', () => {
    expect(
      outboundLabel(
        agent({
          type: 'Structured',
          text: 'What would you like to do?',
          content: ['Track order', 'Cancel'].map((t) => ({ contentType: 'QuickReply', quickReply: { text: t } })),
        }),
      ),
    ).toEqual({ kind: 'message', type: 'buttons', label: 'What would you like to do? [Track order | Cancel]' });
  });

  it('a template reads as the customer saw it: its body with the parameters filled in', () => {
    const template = (body: Record<string, unknown>) =>
      agent({
        content: [{ contentType: 'Notification', template: { id: 'ns@order_update', language: 'en_US', body } }],
      });
    const parameters = [
      { id: '1', text: 'Ada' },
      { id: '2', text: 'A-1042' },
    ];
    expect(outboundLabel(template({ text: 'Hi {{1}}, your order {{2}} is on its way', parameters }))).toEqual({
      kind: 'message',
      type: 'template',
      label: 'Hi Ada, your order A-1042 is on its way',
    });
    // Named parameters, and a body Genesys did not send: the name and the values.
    expect(outboundLabel(template({ text: 'Hello {{name}}', parameters: [{ name: 'name', text: 'Ada' }] })).label).toBe(
      'Hello Ada',
    );
    expect(outboundLabel(template({ parameters })).label).toBe('Template order_update: Ada, A-1042');
  });

  it('plain text is itself', () => {
    expect(outboundLabel(agent({ text: 'It comes in blue too' }))).toEqual({
      kind: 'message',
      type: 'text',
      label: 'It comes in blue too',
    });
  });
});
