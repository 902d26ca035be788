/**
 * How a person would describe a timeline entry: what kind of thing it is (a message, the agent's
 * typing, a read receipt, another event), its type (text, image, buttons, template, button_reply…)
 * and one readable line — a tap as "Tapped: Yes", a template with its parameters filled in, media
 * with its caption. Pure; the conversation's read model (durable-objects/conversation.timeline.ts)
 * labels every entry with it, so the admin timeline and the agent widget read the same words.
 *
 * Only `message` entries are messages: they are what the conversation index counts (in/out,
 * activity-fold.ts) when they go through. Typing and receipts are signals, never counted.
 */
import { z } from 'zod';
import type { GcContent, GcOutboundMessage } from '../schemas/genesys.schema';
import type { WaMessage } from '../schemas/whatsapp.schema';
import { contactsBody, formReply, locationBody, orderBody, unsupportedBody } from './inbound.readable';

export type EntryKind = 'message' | 'typing' | 'receipt' | 'event';

export interface EntryLabel {
  kind: EntryKind;
  /** text, image, video, audio, document, sticker, location, contacts, button_reply, list_reply, form_reply,
   * reaction, order, template, buttons, typing, receipt, event… */
  type: string;
  label: string;
}

const MEDIA_WORDS: Record<string, string> = {
  image: '📷 Photo',
  video: '🎥 Video',
  audio: '🎤 Audio',
  document: '📄 Document',
  sticker: 'Sticker',
};

const Media = z.looseObject({
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
});
const Interactive = z.looseObject({
  type: z.string(),
  button_reply: z.looseObject({ title: z.string() }).optional(),
  list_reply: z.looseObject({ title: z.string(), description: z.string().optional() }).optional(),
  nfm_reply: z
    .looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string().optional() })
    .optional(),
  call_permission_reply: z.looseObject({ response: z.string().optional() }).optional(),
});

/** One line: the readable bodies are several lines for Genesys; a timeline row reads them joined. */
const oneLine = (text: string | undefined): string =>
  (text ?? '')
    .replace(/:\s*\n+\s*/g, ': ')
    .replace(/\s*\n+\s*/g, ' · ')
    .trim();

function mediaLabel(type: string, content: unknown, fallbackCaption?: string): string {
  const m = Media.safeParse(content);
  const word = type === 'audio' && m.success && m.data.voice ? '🎤 Voice message' : (MEDIA_WORDS[type] ?? type);
  const caption = (m.success ? m.data.caption : undefined) ?? fallbackCaption;
  const filename = m.success ? m.data.filename : undefined;
  return [word, caption?.trim() || (type === 'document' ? filename : undefined)].filter(Boolean).join(': ');
}

/** A customer's WhatsApp message (the webhook's `messages[]` item). Every one is a message. */
export function inboundLabel(message: WaMessage): EntryLabel {
  const content = message[message.type];
  const msg = (type: string, label: string): EntryLabel => ({ kind: 'message', type, label });
  switch (message.type) {
    case 'text': {
      const body = z.looseObject({ body: z.string() }).safeParse(content);
      return msg('text', body.success ? body.data.body : '');
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return msg(message.type, mediaLabel(message.type, content));
    case 'location': {
      const r = locationBody(content);
      return msg('location', 'text' in r && r.text ? oneLine(r.text) : '📍 Shared location');
    }
    case 'contacts': {
      const r = contactsBody(content);
      return msg('contacts', 'text' in r && r.text ? oneLine(r.text) : '👤 Shared contact');
    }
    case 'order': {
      const r = orderBody(content);
      return msg('order', 'text' in r && r.text ? oneLine(r.text) : '🛒 Order');
    }
    case 'interactive': {
      const parsed = Interactive.safeParse(content);
      const i = parsed.success ? parsed.data : undefined;
      if (i?.button_reply) return msg('button_reply', `Tapped: ${i.button_reply.title}`);
      if (i?.list_reply)
        return msg(
          'list_reply',
          `Chose: ${i.list_reply.title}${i.list_reply.description ? ` (${i.list_reply.description})` : ''}`,
        );
      if (i?.nfm_reply) return msg('form_reply', oneLine(formReply(i.nfm_reply)));
      if (i?.call_permission_reply)
        return msg(
          'call_permission_reply',
          i.call_permission_reply.response === 'accept'
            ? '📞 Accepted calls'
            : `📞 Answered "${i.call_permission_reply.response ?? 'no'}" to calls`,
        );
      return msg('interactive', `Interactive reply${i ? ` (${i.type})` : ''}`);
    }
    case 'button': {
      // A tap on a template's quick-reply button.
      const b = z.looseObject({ text: z.string() }).safeParse(content);
      return msg('button_reply', `Tapped: ${b.success ? b.data.text : 'a button'}`);
    }
    case 'reaction': {
      const r = z.looseObject({ emoji: z.string().optional() }).safeParse(content);
      const emoji = r.success ? r.data.emoji : undefined;
      return msg('reaction', emoji ? `Reacted ${emoji}` : 'Removed a reaction');
    }
    case 'system': {
      const s = z.looseObject({ body: z.string().optional() }).safeParse(content);
      return msg('system', `WhatsApp notice: ${(s.success ? s.data.body : undefined) ?? 'system message'}`);
    }
    case 'request_welcome':
      return msg('request_welcome', 'Opened the chat');
    case 'unsupported': {
      const r = unsupportedBody(message);
      return msg('unsupported', 'text' in r && r.text ? r.text.replace(/^\[|\]$/g, '') : 'Unsupported message');
    }
    default:
      return msg(message.type, `A WhatsApp message of type "${message.type}"`);
  }
}

/** Fills `{{1}}`/`{{name}}` with the parameters, by position or by name. */
function fill(text: string, parameters: Array<{ name?: string; id?: string; text: string }>): string {
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (whole, key: string) => {
    const named = parameters.find((p) => p.name === key || p.id === key);
    const positional = /^\d+$/.test(key) ? parameters[Number(key) - 1] : undefined;
    return (named ?? positional)?.text ?? whole;
  });
}

/**
 * A template as the customer read it: its body with the parameters filled in when the body text
 * is known (the widget stores the approved body; Genesys's ConversationNotificationTemplateBody has
 * `text`, "For WhatsApp, ignored" when sending), otherwise its name and the values sent.
 */
function templateLabel(t: NonNullable<GcContent['template']>): string {
  const ref = t.name ?? t.id ?? 'template';
  const name = ref.includes('@') ? ref.slice(ref.indexOf('@') + 1) : ref;
  const header = t.header?.text ? fill(t.header.text, t.header.parameters ?? []) : undefined;
  const body = t.body?.text ? fill(t.body.text, t.body.parameters ?? []) : undefined;
  if (body) return oneLine([header, body].filter(Boolean).join('\n'));
  const values = [...(t.header?.parameters ?? []), ...(t.body?.parameters ?? [])].map((p) => p.text);
  return `Template ${name}${values.length ? `: ${values.join(', ')}` : ''}`;
}

const ATTACHMENT_TYPES: Record<string, string> = { image: 'image', video: 'video', audio: 'audio', file: 'document' };

/** An agent's Genesys message (as the outbound webhook posted it). */
export function outboundLabel(message: GcOutboundMessage): EntryLabel {
  const type = message.type.toLowerCase();
  if (type === 'event') {
    const events = message.events ?? [];
    if (events.some((e) => e.eventType.toLowerCase() === 'typing'))
      return { kind: 'typing', type: 'typing', label: 'Typing…' };
    return {
      kind: 'event',
      type: 'event',
      label: `Event: ${events.map((e) => e.eventType).join(', ') || 'unknown'}`,
    };
  }
  if (type === 'receipt') {
    const status = message.status ?? 'unknown';
    return {
      kind: 'receipt',
      type: 'receipt',
      label: status.toLowerCase() === 'read' ? 'Read by the agent' : `Receipt: ${status}`,
    };
  }
  const content = message.content ?? [];
  const text = message.text?.trim() || undefined;
  const template = content.find((c) => c.template)?.template;
  if (template) return { kind: 'message', type: 'template', label: templateLabel(template) };
  const replies = content.filter((c) => c.quickReply).map((c) => c.quickReply!.text);
  if (replies.length > 0)
    return {
      kind: 'message',
      type: 'buttons',
      label: `${text ?? 'Please choose an option:'} [${replies.join(' | ')}]`,
    };
  const attachments = content.filter((c) => c.attachment).map((c) => c.attachment!);
  const first = attachments[0];
  if (first) {
    const kind = ATTACHMENT_TYPES[first.mediaType.toLowerCase()] ?? 'document';
    const more = attachments.length > 1 ? ` (+${attachments.length - 1} more)` : '';
    return {
      kind: 'message',
      type: kind,
      label: mediaLabel(kind, { filename: first.filename }, text) + more,
    };
  }
  return { kind: 'message', type: 'text', label: text ?? '' };
}
