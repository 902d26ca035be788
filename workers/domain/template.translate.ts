/**
 * Genesys Notification content → a WhatsApp template message. Pure.
 *
 * Genesys names WhatsApp templates `namespace@element_name` (ConversationContentNotificationTemplate:
 * "For WhatsApp, 'namespace@name'"); the Cloud API wants the name alone, the language in its
 * underscore form, and one component per header, body and button that takes parameters (Meta's
 * "Send Message Template" examples).
 */
import type { GcContent } from '../schemas/genesys.schema';
import { envelope, type TemplateRef, type WaRequest } from './outbound.translate';

/** "namespace@element_name" (how Genesys names WhatsApp templates) or a bare name. */
function templateName(ref: string): string {
  const at = ref.indexOf('@');
  return at >= 0 ? ref.slice(at + 1) : ref;
}

/** WhatsApp language codes use an underscore (en_US); Genesys may give a BCP 47 tag (en-US). */
function languageCode(language: string | undefined): string {
  return (language ?? 'en_US').replace('-', '_');
}

const HEADER_MEDIA: Record<string, 'image' | 'video' | 'document'> = {
  image: 'image',
  video: 'video',
  file: 'document',
  document: 'document',
};

type TemplateResult = { ok: true; request: WaRequest; ref: TemplateRef } | { ok: false; message: string };

/** Genesys Notification content → WhatsApp template: name, language, header, body and button parameters. */
export function template(to: string, content: GcContent, allowMediaUrl: (url: string) => boolean): TemplateResult {
  const t = content.template!;
  const ref = t.name ?? t.id;
  if (!ref || !templateName(ref)) return { ok: false, message: 'Not sent: the template has no name.' };
  const name = templateName(ref);
  const empty = [
    ...(t.header?.parameters ?? []),
    ...(t.body?.parameters ?? []),
    ...(t.buttons ?? []).flatMap((b) => b.parameters ?? []),
  ].find((p) => !p.text.trim());
  if (empty)
    return {
      ok: false,
      message: `Not sent: template "${name}" has an empty value for parameter ${empty.name ?? empty.id ?? ''}.`.replace(
        ' .',
        '.',
      ),
    };
  const text = (list: Array<{ text: string }> | undefined) => (list ?? []).map((p) => ({ type: 'text', text: p.text }));
  const components: Array<Record<string, unknown>> = [];
  const media = t.header?.media;
  if (media?.url) {
    const kind = HEADER_MEDIA[media.mediaType.toLowerCase()];
    if (!kind)
      return {
        ok: false,
        message: `Not sent: template "${name}" has a ${media.mediaType} header, which WhatsApp templates cannot carry.`,
      };
    if (!allowMediaUrl(media.url))
      return { ok: false, message: `Not sent: the header of template "${name}" links to a host that is not allowed.` };
    const asset = { link: media.url, ...(kind === 'document' && media.filename ? { filename: media.filename } : {}) };
    components.push({ type: 'header', parameters: [{ type: kind, [kind]: asset }] });
  } else if (t.header?.parameters?.length) {
    components.push({ type: 'header', parameters: text(t.header.parameters) });
  }
  if (t.body?.parameters?.length) components.push({ type: 'body', parameters: text(t.body.parameters) });
  for (const [position, button] of (t.buttons ?? []).entries()) {
    const index = String(button.index ?? position);
    const type = button.type?.toLowerCase();
    if (type === 'quickreply' && button.payload) {
      components.push({
        type: 'button',
        sub_type: 'quick_reply',
        index,
        parameters: [{ type: 'payload', payload: button.payload }],
      });
    } else if (type === 'url' && button.parameters?.length) {
      components.push({ type: 'button', sub_type: 'url', index, parameters: text(button.parameters.slice(0, 1)) });
    }
  }
  const language = languageCode(t.language);
  return {
    ok: true,
    ref: { name, language },
    request: envelope(to, {
      type: 'template',
      template: { name, language: { code: language }, ...(components.length ? { components } : {}) },
    }),
  };
}
