/**
 * The simulated Meta's stateless reads: approved templates, media lookups and downloads of the
 * demo customer's photo (both need the access token, as Graph does), and the sandbox's own images.
 */
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
