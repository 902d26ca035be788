/**
 * The simulated Meta's stateless reads: approved templates, the demo business account's phone
 * numbers, media lookups and downloads of the demo customer's photo (all need the access token, as
 * Graph does), and the sandbox's own images.
 */
import { wabaPhoneNumbers, type WabaAccount } from '../meta-accounts.contract';
import { graphError } from '../meta-send.contract';
import { AGENT_PHOTO_PNG, CUSTOMER_PHOTO_PNG } from './assets';
import demo from './demo-tenant.json';
import { TEMPLATES, json } from './simulator.state';

/** GET /{waba-id}/message_templates */
export function templates(authorization: string | null): Response {
  if (authorization !== `Bearer ${demo.whatsapp.accessToken}`)
    return json(graphError(190, 'Error validating access token'), 401);
  return json({
    data: TEMPLATES.map((t) => ({ ...t, status: 'APPROVED', category: 'UTILITY' })),
    paging: { cursors: { before: 'a', after: 'b' } },
  });
}

/**
 * The demo business account: the demo tenant's number, and a spare one not bridged yet (to try
 * the dashboard's onboarding wizard with: same account and token, number 100000000000002).
 */
const DEMO_WABA: WabaAccount = {
  numbers: [
    { id: demo.whatsapp.phoneNumberId, display_phone_number: demo.displayPhoneNumber, verified_name: demo.name },
    {
      id: demo.spareNumber.phoneNumberId,
      display_phone_number: demo.spareNumber.displayPhoneNumber,
      verified_name: demo.name,
    },
  ],
  tokens: [demo.whatsapp.accessToken],
};

/** GET /{waba-id}/phone_numbers */
export function phoneNumbers(wabaId: string, authorization: string | null): Response {
  const account = wabaId === demo.whatsapp.wabaId ? DEMO_WABA : undefined;
  const { status, body } = wabaPhoneNumbers(wabaId, authorization, account, (t) => t === demo.whatsapp.accessToken);
  return json(body, status);
}

/** GET /{phone-number-id}, for a number of the demo account; null for any other id. */
export function phoneNumber(id: string, authorization: string | null): Response | null {
  const number = DEMO_WABA.numbers.find((n) => n.id === id);
  if (!number) return null;
  if (authorization !== `Bearer ${demo.whatsapp.accessToken}`)
    return json({ error: { code: 190, message: 'Error validating access token' } }, 401);
  return json(number);
}

export function mediaInfo(id: string, authorization: string | null, origin: string): Response {
  if (authorization !== `Bearer ${demo.whatsapp.accessToken}`)
    return json(graphError(190, 'Error validating access token'), 401);
  if (id !== 'sim-customer-photo')
    return json(graphError(100, `Unsupported get request. Object with ID '${id}' does not exist`), 400);
  return json({
    messaging_product: 'whatsapp',
    url: `${origin}/graph/download/${id}`,
    mime_type: 'image/png',
    sha256: 'sim',
    file_size: 1,
    id,
  });
}

export function mediaDownload(id: string, authorization: string | null): Response {
  if (authorization !== `Bearer ${demo.whatsapp.accessToken}`) return new Response('unauthorized', { status: 401 });
  if (id !== 'sim-customer-photo') return new Response('not found', { status: 404 });
  return new Response(
    Uint8Array.from(atob(CUSTOMER_PHOTO_PNG), (c) => c.charCodeAt(0)),
    { headers: { 'content-type': 'image/png' } },
  );
}

export function assetPng(name: string): Response {
  const data = name === 'agent.png' ? AGENT_PHOTO_PNG : name === 'customer.png' ? CUSTOMER_PHOTO_PNG : null;
  if (!data) return new Response('not found', { status: 404 });
  return new Response(
    Uint8Array.from(atob(data), (c) => c.charCodeAt(0)),
    { headers: { 'content-type': 'image/png', 'cache-control': 'no-store' } },
  );
}
