/**
 * What WhatsApp checks after accepting the request's shape: linked media against Meta's
 * supported-media table, and template sends against the account's approved templates. Shared by
 * the test fakes and the sandbox simulator; each rule quotes Meta's documentation.
 */

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
