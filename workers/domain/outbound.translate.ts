/**
 * Genesys Open Messaging outbound message → WhatsApp Cloud API requests. Pure: no I/O, no clock.
 *
 * One agent message may become several WhatsApp messages (text over 4096 characters, several
 * attachments, a caption too long to ride on its media). Each request is a complete body for
 * POST /{phone-number-id}/messages with exactly the keys of Meta's example request of its type.
 * What WhatsApp cannot carry is refused with a Genesys reason code, so the agent sees a Failed
 * receipt that says why instead of silence.
 */
import type { GcOutboundMessage } from '../schemas/genesys.schema';
import { chooseMediaKind } from './agent-media';
import { layoutQuickReplies } from './quick-replies';
import { template } from './template.translate';

const TEXT_LIMIT = 4096;
/** Media captions: "Maximum 1024 characters". */
const CAPTION_LIMIT = 1024;
/** Interactive body: reply buttons "Maximum 1024 characters", lists "Maximum 4096 characters". */
const BUTTON_BODY_LIMIT = 1024;
const LIST_BODY_LIMIT = 4096;

/** Reason codes Genesys documents for a Failed receipt ("WhatsApp delivery receipts" table). */
export type GenesysReasonCode =
  | 'MessageExpired'
  | 'RateLimited'
  | 'MessageNotAllowed'
  | 'GeneralError'
  | 'UnsupportedMessage'
  | 'UnknownMessage'
  | 'InvalidMessageStructure'
  | 'InvalidDestination'
  | 'ServerError'
  | 'MediaTypeNotAllowed'
  | 'InvalidMediaContentLength'
  | 'RecipientOptedOut';

export type WaRequest = Record<string, unknown> & { type: string };

/** The template a request sends, kept so a refusal can name it in plain words. */
export interface TemplateRef {
  name: string;
  language: string;
}

export type OutboundPlan =
  | { kind: 'send'; requests: WaRequest[]; needsWindow: boolean; snippet: string | null; template?: TemplateRef }
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

export function envelope(to: string, body: Record<string, unknown> & { type: string }): WaRequest {
  return { messaging_product: 'whatsapp', recipient_type: 'individual', to, ...body };
}

function textRequests(to: string, text: string): WaRequest[] {
  return splitText(text).map((part) =>
    envelope(to, { type: 'text', text: { body: part, preview_url: /https?:\/\//i.test(part) } }),
  );
}

/** The first WhatsApp message of a reply quotes the customer message the agent answered. */
function quoting(requests: WaRequest[], replyTo: string | undefined): WaRequest[] {
  if (!replyTo || requests.length === 0) return requests;
  return [{ ...requests[0]!, context: { message_id: replyTo } }, ...requests.slice(1)];
}

/**
 * Buttons, a list or numbered text (see quick-replies.ts). Option ids stand for the agent's full
 * payloads, which the conversation object restores when the customer taps. A text longer than the
 * interactive body allows goes first as text, so nothing the agent wrote is cut.
 */
function interactive(
  to: string,
  text: string | undefined,
  replies: Array<{ text: string; payload?: string }>,
): WaRequest[] {
  const layout = layoutQuickReplies(replies);
  const written = text?.trim();
  if (layout.kind === 'text') {
    return textRequests(
      to,
      [written || 'Please choose an option:', ...layout.options.map((o) => `${o.id}. ${o.text}`)].join('\n'),
    );
  }
  const limit = layout.kind === 'button' ? BUTTON_BODY_LIMIT : LIST_BODY_LIMIT;
  const fits = !!written && written.length <= limit;
  const before = written && !fits ? textRequests(to, written) : [];
  const body = { text: fits ? written! : 'Please choose an option:' };
  if (layout.kind === 'button') {
    return [
      ...before,
      envelope(to, {
        type: 'interactive',
        interactive: {
          type: 'button',
          body,
          action: { buttons: layout.options.map((o) => ({ type: 'reply', reply: { id: o.id, title: o.title } })) },
        },
      }),
    ];
  }
  const rows = layout.options.map((o) => ({
    id: o.id,
    title: o.title,
    ...(o.description ? { description: o.description } : {}),
  }));
  return [
    ...before,
    envelope(to, {
      type: 'interactive',
      interactive: { type: 'list', body, action: { button: 'Choose', sections: [{ title: 'Options', rows }] } },
    }),
  ];
}

/** Plans what one Genesys outbound message becomes on WhatsApp. */
export function planOutbound(input: OutboundInput): OutboundPlan {
  const { message, to, replyToWamid } = input;
  const type = message.type.toLowerCase();

  if (type === 'event') {
    const typing = message.events?.some(
      (e) => e.eventType.toLowerCase() === 'typing' && (e.typing?.type ?? 'On').toLowerCase() === 'on',
    );
    return typing
      ? { kind: 'typing' }
      : {
          kind: 'ignore',
          reason: `event ${message.events?.map((e) => e.eventType).join(',') || 'none'} has no WhatsApp form`,
        };
  }
  if (type === 'receipt') {
    // Genesys reporting on a customer message (e.g. the agent read it).
    return message.status?.toLowerCase() === 'read'
      ? { kind: 'read' }
      : { kind: 'ignore', reason: `receipt ${message.status ?? ''} needs no WhatsApp call` };
  }

  const content = message.content ?? [];
  const notification = content.find((c) => c.contentType.toLowerCase() === 'notification' && c.template);
  if (notification) {
    const built = template(to, notification, input.allowMediaUrl);
    if (!built.ok) return { kind: 'refuse', code: 'InvalidMessageStructure', message: built.message };
    return {
      kind: 'send',
      requests: [built.request],
      needsWindow: false,
      snippet: snippet(message.text ?? notification.template?.body?.text),
      template: built.ref,
    };
  }

  const text = message.text?.trim() ? message.text : undefined;
  const quickReplies = content.filter((c) => c.quickReply).map((c) => c.quickReply!);
  if (quickReplies.length > 0) {
    return {
      kind: 'send',
      requests: quoting(interactive(to, text, quickReplies), replyToWamid),
      needsWindow: true,
      snippet: snippet(text),
    };
  }

  const requests: WaRequest[] = [];
  // The text rides as the caption of the first attachment that takes one, when it fits; otherwise
  // the media go first and the full text follows as its own message(s).
  let captionUsed = !text || text.length > CAPTION_LIMIT;
  for (const attachment of content.filter((c) => c.attachment).map((c) => c.attachment!)) {
    if (!attachment.url || !input.allowMediaUrl(attachment.url)) {
      return {
        kind: 'refuse',
        code: 'MediaTypeNotAllowed',
        message: 'Not sent: the attachment link is not an https URL of an allowed host.',
      };
    }
    const choice = chooseMediaKind(attachment);
    if (!choice.ok) return { kind: 'refuse', code: choice.code, message: choice.message };
    const caption = !captionUsed && choice.kind !== 'audio' ? text : undefined;
    if (caption) captionUsed = true;
    requests.push(
      envelope(to, {
        type: choice.kind,
        [choice.kind]: {
          link: attachment.url,
          ...(caption ? { caption } : {}),
          ...(choice.filename ? { filename: choice.filename } : {}),
        },
      }),
    );
  }
  if (text && !requests.some((r) => (r[r.type] as { caption?: string }).caption !== undefined))
    requests.push(...textRequests(to, text));
  if (requests.length === 0) {
    const kinds = content.map((c) => c.contentType).join(', ');
    return {
      kind: 'refuse',
      code: 'UnsupportedMessage',
      message: kinds ? `Not sent: WhatsApp has no form for ${kinds}.` : 'Not sent: the message has no text or content.',
    };
  }
  return { kind: 'send', requests: quoting(requests, replyToWamid), needsWindow: true, snippet: snippet(text) };
}

function snippet(text: string | undefined): string | null {
  if (!text) return null;
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
