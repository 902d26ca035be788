/**
 * Thin typed client for Meta's Graph API (WhatsApp Cloud API). GRAPH_API_BASE overrides
 * https://graph.facebook.com for tests, the sandbox and the benchmark.
 */
import { z } from 'zod';
import type { Config } from '../env';
import { UpstreamError } from '../domain/errors';
import { classifyHttp, classifyThrown } from '../domain/retry';
import { callJson } from './http';

export function graphBase(cfg: Config): string {
  return `${cfg.GRAPH_API_BASE ?? 'https://graph.facebook.com'}/${cfg.GRAPH_API_VERSION}`;
}

export const MediaInfo = z.looseObject({
  url: z.url(),
  mime_type: z.string().min(1),
  file_size: z.union([z.number(), z.string()]).optional(),
  id: z.string().optional(),
});
export type MediaInfo = z.infer<typeof MediaInfo>;

/** GET /{media-id}: Meta answers a short-lived download URL (valid about 5 minutes). */
export function getMediaInfo(cfg: Config, mediaId: string, accessToken: string): Promise<MediaInfo> {
  return callJson(
    `${graphBase(cfg)}/${encodeURIComponent(mediaId)}`,
    { headers: { authorization: `Bearer ${accessToken}` } },
    { service: 'graph', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: MediaInfo },
  );
}

/**
 * Hosts Meta serves media from. The download needs the tenant's access token, so it is only ever
 * sent to these (or to the configured GRAPH_API_BASE host), never to whatever a response names.
 */
const MEDIA_HOST_SUFFIXES = ['.fbsbx.com', '.fbcdn.net', '.facebook.com', '.whatsapp.net'];

export function isTrustedMediaUrl(cfg: Config, raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (cfg.GRAPH_API_BASE && url.origin === new URL(cfg.GRAPH_API_BASE).origin) return true;
  return url.protocol === 'https:' && MEDIA_HOST_SUFFIXES.some((s) => url.hostname.endsWith(s));
}

/** Streams the media bytes; the caller pipes the body straight to its client. */
export async function downloadMedia(cfg: Config, url: string, accessToken: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}` },
      redirect: 'manual',
      signal: AbortSignal.timeout(cfg.UPSTREAM_TIMEOUT_MS),
    });
  } catch (err) {
    throw new UpstreamError(classifyThrown(err, 'graph'));
  }
  if (!response.ok) {
    throw new UpstreamError(classifyHttp(response.status, await response.text(), response.headers.get('retry-after'), 'graph'));
  }
  return response;
}

export const PhoneNumberInfo = z.looseObject({
  id: z.string(),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
});

/** GET /{phone-number-id}: proves the access token can act for this number. */
export function getPhoneNumber(cfg: Config, phoneNumberId: string, accessToken: string) {
  return callJson(
    `${graphBase(cfg)}/${encodeURIComponent(phoneNumberId)}?fields=display_phone_number,verified_name,quality_rating`,
    { headers: { authorization: `Bearer ${accessToken}` } },
    { service: 'graph', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: PhoneNumberInfo },
  );
}
