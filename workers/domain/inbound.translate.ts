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
import type { GenesysAttachment, GenesysFrom, GenesysInboundRequest } from '../schemas/genesys.schema';
import { restoreTap, type QuickReply } from './quick-replies';
import { mediaBody } from './inbound.media';
import { contactsBody, formReply, joinText, locationBody, orderBody, unsupportedBody } from './inbound.readable';

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
const Interactive = z.looseObject({
  type: z.string(),
  button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
  list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() }).optional(),
  nfm_reply: z
    .looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string().optional() })
    .optional(),
  call_permission_reply: z.looseObject({ response: z.string().optional() }).optional(),
});
const TemplateButton = z.looseObject({ text: z.string(), payload: z.string().optional() });
const Reaction = z.looseObject({ message_id: z.string(), emoji: z.string().optional() });
const SystemNotice = z.looseObject({ body: z.string().optional(), type: z.string().optional() });
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
    case 'sticker':
      return mediaBody(message.type, content, input.mediaUrl);
    case 'location':
      return locationBody(content);
    case 'contacts':
      return contactsBody(content);
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
    case 'order':
      return orderBody(content);
    case 'system': {
      const system = SystemNotice.safeParse(content);
      const body = system.success ? system.data.body : undefined;
      return { text: `[WhatsApp notice] ${body ?? 'system message'}` };
    }
    case 'request_welcome':
      // The customer opened the chat for the first time and has not written yet.
      return { text: '[The customer opened a WhatsApp chat with you]' };
    case 'unsupported':
      return unsupportedBody(message);
    default: {
      return {
        text: `[The customer sent a WhatsApp message of a new type ("${message.type}") that the bridge cannot show yet]`,
        notice: { code: 'unknown_message_type', detail: `type "${message.type}"` },
      };
    }
  }
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
