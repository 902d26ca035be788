/**
 * What the real Meta Graph API and Genesys Cloud accept, as zod schemas: the contract the test
 * fakes and the local simulator both enforce, so the bridge is checked against one definition.
 * Sources: WhatsApp Cloud API message reference; Genesys platform SDK models
 * (OpenInboundNormalizedMessage, OpenInboundStructuredResponseMessage, OpenInboundNormalizedReceipt).
 */
import { z } from 'zod';

// ===== Meta: POST /{phone-number-id}/messages

// Meta takes HTTP or HTTPS links (the bridge itself only passes https outside the sandbox).
const Media = z.object({ link: z.url({ protocol: /^https?$/ }).optional(), id: z.string().optional(), caption: z.string().max(1024).optional(), filename: z.string().optional() }).refine((m) => m.link || m.id, 'link or id');
const Reply = z.object({ type: z.literal('reply'), reply: z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }) });
const Row = z.object({ id: z.string().min(1).max(200), title: z.string().min(1).max(24), description: z.string().max(72).optional() });
const Interactive = z.discriminatedUnion('type', [
  z.object({ type: z.literal('button'), body: z.object({ text: z.string().min(1).max(1024) }), action: z.object({ buttons: z.array(Reply).min(1).max(3) }) }),
  z.object({
    type: z.literal('list'),
    body: z.object({ text: z.string().min(1).max(4096) }),
    action: z.object({ button: z.string().min(1).max(20), sections: z.array(z.object({ title: z.string().max(24).optional(), rows: z.array(Row).min(1) })).min(1) }),
  }).refine((i) => i.action.sections.reduce((n, s) => n + s.rows.length, 0) <= 10, 'at most 10 rows'),
]);
const Base = { messaging_product: z.literal('whatsapp'), recipient_type: z.literal('individual').optional(), to: z.string().regex(/^\d{6,15}$/), context: z.object({ message_id: z.string().min(1) }).optional() };
/** What POST /{phone-number-id}/messages accepts (WhatsApp Cloud API reference). */
export const SendRequest = z.union([
  z.object({ ...Base, type: z.literal('text'), text: z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }) }),
  z.object({ ...Base, type: z.literal('image'), image: Media }),
  z.object({ ...Base, type: z.literal('video'), video: Media }),
  z.object({ ...Base, type: z.literal('audio'), audio: Media.refine((m) => m.caption === undefined, 'audio has no caption') }),
  z.object({ ...Base, type: z.literal('document'), document: Media }),
  z.object({ ...Base, type: z.literal('interactive'), interactive: Interactive }),
  z.object({
    ...Base,
    type: z.literal('template'),
    template: z.object({ name: z.string().min(1), language: z.object({ code: z.string().min(2) }), components: z.array(z.object({ type: z.string(), parameters: z.array(z.object({ type: z.literal('text'), text: z.string() })) })).optional() }),
  }),
  z.object({ messaging_product: z.literal('whatsapp'), status: z.literal('read'), message_id: z.string().min(1), typing_indicator: z.object({ type: z.literal('text') }).optional() }),
]);

// ===== Genesys: Open Messaging inbound endpoints

const From = z.object({
  id: z.string().min(1),
  idType: z.enum(['Email', 'Phone', 'Opaque']),
  nickname: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
});
const Channel = z.object({ messageId: z.string().optional(), from: From, time: z.iso.datetime(), metadata: z.unknown().optional() });
const Attachment = z.object({
  mediaType: z.enum(['Image', 'Video', 'Audio', 'File']),
  url: z.url(),
  mime: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/),
  filename: z.string().optional(),
  sha256: z.string().optional(),
  text: z.string().optional(),
});
export const GenesysInboundMessage = z
  .strictObject({
    channel: Channel,
    text: z.string().max(10_000).optional(),
    content: z.array(z.object({ contentType: z.literal('Attachment'), attachment: Attachment })).max(10).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .refine((m) => m.text !== undefined || (m.content?.length ?? 0) > 0, 'text or content is required');
export const GenesysStructuredResponse = z.strictObject({
  channel: Channel,
  buttonResponse: z.object({ type: z.enum(['Button', 'QuickReply']), text: z.string().min(1), payload: z.string().min(1), id: z.string().optional() }),
  originatingMessageId: z.string().min(1),
});

export const GenesysReceipt = z.strictObject({
  id: z.string().min(1),
  channel: z.object({ to: z.object({ id: z.string().min(1), idType: z.string().optional() }), time: z.iso.datetime() }),
  status: z.enum(['Sent', 'Delivered', 'Read', 'Failed', 'Published', 'Removed']),
  direction: z.literal('Outbound').optional(),
  isFinalReceipt: z.boolean().optional(),
  reasons: z.array(z.object({ code: z.string().optional(), message: z.string().min(1) })).optional(),
});

/** Genesys' error body (ErrorBody model). */
export function genesysError(status: number, code: string, message: string) {
  return { status, code, message, messageWithParams: message, contextId: crypto.randomUUID(), details: [], errors: [] };
}

/** Graph API's error body. */
export function graphError(code: number, message: string, details?: string) {
  return { error: { message, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details: details ?? message }, fbtrace_id: 'AbCdEf123' } };
}
