/**
 * What the real Meta Graph API and Genesys Cloud accept: the one contract the test fakes and the
 * local simulator both enforce, so the bridge is checked against vendor rules, not against itself.
 *
 * Every rule quotes the vendor document it comes from. Sources:
 * - Meta: WhatsApp Cloud API reference pages (messages, media, interactive, templates, error
 *   codes) and Meta's OpenAPI examples (facebook/openapi @ ecba623, copied to
 *   test/fixtures/meta/send/ with their sources in test/fixtures/PROTOCOLS-MANIFEST.md).
 * - Genesys: Developer Center "Inbound open receipt messages"; the receipt codes table of
 *   "WhatsApp delivery receipts" (help.mypurecloud.com); platform SDK models
 *   (OpenInboundNormalizedMessage, OpenInboundStructuredResponseMessage, OpenInboundNormalizedReceipt).
 */
import { z } from 'zod';

// ===== Meta: POST /{phone-number-id}/messages

// Error code table, 100: "The request included one or more unsupported or misspelled parameters."
// — so every object below is strict: a key Meta does not define is refused, not ignored.

// Media object: "link … URL of the media asset hosted on your public server"; "caption … Maximum
// 1024 characters"; "filename … Document filename, with extension". Meta takes http or https links
// (the bridge itself only passes https outside the sandbox).
const link = z.url({ protocol: /^https?$/ });
const MediaRef = { link: link.optional(), id: z.string().min(1).optional() };
const hasSource = (m: { link?: string; id?: string }) => (m.link === undefined) !== (m.id === undefined);
const Captioned = z
  .strictObject({ ...MediaRef, caption: z.string().min(1).max(1024).optional() })
  .refine(hasSource, 'exactly one of link or id');
const Document = z
  .strictObject({
    ...MediaRef,
    caption: z.string().min(1).max(1024).optional(),
    filename: z.string().min(1).optional(),
  })
  .refine(hasSource, 'exactly one of link or id');
// Audio and sticker messages have no caption ("Captions are not supported" for audio).
const Bare = z.strictObject(MediaRef).refine(hasSource, 'exactly one of link or id');

// Reply buttons: "id: Unique identifier for your button … Maximum 256 characters"; "title: Button
// title. It cannot be an empty string and must be unique within the message … Maximum 20
// characters"; body "Maximum 1024 characters"; "Only 3 buttons allowed".
const Reply = z.strictObject({
  type: z.literal('reply'),
  reply: z.strictObject({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }),
});
// List messages: button "Maximum 20 characters"; section title "Maximum 24 characters"; row id
// "Maximum 200 characters", row title "Maximum 24 characters", description "Maximum 72
// characters"; body "Maximum 4096 characters"; "up to 10 rows for all sections combined".
const Row = z.strictObject({
  id: z.string().min(1).max(200),
  title: z.string().min(1).max(24),
  description: z.string().min(1).max(72).optional(),
});
const unique = (values: string[]) => new Set(values).size === values.length;
const Interactive = z.discriminatedUnion('type', [
  z
    .strictObject({
      type: z.literal('button'),
      body: z.strictObject({ text: z.string().min(1).max(1024) }),
      action: z.strictObject({ buttons: z.array(Reply).min(1).max(3) }),
    })
    .refine(
      (i) => unique(i.action.buttons.map((b) => b.reply.id)) && unique(i.action.buttons.map((b) => b.reply.title)),
      'button ids and titles must be unique',
    ),
  z
    .strictObject({
      type: z.literal('list'),
      body: z.strictObject({ text: z.string().min(1).max(4096) }),
      action: z.strictObject({
        button: z.string().min(1).max(20),
        sections: z
          .array(z.strictObject({ title: z.string().min(1).max(24).optional(), rows: z.array(Row).min(1) }))
          .min(1)
          .max(10),
      }),
    })
    .refine((i) => i.action.sections.reduce((n, s) => n + s.rows.length, 0) <= 10, 'at most 10 rows'),
]);

// Template components (Meta's "Send Message Template Text / Media / Interactive" examples):
// text parameters `{type: "text", text}`, media header parameters `{type: "image", image: {link}}`,
// quick-reply buttons `{type: "button", sub_type: "quick_reply", index: "0", parameters:
// [{type: "payload", payload}]}`; URL buttons take one text parameter (the URL suffix).
const TextParameter = z.strictObject({ type: z.literal('text'), text: z.string().min(1) });
const MediaParameter = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('image'), image: Bare }),
  z.strictObject({ type: z.literal('video'), video: Bare }),
  z.strictObject({
    type: z.literal('document'),
    document: z
      .strictObject({ ...MediaRef, filename: z.string().min(1).optional() })
      .refine(hasSource, 'exactly one of link or id'),
  }),
]);
const TemplateComponent = z.union([
  z.strictObject({ type: z.literal('header'), parameters: z.array(z.union([TextParameter, MediaParameter])).min(1) }),
  z.strictObject({ type: z.literal('body'), parameters: z.array(TextParameter).min(1) }),
  z.strictObject({
    type: z.literal('button'),
    sub_type: z.literal('quick_reply'),
    index: z.string().regex(/^\d+$/),
    parameters: z.array(z.strictObject({ type: z.literal('payload'), payload: z.string().min(1) })).length(1),
  }),
  z.strictObject({
    type: z.literal('button'),
    sub_type: z.literal('url'),
    index: z.string().regex(/^\d+$/),
    parameters: z.array(TextParameter).length(1),
  }),
]);

const Base = {
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.literal('individual').optional(),
  to: z.string().regex(/^\d{6,15}$/),
  context: z.strictObject({ message_id: z.string().min(1) }).optional(),
};
/** What POST /{phone-number-id}/messages accepts (WhatsApp Cloud API reference). */
export const SendRequest = z.union([
  // Text: "body … Maximum 4096 characters".
  z.strictObject({
    ...Base,
    type: z.literal('text'),
    text: z.strictObject({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }),
  }),
  z.strictObject({ ...Base, type: z.literal('image'), image: Captioned }),
  z.strictObject({ ...Base, type: z.literal('video'), video: Captioned }),
  z.strictObject({ ...Base, type: z.literal('audio'), audio: Bare }),
  z.strictObject({ ...Base, type: z.literal('sticker'), sticker: Bare }),
  z.strictObject({ ...Base, type: z.literal('document'), document: Document }),
  z.strictObject({ ...Base, type: z.literal('interactive'), interactive: Interactive }),
  z.strictObject({
    ...Base,
    type: z.literal('template'),
    template: z.strictObject({
      name: z.string().min(1),
      language: z.strictObject({ code: z.string().min(2) }),
      components: z.array(TemplateComponent).min(1).optional(),
    }),
  }),
  // "Mark messages as read" and "Typing indicators": status read on a received message id.
  z.strictObject({
    messaging_product: z.literal('whatsapp'),
    status: z.literal('read'),
    message_id: z.string().min(1),
    typing_indicator: z.strictObject({ type: z.literal('text') }).optional(),
  }),
]);
export type SendRequest = z.infer<typeof SendRequest>;

/**
 * Meta's "Supported media types" table. WhatsApp fetches a linked asset itself and checks it:
 * - Image: "image/jpeg", "image/png", 5 MB ("Images must be 8-bit, RGB or RGBA").
 * - Video: "video/3gpp", "video/mp4", 16 MB. Audio: "audio/aac", "audio/amr", "audio/mpeg",
 *   "audio/mp4", "audio/ogg (OPUS codecs only)", 16 MB.
 * - Sticker: "image/webp", static 100 KB, animated 500 KB.
 * - Document: 100 MB; the listed types are "officially supported and guaranteed to display
 *   correctly … Other file types may be sent via the API, but they are not supported and may not
 *   be handled as expected" (Document messages page) — so any type goes as a document.
 */
export const MEDIA_LIMITS = {
  image: { mimes: ['image/jpeg', 'image/png'], maxBytes: 5 * 1024 * 1024 },
  video: { mimes: ['video/mp4', 'video/3gpp', 'video/3gp'], maxBytes: 16 * 1024 * 1024 },
  audio: { mimes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * 1024 * 1024 },
  sticker: { mimes: ['image/webp'], maxBytes: 500 * 1024 },
  document: { mimes: null, maxBytes: 100 * 1024 * 1024 },
} as const satisfies Record<string, { mimes: readonly string[] | null; maxBytes: number }>;
export type WaMediaType = keyof typeof MEDIA_LIMITS;

/**
 * Checks a linked asset as WhatsApp does once it has fetched it. A type or size outside the table
 * is error 131053: "Unable to upload the media used in the message" (error code table).
 */
export function checkLinkedMedia(type: WaMediaType, asset: { mime: string; bytes: number }): string | null {
  const rule = MEDIA_LIMITS[type];
  const mime = asset.mime.split(';')[0]!.trim().toLowerCase();
  if (rule.mimes && !(rule.mimes as readonly string[]).includes(mime)) return `${mime} is not a supported ${type} type`;
  if (asset.bytes > rule.maxBytes) return `${asset.bytes} bytes is over the ${type} limit of ${rule.maxBytes}`;
  return null;
}

/** A template as Graph lists it (GET /{waba-id}/message_templates). */
export interface ApprovedTemplate {
  name: string;
  language: string;
  components: Array<{
    type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS';
    format?: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT';
    text?: string;
    buttons?: Array<{ type: 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER'; text: string; url?: string }>;
  }>;
}

const placeholders = (text: string | undefined) => new Set(text?.match(/\{\{\d+\}\}/g) ?? []).size;

/**
 * Checks a template send against the approved templates of the account, answering WhatsApp's error
 * code when it does not fit (error code table):
 * - 132001 "The template does not exist in the specified language or the template has not been approved."
 * - 132000 "The number of variable parameter values included in the request did not match the
 *   number of variable parameters defined in the template."
 * - 132012 "Parameter format does not match format in the created template" (e.g. a text
 *   parameter for an image header).
 */
export function checkTemplate(
  template: {
    name: string;
    language: { code: string };
    components?: Array<{ type: string; sub_type?: string; index?: string; parameters?: Array<{ type: string }> }>;
  },
  approved: ApprovedTemplate[],
): { code: number; message: string; details: string } | null {
  const found = approved.find((t) => t.name === template.name && t.language === template.language.code);
  if (!found)
    return {
      code: 132001,
      message: 'Template name does not exist in the translation',
      details: `template name (${template.name}) does not exist in ${template.language.code}`,
    };
  const components = template.components ?? [];
  const sent = (type: string) => components.find((c) => c.type === type)?.parameters ?? [];
  const header = found.components.find((c) => c.type === 'HEADER');
  const headerSent = sent('header') as Array<{ type: string }>;
  if (header?.format && header.format !== 'TEXT') {
    const want = header.format.toLowerCase();
    if (headerSent.length !== 1)
      return {
        code: 132000,
        message: 'Number of parameters does not match the expected number of params',
        details: `header: expected 1 ${want}, received ${headerSent.length}`,
      };
    if (headerSent[0]!.type !== want)
      return {
        code: 132012,
        message: 'Parameter format does not match format in the created template',
        details: `header: expected ${want}, received ${headerSent[0]!.type}`,
      };
  } else if (headerSent.length !== placeholders(header?.text)) {
    return {
      code: 132000,
      message: 'Number of parameters does not match the expected number of params',
      details: `header: expected ${placeholders(header?.text)}, received ${headerSent.length}`,
    };
  }
  const body = found.components.find((c) => c.type === 'BODY');
  if (sent('body').length !== placeholders(body?.text)) {
    return {
      code: 132000,
      message: 'Number of parameters does not match the expected number of params',
      details: `body: expected ${placeholders(body?.text)}, received ${sent('body').length}`,
    };
  }
  const buttons = found.components.find((c) => c.type === 'BUTTONS')?.buttons ?? [];
  for (const c of components.filter((c) => c.type === 'button')) {
    const button = buttons[Number(c.index)];
    const expected = c.sub_type === 'quick_reply' ? 'QUICK_REPLY' : 'URL';
    if (!button || button.type !== expected)
      return {
        code: 132012,
        message: 'Parameter format does not match format in the created template',
        details: `button ${c.index}: the template has no ${expected} button there`,
      };
  }
  return null;
}

// ===== Genesys: Open Messaging inbound endpoints

const From = z.object({
  id: z.string().min(1),
  idType: z.enum(['Email', 'Phone', 'Opaque']),
  nickname: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
});
const Channel = z.object({
  messageId: z.string().optional(),
  from: From,
  time: z.iso.datetime(),
  metadata: z.unknown().optional(),
});
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
    content: z
      .array(z.object({ contentType: z.literal('Attachment'), attachment: Attachment }))
      .max(10)
      .optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .refine((m) => m.text !== undefined || (m.content?.length ?? 0) > 0, 'text or content is required');
export const GenesysStructuredResponse = z.strictObject({
  channel: Channel,
  buttonResponse: z.object({
    type: z.enum(['Button', 'QuickReply']),
    text: z.string().min(1),
    payload: z.string().min(1),
    id: z.string().optional(),
  }),
  originatingMessageId: z.string().min(1),
});

/**
 * The receipt codes Genesys documents ("WhatsApp delivery receipts": MessageExpired, RateLimited,
 * MessageNotAllowed, GeneralError, UnsupportedMessage, UnknownMessage, InvalidMessageStructure,
 * InvalidDestination, ServerError, MediaTypeNotAllowed, InvalidMediaContentLength, RecipientOptedOut).
 */
export const GENESYS_REASON_CODES = [
  'MessageExpired',
  'RateLimited',
  'MessageNotAllowed',
  'GeneralError',
  'UnsupportedMessage',
  'UnknownMessage',
  'InvalidMessageStructure',
  'InvalidDestination',
  'ServerError',
  'MediaTypeNotAllowed',
  'InvalidMediaContentLength',
  'RecipientOptedOut',
] as const;

/**
 * POST …/inbound/open/receipt. "There are 2 supported receipt statuses for this endpoint:
 * Delivered | Failed" (Inbound open receipt messages). The body follows the page's examples and
 * the SDK's OpenInboundNormalizedReceipt: id, channel {to {id, idType}, time}, status, direction
 * "Outbound", isFinalReceipt, and reasons [{code, message}] on a failure.
 */
export const GenesysReceipt = z.strictObject({
  id: z.string().min(1),
  channel: z.strictObject({
    to: z.strictObject({ id: z.string().min(1), idType: z.string().optional() }),
    time: z.iso.datetime(),
  }),
  status: z.enum(['Delivered', 'Failed']),
  direction: z.literal('Outbound').optional(),
  isFinalReceipt: z.boolean().optional(),
  reasons: z
    .array(z.strictObject({ code: z.enum(GENESYS_REASON_CODES).optional(), message: z.string().min(1) }))
    .min(1)
    .optional(),
});

/** Genesys' error body (ErrorBody model). */
export function genesysError(status: number, code: string, message: string) {
  return { status, code, message, messageWithParams: message, contextId: crypto.randomUUID(), details: [], errors: [] };
}

/** Graph API's error body ("Error response syntax" of the error codes page). */
export function graphError(code: number, message: string, details?: string) {
  return {
    error: {
      message,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: details ?? message },
      fbtrace_id: 'AbCdEf123',
    },
  };
}
