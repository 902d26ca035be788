/**
 * What Meta's POST /{phone-number-id}/messages accepts, as zod: the request contract the test fakes
 * and the sandbox simulator enforce. Every rule quotes the Cloud API reference page it comes from;
 * Meta's example requests are copied in test/fixtures/meta/send/ (sources in the manifest).
 */
import { z } from 'zod';

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
