/**
 * The conversation's read model: both directions, oldest first, with delivery state — what the
 * dashboard timeline and the agent widget's history show. Pure mapping of the lanes' rows.
 */
import { mediaOf } from '../workers/domain/inbound.media';
import { inboundLabel, outboundLabel } from '../workers/domain/timeline-label';
import type { OutboundQueueMessage } from '../workers/schemas/queue.schema';
import { snippetOf } from './conversation.inbound.store';
import type { OutboundTimelineRow } from './conversation.outbound.store';
import type { TimelineEntry, WaMessageItem } from './conversation.types';

export function inboundEntry(row: {
  wamid: string;
  ts: number;
  state: string;
  item: string | null;
  last_error: string | null;
}): TimelineEntry {
  const message = row.item ? (JSON.parse(row.item) as WaMessageItem).message : undefined;
  const media = message ? mediaOf(message) : undefined;
  const { kind, type, label } = message
    ? inboundLabel(message)
    : { kind: 'message' as const, type: 'unknown', label: 'A message (erased or not kept)' };
  return {
    id: row.wamid,
    direction: 'inbound',
    at: row.ts * 1000,
    kind,
    type,
    label,
    text: message ? (snippetOf(message, 4096) ?? undefined) : undefined,
    ...(media ? { media: { id: media.id, mime: media.mime } } : {}),
    state: row.state,
    ...(row.last_error ? { error: row.last_error } : {}),
  };
}

/**
 * `allowMediaUrl`: only links the bridge would hand WhatsApp (https on an allowed host) are shown;
 * an agent message refused for its link (say `javascript:`) keeps it out of the dashboard and widget.
 */
export function outboundEntry(row: OutboundTimelineRow, allowMediaUrl: (url: string) => boolean): TimelineEntry {
  const message = row.item ? (JSON.parse(row.item) as OutboundQueueMessage).message : undefined;
  const attachment = message?.content?.find((c) => c.attachment)?.attachment;
  const template = message?.content?.find((c) => c.template)?.template;
  const { kind, type, label } = message
    ? outboundLabel(message)
    : { kind: 'message' as const, type: 'unknown', label: 'A message (erased or not kept)' };
  return {
    id: row.genesys_id,
    direction: 'outbound',
    at: row.created_at,
    kind,
    type,
    label,
    text: message?.text ?? (template ? `Template ${template.name ?? template.id}` : undefined),
    ...(attachment?.url && allowMediaUrl(attachment.url)
      ? { media: { url: attachment.url, mime: attachment.mime ?? 'application/octet-stream' } }
      : {}),
    state: row.state,
    ...(row.receipt ? { receipt: row.receipt } : {}),
    ...(row.last_error ? { error: row.last_error } : {}),
  };
}

/** Merges both directions (each read newest first) into one list, oldest first, at most `limit` long. */
export function mergeTimeline(
  inboundNewestFirst: TimelineEntry[],
  outboundNewestFirst: TimelineEntry[],
  limit: number,
): TimelineEntry[] {
  // Reversed, a stable sort keeps arrival order for equal times.
  return [...inboundNewestFirst.reverse(), ...outboundNewestFirst.reverse()].sort((a, b) => a.at - b.at).slice(-limit);
}
