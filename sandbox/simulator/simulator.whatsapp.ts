/**
 * How the simulated WhatsApp takes an accepted send: it checks linked media and templates as the
 * real one does (the shared contracts), then shows the message on the customer's phone.
 */
import { checkLinkedMedia, checkTemplate, type WaMediaType } from '../meta-checks.contract';
import { graphError, type SendRequest } from '../meta-send.contract';
import { HOSTED_ASSETS, TEMPLATES, json, now, type PhoneItem } from './simulator.state';

type MessageSend = Exclude<SendRequest, { status: 'read' }>;

/** The phone's view of a send, or WhatsApp's refusal. */
export function phoneItemFor(body: MessageSend): PhoneItem | Response {
  const media =
    body.type === 'image'
      ? body.image
      : body.type === 'video'
        ? body.video
        : body.type === 'audio'
          ? body.audio
          : body.type === 'document'
            ? body.document
            : body.type === 'sticker'
              ? body.sticker
              : undefined;
  const asset = media?.link ? HOSTED_ASSETS[new URL(media.link).pathname] : undefined;
  const mediaProblem = asset ? checkLinkedMedia(body.type as WaMediaType, asset) : null;
  // Error code table, 131053: "Unable to upload the media used in the message."
  if (mediaProblem) return json(graphError(131053, 'Media upload error', mediaProblem), 400);
  if (body.type === 'template') {
    const problem = checkTemplate(body.template, TEMPLATES);
    if (problem) return json(graphError(problem.code, problem.message, problem.details), 400);
  }
  const item: PhoneItem = { id: `wamid.SIM${crypto.randomUUID().replaceAll('-', '')}`, from: 'business', at: now() };
  if (body.type === 'text') item.text = body.text.body;
  if (media) {
    item.imageUrl = body.type === 'image' ? media.link : undefined;
    const { caption, filename } = media as { caption?: string; filename?: string };
    item.text = caption ?? (body.type === 'image' ? undefined : `[${body.type}] ${filename ?? media.link}`);
  }
  if (body.type === 'interactive') {
    const i = body.interactive;
    item.text = i.body.text;
    item.buttons =
      i.type === 'button'
        ? i.action.buttons.map((b) => b.reply)
        : i.action.sections.flatMap((s) => s.rows.map((r) => ({ id: r.id, title: r.title })));
  }
  if (body.type === 'template') {
    const text =
      TEMPLATES.find((t) => t.name === body.template.name)?.components.find((c) => c.type === 'BODY')?.text ?? '';
    const params = (body.template.components ?? []).flatMap((c) =>
      c.type === 'body' ? c.parameters.map((p) => p.text) : [],
    );
    item.template = text.replace(/\{\{(\d+)\}\}/g, (_m: string, n: string) => params[Number(n) - 1] ?? `{{${n}}}`);
  }
  return item;
}
