/**
 * How an agent's quick replies look on WhatsApp, and how a customer's tap is traced back to them.
 * Pure and deterministic: the same Genesys message always gives the same layout, so the
 * conversation object needs no second copy of the options — it keeps the agent's message (with
 * every full payload) and recomputes the layout when a tap arrives.
 *
 * WhatsApp limits (interactive messages reference): reply buttons ≤ 3, id ≤ 256 characters,
 * title ≤ 20 and unique; list rows ≤ 10, id ≤ 200, title ≤ 24, description ≤ 72. A Genesys payload
 * can be longer than an id may be, so such options get a short id ("qr-2") that stands for them.
 */

const BUTTON_ID_LIMIT = 256;
const ROW_ID_LIMIT = 200;
const BUTTON_TITLE_LIMIT = 20;
const ROW_TITLE_LIMIT = 24;
const ROW_DESCRIPTION_LIMIT = 72;
const MAX_BUTTONS = 3;
const MAX_ROWS = 10;

export interface QuickReply {
  text: string;
  payload?: string;
}

export interface LaidOutOption {
  /** What WhatsApp carries and echoes back on a tap. */
  id: string;
  title: string;
  description?: string;
  /** The agent's own option, restored on a tap. */
  text: string;
  payload: string;
}

export type QuickReplyLayout =
  | { kind: 'button' | 'list'; options: LaidOutOption[] }
  | { kind: 'text'; options: LaidOutOption[] };

function shorten(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** Ids WhatsApp accepts: the payload itself when it fits and is unique, else a short stand-in. */
function assignIds(replies: QuickReply[], limit: number): string[] {
  const wanted = replies.map((r) => r.payload || r.text);
  const stand = (i: number) => `qr-${i + 1}`;
  const counts = new Map<string, number>();
  for (const w of wanted) counts.set(w, (counts.get(w) ?? 0) + 1);
  const reserved = new Set(replies.map((_, i) => stand(i)));
  return wanted.map((w, i) =>
    w.length <= limit && counts.get(w) === 1 && !reserved.has(w) && w.trim() === w ? w : stand(i),
  );
}

/** Buttons when WhatsApp can show them, else a list, else numbered text the customer can answer. */
export function layoutQuickReplies(replies: QuickReply[]): QuickReplyLayout {
  const titles = replies.map((r) => r.text.trim());
  const uniqueTitles = new Set(titles).size === titles.length;
  const options = (ids: string[]) =>
    replies.map((r, i) => ({ id: ids[i]!, title: titles[i]!, text: r.text, payload: r.payload || r.text }));
  if (
    replies.length <= MAX_BUTTONS &&
    uniqueTitles &&
    titles.every((t) => t.length > 0 && t.length <= BUTTON_TITLE_LIMIT)
  ) {
    return { kind: 'button', options: options(assignIds(replies, BUTTON_ID_LIMIT)) };
  }
  if (replies.length <= MAX_ROWS && titles.every((t) => t.length > 0 && t.length <= ROW_DESCRIPTION_LIMIT)) {
    return {
      kind: 'list',
      options: options(assignIds(replies, ROW_ID_LIMIT)).map((o) =>
        o.title.length <= ROW_TITLE_LIMIT
          ? o
          : { ...o, title: shorten(o.title, ROW_TITLE_LIMIT), description: o.title },
      ),
    };
  }
  return { kind: 'text', options: options(replies.map((_, i) => String(i + 1))) };
}

/** The agent's option a WhatsApp tap (button or row id) stands for. */
export function restoreTap(replies: QuickReply[], tappedId: string): { text: string; payload: string } | undefined {
  const layout = layoutQuickReplies(replies);
  if (layout.kind === 'text') return undefined;
  const option = layout.options.find((o) => o.id === tappedId);
  return option ? { text: option.text, payload: option.payload } : undefined;
}
