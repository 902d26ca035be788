/**
 * WhatsApp content Genesys has no form for, as text an agent reads: shared locations, contacts,
 * orders, WhatsApp Flows answers, and what the customer did when WhatsApp does not pass it on.
 * Pure; used by inbound.translate.ts.
 */
import { z } from 'zod';
import type { WaMessage } from '../schemas/whatsapp.schema';

/** A body for Genesys, or why the message cannot become one. */
export type Readable = { text?: string; notice?: { code: string; detail: string } } | { code: string; detail: string };

const Location = z.looseObject({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});
const SharedContact = z.looseObject({
  name: z
    .looseObject({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
    })
    .optional(),
  org: z.looseObject({ company: z.string().optional(), title: z.string().optional() }).optional(),
  phones: z.array(z.looseObject({ phone: z.string().optional(), type: z.string().optional() })).optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
});
/** v24+: what the customer did that WhatsApp does not pass on (`unsupported.type`). */
const UnsupportedKind = z.looseObject({ type: z.string() });
const UNSUPPORTED_WHAT: Record<string, string> = {
  edit: 'edited a message',
  revoke: 'deleted a message',
  poll_creation: 'sent a poll',
  poll_update: 'voted in a poll',
  pin: 'pinned a message',
  view_once: 'sent a view-once photo or video',
};
const Order = z.looseObject({
  catalog_id: z.string().optional(),
  text: z.string().optional(),
  product_items: z.array(
    z.looseObject({
      product_retailer_id: z.string(),
      quantity: z.number(),
      item_price: z.number().optional(),
      currency: z.string().optional(),
    }),
  ),
});
const Errors = z.array(
  z.looseObject({ code: z.number(), title: z.string().optional(), message: z.string().optional() }),
);

export function joinText(parts: Array<string | undefined>): string | undefined {
  const text = parts.filter((p): p is string => !!p && p.length > 0).join('\n');
  return text.length > 0 ? text : undefined;
}

function describeContact(raw: z.infer<typeof SharedContact>): string {
  const name = raw.name?.formatted_name ?? [raw.name?.first_name, raw.name?.last_name].filter(Boolean).join(' ');
  const org = raw.org?.company ? ` (${raw.org.company})` : '';
  const phones = (raw.phones ?? []).map((p) => p.phone).filter(Boolean);
  const emails = (raw.emails ?? []).map((e) => e.email).filter(Boolean);
  return [`${name || 'Unnamed contact'}${org}`, ...phones, ...emails].join(', ');
}

function formatPrice(amount: number, currency: string | undefined): string {
  return `${Number.isInteger(amount) ? amount : amount.toFixed(2)}${currency ? ` ${currency}` : ''}`;
}

export function locationBody(content: unknown): Readable {
  const loc = Location.safeParse(content);
  if (!loc.success) return { code: 'invalid_location', detail: 'location without latitude/longitude' };
  const l = loc.data;
  return {
    text: joinText([
      `📍 Shared location${l.name ? `: ${l.name}` : ''}`,
      l.address,
      `https://maps.google.com/?q=${l.latitude},${l.longitude}`,
      l.url,
    ]),
  };
}

export function contactsBody(content: unknown): Readable {
  const contacts = z.array(SharedContact).min(1).safeParse(content);
  if (!contacts.success) return { code: 'invalid_contacts', detail: 'contacts message without contacts' };
  return {
    text: joinText([`👤 Shared contact${contacts.data.length > 1 ? 's' : ''}:`, ...contacts.data.map(describeContact)]),
  };
}

export function orderBody(content: unknown): Readable {
  const order = Order.safeParse(content);
  if (!order.success) return { code: 'invalid_order', detail: 'order without product_items' };
  const items = order.data.product_items;
  const currency = items[0]?.currency;
  const total = items.reduce((sum, item) => sum + (item.item_price ?? 0) * item.quantity, 0);
  return {
    text: joinText([
      `🛒 Order${order.data.catalog_id ? ` from catalog ${order.data.catalog_id}` : ''}:`,
      ...items.map(
        (item) =>
          `${item.quantity} × ${item.product_retailer_id}${item.item_price !== undefined ? ` @ ${formatPrice(item.item_price, item.currency)}` : ''}`,
      ),
      items.every((item) => item.item_price !== undefined && item.currency === currency)
        ? `Total: ${formatPrice(total, currency)}`
        : undefined,
      order.data.text,
    ]),
  };
}

export function unsupportedBody(message: WaMessage): Readable {
  const errors = Errors.safeParse(message.errors);
  const first = errors.success ? errors.data[0] : undefined;
  const reason = first ? `${first.title ?? first.message ?? 'unknown'} (${first.code})` : 'unsupported';
  const kind = UnsupportedKind.safeParse(message.unsupported);
  const what = kind.success
    ? (UNSUPPORTED_WHAT[kind.data.type] ?? `sent a "${kind.data.type.replaceAll('_', ' ')}" message`)
    : 'sent a kind of message';
  return {
    text: `[The customer ${what}, which WhatsApp does not pass on to businesses. Ask them to send it as text or a photo if you need it.]`,
    notice: { code: 'unsupported_message', detail: kind.success ? `${reason}: ${kind.data.type}` : reason },
  };
}

/** A WhatsApp Flows answer: the form's fields as "name: value" lines, without Meta's flow token. */
export function formReply(reply: { name?: string; body?: string; response_json?: string }): string {
  let lines: string[] = [];
  try {
    lines = flatten(JSON.parse(reply.response_json ?? '{}') as unknown, '')
      .filter(([key]) => key !== 'flow_token')
      .map(([key, value]) => `${humanize(key)}: ${value}`);
  } catch {
    lines = reply.response_json ? [reply.response_json] : [];
  }
  const body = reply.body && reply.body !== 'Sent' ? reply.body : undefined;
  return (
    joinText([`📝 Form reply${reply.name && reply.name !== 'flow' ? ` (${reply.name})` : ''}`, body, ...lines]) ??
    '📝 Form reply'
  );
}

function flatten(value: unknown, prefix: string): Array<[string, string]> {
  if (Array.isArray(value))
    return value.every((v) => typeof v !== 'object' || v === null)
      ? [[prefix, value.join(', ')]]
      : value.flatMap((v, i) => flatten(v, `${prefix}.${i + 1}`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  return [[prefix, String(value)]];
}

/** Flow field names are identifiers (`screen_0_Full_name_0`); agents read words. */
function humanize(key: string): string {
  return (
    key
      .replace(/^screen_\d+_/, '')
      .replace(/_\d+$/, '')
      .replaceAll('_', ' ')
      .trim() || key
  );
}
