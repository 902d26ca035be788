/**
 * Genesys Open Messaging outbound message → WhatsApp Cloud API requests. Pure: no I/O, no clock.
 *
 * One agent message may become several WhatsApp messages (text over 4096 characters, several
 * attachments, an audio file and its text). Each request is a complete body for
 * POST /{phone-number-id}/messages. What WhatsApp cannot carry is refused with a Genesys reason
 * code, so the agent sees a Failed receipt that says why instead of silence.
 */
import type { GcContent, GcOutboundMessage } from '../schemas/genesys.schema';

export const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const BUTTON_TITLE_LIMIT = 20;
const ROW_TITLE_LIMIT = 24;
const ROW_DESCRIPTION_LIMIT = 72;
const MAX_BUTTONS = 3;
const MAX_ROWS = 10;

/** Reason codes Genesys understands on a Failed receipt (ConversationReason.code). */
export type GenesysReasonCode =
  | 'MessageNotAllowed'
  | 'InvalidMessageStructure'
  | 'UnsupportedMessage'
  | 'MediaTypeNotAllowed'
  | 'InvalidDestination'
  | 'RateLimited'
  | 'RecipientOptedOut'
  | 'GeneralError';

export type WaRequest = Record<string, unknown> & { type: string };

export type OutboundPlan =
  | { kind: 'send'; requests: WaRequest[]; needsWindow: boolean; snippet: string | null }
  | { kind: 'typing' }
  | { kind: 'read' }
  | { kind: 'ignore'; reason: string }
  | { kind: 'refuse'; code: GenesysReasonCode; message: string };

export interface OutboundInput {
  message: GcOutboundMessage;
  /** Customer's WhatsApp id (digits, no "+"). */
  to: string;
  /** The wamid to quote, when the agent replied to a customer message we know. */
  replyToWamid?: string;
  /** Only https links to hosts the tenant trusts are handed to WhatsApp. */
  allowMediaUrl: (url: string) => boolean;
}

/** Splits text at the last line break or space before the limit, so words stay whole. */
export function splitText(text: string, limit = TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    const cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '));
    const at = cut > limit / 2 ? cut : limit;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function shorten(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

const WA_MEDIA: Record<string, 'image' | 'video' | 'audio' | 'document'> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'document',
};

function envelope(to: string, body: Record<string, unknown> & { type: string }): WaRequest {
  return { messaging_product: 'whatsapp', recipient_type: 'individual', to, ...body };
}

function textRequests(to: string, text: string): WaRequest[] {
  return splitText(text).map((part) => envelope(to, { type: 'text', text: { body: part, preview_url: /https?:\/\//i.test(part) } }));
}

/** The first WhatsApp message of a reply quotes the customer message the agent answered. */
function quoting(requests: WaRequest[], replyTo: string | undefined): WaRequest[] {
  if (!replyTo || requests.length === 0) return requests;
  return [{ ...requests[0]!, context: { message_id: replyTo } }, ...requests.slice(1)];
}

function interactive(to: string, text: string | undefined, replies: Array<{ text: string; payload?: string }>): WaRequest[] {
  const body = shorten(text?.trim() || 'Please choose an option:', CAPTION_LIMIT);
  const options = replies.map((r) => ({ title: r.text, id: (r.payload || r.text).slice(0, 256) }));
  if (options.length <= MAX_BUTTONS && options.every((o) => o.title.length <= BUTTON_TITLE_LIMIT)) {
    return [
      envelope(to, {
        type: 'interactive',
        interactive: { type: 'button', body: { text: body }, action: { buttons: options.map((o) => ({ type: 'reply', reply: { id: o.id, title: o.title } })) } },
      }),
    ];
  }
  if (options.length <= MAX_ROWS) {
    return [
      envelope(to, {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: body },
          action: {
            button: 'Choose',
            sections: [
              {
                title: 'Options',
                rows: options.map((o) => ({
                  id: o.id,
                  title: shorten(o.title, ROW_TITLE_LIMIT),
                  ...(o.title.length > ROW_TITLE_LIMIT ? { description: shorten(o.title, ROW_DESCRIPTION_LIMIT) } : {}),
                })),
              },
            ],
          },
        },
      }),
    ];
  }
  // More choices than WhatsApp can show: a numbered list the customer can answer by typing.
  return textRequests(to, [body, ...options.map((o, i) => `${i + 1}. ${o.title}`)].join('\n'));
}

function template(to: string, content: GcContent): { request: WaRequest } | { refuse: string } {
  const t = content.template!;
  const name = t.name ?? t.id;
  if (!name) return { refuse: 'the template has no name or id' };
  const components: Array<Record<string, unknown>> = [];
  const params = (list: Array<{ text: string }> | undefined) => (list ?? []).map((p) => ({ type: 'text', text: p.text }));
  if (t.header?.parameters?.length) components.push({ type: 'header', parameters: params(t.header.parameters) });
  if (t.body?.parameters?.length) components.push({ type: 'body', parameters: params(t.body.parameters) });
  return { request: envelope(to, { type: 'template', template: { name, language: { code: t.language ?? 'en_US' }, ...(components.length ? { components } : {}) } }) };
}

/** Plans what one Genesys outbound message becomes on WhatsApp. */
export function planOutbound(input: OutboundInput): OutboundPlan {
  const { message, to, replyToWamid } = input;
  const type = message.type.toLowerCase();

  if (type === 'event') {
    const typing = message.events?.some((e) => e.eventType.toLowerCase() === 'typing' && (e.typing?.type ?? 'On').toLowerCase() === 'on');
    return typing ? { kind: 'typing' } : { kind: 'ignore', reason: `event ${message.events?.map((e) => e.eventType).join(',') || 'none'} has no WhatsApp form` };
  }
  if (type === 'receipt') {
    // Genesys reporting on a customer message (e.g. the agent read it).
    return message.status?.toLowerCase() === 'read' ? { kind: 'read' } : { kind: 'ignore', reason: `receipt ${message.status ?? ''} needs no WhatsApp call` };
  }

  const content = message.content ?? [];
  const notification = content.find((c) => c.contentType.toLowerCase() === 'notification' && c.template);
  if (notification) {
    const built = template(to, notification);
    if ('refuse' in built) return { kind: 'refuse', code: 'InvalidMessageStructure', message: built.refuse };
    return { kind: 'send', requests: [built.request], needsWindow: false, snippet: snippet(message.text ?? notification.template?.body?.text) };
  }

  const text = message.text?.trim() ? message.text : undefined;
  const quickReplies = content.filter((c) => c.quickReply).map((c) => c.quickReply!);
  if (quickReplies.length > 0) {
    return { kind: 'send', requests: quoting(interactive(to, text, quickReplies), replyToWamid), needsWindow: true, snippet: snippet(text) };
  }

  const attachments = content.filter((c) => c.attachment).map((c) => c.attachment!);
  const requests: WaRequest[] = [];
  let captionUsed = false;
  for (const attachment of attachments) {
    const kind = WA_MEDIA[attachment.mediaType.toLowerCase()];
    if (!kind) return { kind: 'refuse', code: 'MediaTypeNotAllowed', message: `WhatsApp cannot send ${attachment.mediaType} attachments` };
    if (!attachment.url || !input.allowMediaUrl(attachment.url)) {
      return { kind: 'refuse', code: 'MediaTypeNotAllowed', message: 'the attachment link is not an https URL of an allowed host' };
    }
    // The message text rides along as the caption of the first image, video or document.
    const caption = !captionUsed && text && kind !== 'audio' && text.length <= CAPTION_LIMIT ? text : undefined;
    if (caption) captionUsed = true;
    requests.push(
      envelope(to, {
        type: kind,
        [kind]: {
          link: attachment.url,
          ...(caption ? { caption } : {}),
          ...(kind === 'document' && attachment.filename ? { filename: attachment.filename } : {}),
        },
      }),
    );
  }
  if (text && !captionUsed) requests.unshift(...textRequests(to, text));
  if (requests.length === 0) {
    const kinds = content.map((c) => c.contentType).join(', ');
    return { kind: 'refuse', code: 'UnsupportedMessage', message: kinds ? `WhatsApp has no form for ${kinds}` : 'the message has no text or content' };
  }
  return { kind: 'send', requests: quoting(requests, replyToWamid), needsWindow: true, snippet: snippet(text) };
}

function snippet(text: string | undefined): string | null {
  if (!text) return null;
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
