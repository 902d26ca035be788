/**
 * How the simulated WhatsApp takes an accepted send: it checks linked media and templates as the
 * real one does (the shared contracts), then shows the message on the customer's phone.
 */
import { checkLinkedMedia, checkTemplate, type WaMediaType } from '../meta-checks.contract';
import { SendRequest, graphError } from '../meta-send.contract';
import { HOSTED_ASSETS, TEMPLATES, json, now, type PhoneItem, type SimState } from './simulator.state';

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

/** The request as the Cloud API reads it, or its error 100 answer. */
export function parseSend(raw: string): SendRequest | Response {
  let parsed: ReturnType<typeof SendRequest.safeParse>;
  try {
    parsed = SendRequest.safeParse(JSON.parse(raw));
  } catch {
    return json(graphError(100, '(#100) Invalid parameter', 'body is not JSON'), 400);
  }
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return json(graphError(100, '(#100) Invalid parameter', details), 400);
}

/** Blue ticks on the customer's messages up to this one; a typing indicator shows for 25 s. */
export function markRead(
  body: Extract<SendRequest, { status: 'read' }>,
  state: SimState,
): { ok: boolean; response: Response } {
  const until = state.phone.findIndex((p) => p.id === body.message_id);
  if (until < 0)
    return {
      ok: false,
      response: json(graphError(100, '(#100) Invalid parameter', 'message_id is not a message of this customer'), 400),
    };
  for (const p of state.phone.slice(0, until + 1)) if (p.from === 'customer') p.ticks = 'read';
  if (body.typing_indicator) state.typingUntil = now() + 25_000;
  return { ok: true, response: json({ success: true }) };
}
