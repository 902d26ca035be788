/**
 * WhatsApp message → Genesys Open Messaging request. Pure: no I/O, no clock, no secrets.
 *
 * Every WhatsApp type maps to the closest form Genesys Open Messaging accepts: text, attachments,
 * or a structured button response. What Genesys has no form for (location, contacts, orders,
 * reactions, system notices) becomes readable text so the agent still sees it. Types we do not
 * know yet are delivered as a visible note *and* flagged so the caller records them.
 */
import { z } from 'zod';
import type { WaMessage } from '../schemas/whatsapp.schema';
import type { GenesysAttachment, GenesysFrom, GenesysInboundRequest, MediaType } from '../schemas/genesys.schema';
import { restoreTap, type QuickReply } from './quick-replies';

/** Types whose content is a media object Meta hands us by id. */
export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type WaMediaKind = (typeof MEDIA_TYPES)[number];

const MediaObject = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().min(1),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

/** The media object of a message, when it has one. Pure, so the caller can sign a URL before translating. */
export function mediaOf(message: WaMessage): { kind: WaMediaKind; id: string; mime: string } | undefined {
  if (!(MEDIA_TYPES as readonly string[]).includes(message.type)) return undefined;
  const parsed = MediaObject.safeParse(message[message.type]);
  return parsed.success
    ? { kind: message.type as WaMediaKind, id: parsed.data.id, mime: parsed.data.mime_type }
    : undefined;
}

/** What the conversation already knows about the message a customer replied or reacted to. */
export interface ReferencedMessage {
  /** Genesys id of that message when it was an agent's message we delivered. */
  genesysId?: string;
  /** First characters of its text, to quote. */
  snippet?: string;
  /** The agent's quick replies on that message, to turn a tapped id back into the full payload. */
  quickReplies?: QuickReply[];
}

export interface TranslateInput {
  message: WaMessage;
  waId: string;
  contactName?: string;
  /** Our signed URL for the message's media (see {@link mediaOf}); required for media types. */
  mediaUrl?: string;
  /** Looked up by the caller from `context.id` / `reaction.message_id`. */
  referenced?: ReferencedMessage;
}

export type TranslateResult =
  | { ok: true; request: GenesysInboundRequest; notice?: { code: string; detail: string } }
  | { ok: false; code: string; detail: string };

const Context = z.looseObject({
  id: z.string().optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
  referred_product: z.looseObject({ catalog_id: z.string(), product_retailer_id: z.string() }).optional(),
});
const Referral = z.looseObject({
  source_url: z.string().optional(),
  source_type: z.string().optional(),
  source_id: z.string().optional(),
  headline: z.string().optional(),
  body: z.string().optional(),
});
const Location = z.looseObject({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});
const SharedContact = z.looseObject({
  name: z
    .looseObject({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
    })
    .optional(),
  org: z.looseObject({ company: z.string().optional(), title: z.string().optional() }).optional(),
  phones: z.array(z.looseObject({ phone: z.string().optional(), type: z.string().optional() })).optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
});
const Interactive = z.looseObject({
  type: z.string(),
  button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
  list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() }).optional(),
  nfm_reply: z
    .looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string().optional() })
    .optional(),
  call_permission_reply: z.looseObject({ response: z.string().optional() }).optional(),
});
/** v24+: what the customer did that WhatsApp does not pass on (`unsupported.type`). */
const UnsupportedKind = z.looseObject({ type: z.string() });
const UNSUPPORTED_WHAT: Record<string, string> = {
  edit: 'edited a message',
  revoke: 'deleted a message',
  poll_creation: 'sent a poll',
  poll_update: 'voted in a poll',
  pin: 'pinned a message',
  view_once: 'sent a view-once photo or video',
};
const TemplateButton = z.looseObject({ text: z.string(), payload: z.string().optional() });
const Reaction = z.looseObject({ message_id: z.string(), emoji: z.string().optional() });
const Order = z.looseObject({
  catalog_id: z.string().optional(),
  text: z.string().optional(),
  product_items: z.array(
    z.looseObject({
      product_retailer_id: z.string(),
      quantity: z.number(),
      item_price: z.number().optional(),
      currency: z.string().optional(),
    }),
  ),
});
const SystemNotice = z.looseObject({ body: z.string().optional(), type: z.string().optional() });
const Errors = z.array(
  z.looseObject({ code: z.number(), title: z.string().optional(), message: z.string().optional() }),
);

const MEDIA_GENESYS_TYPE: Record<WaMediaKind, MediaType> = {
  image: 'Image',
  sticker: 'Image',
  video: 'Video',
  audio: 'Audio',
  document: 'File',
};

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'application/pdf': 'pdf',
};

/** `audio/ogg; codecs=opus` → `audio/ogg`: Genesys wants a bare MIME type. */
function bareMime(mime: string): string {
  return mime.split(';')[0]!.trim().toLowerCase();
}

export function genesysFrom(waId: string, contactName?: string): GenesysFrom {
  // E.164 with "+", so Genesys can match the customer to an external contact by phone.
  return { id: `+${waId}`, idType: 'Phone', ...(contactName ? { nickname: contactName } : {}) };
}

export function isoTime(unixSeconds: string): string {
  return new Date(Number(unixSeconds) * 1000).toISOString();
}

function quote(snippet: string | undefined): string {
  return snippet ? `"${snippet}"` : 'an earlier message';
}

/** Lines that put a message in context: what it replies to, whether it was forwarded, which ad or product led to it. */
function contextLines(
  message: WaMessage,
  referenced: ReferencedMessage | undefined,
): { before: string[]; after: string[] } {
  const before: string[] = [];
  const after: string[] = [];
  const context = Context.safeParse(message.context);
  if (context.success) {
    const c = context.data;
    if (c.frequently_forwarded) before.push('[Forwarded many times]');
    else if (c.forwarded) before.push('[Forwarded]');
    if (c.referred_product) {
      before.push(
        `[Asking about product ${c.referred_product.product_retailer_id} from catalog ${c.referred_product.catalog_id}]`,
      );
    } else if (c.id && message.type !== 'button' && message.type !== 'interactive') {
      before.push(`[Reply to ${quote(referenced?.snippet)}]`);
    }
  }
  const referral = Referral.safeParse(message.referral);
  if (referral.success && message.referral !== undefined) {
    const r = referral.data;
    const what = [r.headline, r.body].filter(Boolean).join(' – ');
    const source = r.source_type === 'ad' ? 'ad' : (r.source_type ?? 'link');
    after.push(`[Came from ${source}${what ? `: ${what}` : ''}${r.source_url ? ` (${r.source_url})` : ''}]`);
  }
  return { before, after };
}

function joinText(parts: Array<string | undefined>): string | undefined {
  const text = parts.filter((p): p is string => !!p && p.length > 0).join('\n');
  return text.length > 0 ? text : undefined;
}

function describeContact(raw: z.infer<typeof SharedContact>): string {
  const name = raw.name?.formatted_name ?? [raw.name?.first_name, raw.name?.last_name].filter(Boolean).join(' ');
  const org = raw.org?.company ? ` (${raw.org.company})` : '';
  const phones = (raw.phones ?? []).map((p) => p.phone).filter(Boolean);
  const emails = (raw.emails ?? []).map((e) => e.email).filter(Boolean);
  return [`${name || 'Unnamed contact'}${org}`, ...phones, ...emails].join(', ');
}

function formatPrice(amount: number, currency: string | undefined): string {
  return `${Number.isInteger(amount) ? amount : amount.toFixed(2)}${currency ? ` ${currency}` : ''}`;
}

type Body = {
  text?: string;
  attachment?: GenesysAttachment;
  structured?: { type: 'Button' | 'QuickReply'; text: string; payload: string };
  notice?: { code: string; detail: string };
};
type Failure = { code: string; detail: string };

function bodyFor(input: TranslateInput): Body | Failure {
  const { message, referenced } = input;
  const content = message[message.type];
  switch (message.type) {
    case 'text': {
      const text = z.looseObject({ body: z.string() }).safeParse(content);
      return text.success
        ? { text: text.data.body }
        : { code: 'invalid_text', detail: 'text message without text.body' };
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const media = MediaObject.safeParse(content);
      if (!media.success)
        return { code: 'invalid_media', detail: `${message.type} message without media id or mime_type` };
      if (!input.mediaUrl) return { code: 'media_url_missing', detail: 'no signed media URL was provided' };
      const mime = bareMime(media.data.mime_type);
      const extension = EXTENSIONS[mime] ?? mime.split('/')[1] ?? 'bin';
      const label = message.type === 'audio' && media.data.voice ? 'voice' : message.type;
      return {
        text: media.data.caption,
        attachment: {
          mediaType: MEDIA_GENESYS_TYPE[message.type],
          url: input.mediaUrl,
          mime,
          filename: media.data.filename ?? `${label}-${media.data.id}.${extension}`,
          ...(media.data.sha256 ? { sha256: media.data.sha256 } : {}),
        },
      };
    }
    case 'location': {
      const loc = Location.safeParse(content);
      if (!loc.success) return { code: 'invalid_location', detail: 'location without latitude/longitude' };
      const l = loc.data;
      return {
        text: joinText([
          `📍 Shared location${l.name ? `: ${l.name}` : ''}`,
          l.address,
          `https://maps.google.com/?q=${l.latitude},${l.longitude}`,
          l.url,
        ]),
      };
    }
    case 'contacts': {
      const contacts = z.array(SharedContact).min(1).safeParse(content);
      if (!contacts.success) return { code: 'invalid_contacts', detail: 'contacts message without contacts' };
      return {
        text: joinText([
          `👤 Shared contact${contacts.data.length > 1 ? 's' : ''}:`,
          ...contacts.data.map(describeContact),
        ]),
      };
    }
    case 'interactive': {
      const parsed = Interactive.safeParse(content);
      if (!parsed.success) return { code: 'invalid_interactive', detail: 'interactive message without a type' };
      const i = parsed.data;
      if (i.button_reply)
        return { structured: { type: 'QuickReply', text: i.button_reply.title, payload: i.button_reply.id } };
      if (i.list_reply) {
        return {
          structured: { type: 'QuickReply', text: i.list_reply.title, payload: i.list_reply.id },
          text: joinText([i.list_reply.title, i.list_reply.description]),
        };
      }
      if (i.nfm_reply) return { text: formReply(i.nfm_reply) };
      if (i.call_permission_reply)
        return {
          text: `📞 Call permission: ${i.call_permission_reply.response === 'accept' ? 'the customer accepted calls' : `the customer answered "${i.call_permission_reply.response ?? 'no'}"`}`,
        };
      return {
        text: `[Interactive reply of type "${i.type}"]`,
        notice: { code: 'unknown_interactive_type', detail: `interactive type ${i.type} has no Genesys mapping` },
      };
    }
    case 'button': {
      const button = TemplateButton.safeParse(content);
      if (!button.success) return { code: 'invalid_button', detail: 'button message without text' };
      return {
        structured: { type: 'Button', text: button.data.text, payload: button.data.payload ?? button.data.text },
      };
    }
    case 'reaction': {
      const reaction = Reaction.safeParse(content);
      if (!reaction.success) return { code: 'invalid_reaction', detail: 'reaction without message_id' };
      const emoji = reaction.data.emoji;
      return {
        text: emoji
          ? `Reacted ${emoji} to ${quote(referenced?.snippet)}`
          : `Removed a reaction from ${quote(referenced?.snippet)}`,
      };
    }
    case 'order': {
      const order = Order.safeParse(content);
      if (!order.success) return { code: 'invalid_order', detail: 'order without product_items' };
      const items = order.data.product_items;
      const currency = items[0]?.currency;
      const total = items.reduce((sum, item) => sum + (item.item_price ?? 0) * item.quantity, 0);
      return {
        text: joinText([
          `🛒 Order${order.data.catalog_id ? ` from catalog ${order.data.catalog_id}` : ''}:`,
          ...items.map(
            (item) =>
              `${item.quantity} × ${item.product_retailer_id}${item.item_price !== undefined ? ` @ ${formatPrice(item.item_price, item.currency)}` : ''}`,
          ),
          items.every((item) => item.item_price !== undefined && item.currency === currency)
            ? `Total: ${formatPrice(total, currency)}`
            : undefined,
          order.data.text,
        ]),
      };
    }
    case 'system': {
      const system = SystemNotice.safeParse(content);
      const body = system.success ? system.data.body : undefined;
      return { text: `[WhatsApp notice] ${body ?? 'system message'}` };
    }
    case 'request_welcome':
      // The customer opened the chat for the first time and has not written yet.
      return { text: '[The customer opened a WhatsApp chat with you]' };
    case 'unsupported': {
      const errors = Errors.safeParse(message.errors);
      const first = errors.success ? errors.data[0] : undefined;
      const reason = first ? `${first.title ?? first.message ?? 'unknown'} (${first.code})` : 'unsupported';
      const kind = UnsupportedKind.safeParse(message.unsupported);
      const what = kind.success
        ? (UNSUPPORTED_WHAT[kind.data.type] ?? `sent a "${kind.data.type.replaceAll('_', ' ')}" message`)
        : 'sent a kind of message';
      return {
        text: `[The customer ${what}, which WhatsApp does not pass on to businesses. Ask them to send it as text or a photo if you need it.]`,
        notice: { code: 'unsupported_message', detail: kind.success ? `${reason}: ${kind.data.type}` : reason },
      };
    }
    default: {
      return {
        text: `[The customer sent a WhatsApp message of a new type ("${message.type}") that the bridge cannot show yet]`,
        notice: { code: 'unknown_message_type', detail: `type "${message.type}"` },
      };
    }
  }
}

/** A WhatsApp Flows answer: the form's fields as "name: value" lines, without Meta's flow token. */
function formReply(reply: { name?: string; body?: string; response_json?: string }): string {
  let lines: string[] = [];
  try {
    lines = flatten(JSON.parse(reply.response_json ?? '{}') as unknown, '')
      .filter(([key]) => key !== 'flow_token')
      .map(([key, value]) => `${humanize(key)}: ${value}`);
  } catch {
    lines = reply.response_json ? [reply.response_json] : [];
  }
  const body = reply.body && reply.body !== 'Sent' ? reply.body : undefined;
  return (
    joinText([`📝 Form reply${reply.name && reply.name !== 'flow' ? ` (${reply.name})` : ''}`, body, ...lines]) ??
    '📝 Form reply'
  );
}

function flatten(value: unknown, prefix: string): Array<[string, string]> {
  if (Array.isArray(value))
    return value.every((v) => typeof v !== 'object' || v === null)
      ? [[prefix, value.join(', ')]]
      : value.flatMap((v, i) => flatten(v, `${prefix}.${i + 1}`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  return [[prefix, String(value)]];
}

/** Flow field names are identifiers (`screen_0_Full_name_0`); agents read words. */
function humanize(key: string): string {
  return (
    key
      .replace(/^screen_\d+_/, '')
      .replace(/_\d+$/, '')
      .replaceAll('_', ' ')
      .trim() || key
  );
}

/** Translates one WhatsApp message into the Genesys request that delivers it. */
export function translateInbound(input: TranslateInput): TranslateResult {
  const body = bodyFor(input);
  if ('code' in body) return { ok: false, code: body.code, detail: body.detail };

  const channel = {
    messageId: input.message.id,
    from: genesysFrom(input.waId, input.contactName),
    time: isoTime(input.message.timestamp),
  };
  const notice = body.notice ? { notice: body.notice } : {};

  // A tap on one of the agent's buttons becomes a structured response when we know which agent
  // message it answers; otherwise Genesys has nothing to attach it to, so it arrives as text.
  if (body.structured && input.referenced?.genesysId) {
    const restored = input.referenced.quickReplies
      ? restoreTap(input.referenced.quickReplies, body.structured.payload)
      : undefined;
    const buttonResponse = restored ? { ...body.structured, ...restored } : body.structured;
    return {
      ok: true,
      request: {
        endpoint: 'structured',
        body: { channel, buttonResponse, originatingMessageId: input.referenced.genesysId },
      },
      ...notice,
    };
  }

  const { before, after } = contextLines(input.message, input.referenced);
  const text = joinText([...before, body.text ?? body.structured?.text, ...after]);
  return {
    ok: true,
    request: {
      endpoint: 'message',
      body: {
        channel,
        ...(text ? { text } : {}),
        ...(body.attachment ? { content: [{ contentType: 'Attachment' as const, attachment: body.attachment }] } : {}),
      },
    },
    ...notice,
  };
}
