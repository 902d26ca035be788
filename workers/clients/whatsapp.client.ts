/**
 * Thin typed client for Meta's Graph API (WhatsApp Cloud API). GRAPH_API_BASE overrides
 * https://graph.facebook.com for tests, the sandbox and the benchmark.
 */
import { z } from 'zod';
import type { Config } from '../env';
import { UpstreamError, type UpstreamFailure } from '../domain/errors';
import { classifyHttp, classifyThrown } from '../domain/retry';
import { parseRetryAfter } from '../domain/retry-after';
import { callJson } from './http';
import { RETRYABLE_WA_CODES, WA_ERRORS } from '../domain/whatsapp-errors';

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
    throw new UpstreamError(
      classifyHttp(response.status, await response.text(), response.headers.get('retry-after'), 'graph'),
    );
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

const WabaPhoneNumbers = z.looseObject({
  data: z.array(z.looseObject({ id: z.string() })),
  paging: z
    .looseObject({ cursors: z.looseObject({ after: z.string().optional() }).optional(), next: z.string().optional() })
    .optional(),
});

/** Pages of a WABA's numbers read at most; Graph's default page is 25 numbers. */
const MAX_NUMBER_PAGES = 10;

/**
 * GET /{waba-id}/phone_numbers with the tenant's token: the ids of every number of the WhatsApp
 * Business Account, as far as that token may see them. A refused token (190) comes back as an
 * `unauthorized` failure; an unknown WABA, or one the token may not read, as a `permanent` one.
 * A failed answer's {@link UpstreamError} carries its HTTP status, and its Retry-After is read.
 */
export async function listWabaPhoneNumberIds(cfg: Config, wabaId: string, accessToken: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_NUMBER_PAGES; page++) {
    const query = new URLSearchParams({ fields: 'id' });
    if (after) query.set('after', after);
    let response: Response;
    try {
      response = await fetch(`${graphBase(cfg)}/${encodeURIComponent(wabaId)}/phone_numbers?${query}`, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(cfg.UPSTREAM_TIMEOUT_MS),
      });
    } catch (err) {
      throw new UpstreamError(classifyThrown(err, 'graph'));
    }
    const text = await response.text();
    if (!response.ok)
      throw new UpstreamError(
        classifyGraphError(response.status, text, 0, response.headers.get('retry-after')),
        response.status,
      );
    let body: z.infer<typeof WabaPhoneNumbers>;
    try {
      body = WabaPhoneNumbers.parse(JSON.parse(text));
    } catch {
      throw new UpstreamError({
        kind: 'retryable',
        code: 'graph_bad_response',
        detail: 'unexpected phone_numbers body',
      });
    }
    ids.push(...body.data.map((n) => n.id));
    // Graph pagination: a page with more after it carries `paging.next` (our base, not that URL, is used).
    after = body.paging?.next ? body.paging.cursors?.after : undefined;
    if (!after) break;
  }
  return ids;
}

// ===== Sending

const GraphError = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    code: z.number(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
  }),
});

/**
 * Classifies a Graph API error answer. The WhatsApp code is kept in `code` as `whatsapp_<code>`.
 * A `Retry-After` (seconds or HTTP-date) sets the wait of any retried answer; an HTTP 429 is
 * retried whatever its code says.
 */
export function classifyGraphError(
  status: number,
  body: string,
  pairIntervalMs: number,
  retryAfter: string | null = null,
): UpstreamFailure & { waCode?: number } {
  let parsed: z.infer<typeof GraphError> | undefined;
  try {
    const result = GraphError.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return { ...classifyHttp(status, body, retryAfter, 'whatsapp') };
  const waCode = parsed.error.code;
  const detail = `${waCode}: ${parsed.error.message ?? 'error'}${parsed.error.error_data?.details ? ` (${parsed.error.error_data.details})` : ''}`;
  const code = `whatsapp_${waCode}`;
  const asked = parseRetryAfter(retryAfter);
  if (waCode === WA_ERRORS.tokenInvalid) return { kind: 'unauthorized', code, detail, waCode };
  if (waCode === WA_ERRORS.pairRate)
    return { kind: 'retryable', code, detail, retryAfterMs: Math.max(pairIntervalMs, asked ?? 0), waCode };
  if (RETRYABLE_WA_CODES.has(waCode) || status === 429 || status >= 500)
    return { kind: 'retryable', code, detail, ...(asked === undefined ? {} : { retryAfterMs: asked }), waCode };
  return { kind: 'permanent', code, detail, waCode };
}

const SendResponse = z.looseObject({ messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1) });

async function postMessages(
  cfg: Config,
  phoneNumberId: string,
  accessToken: string,
  body: unknown,
  pairIntervalMs: number,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${graphBase(cfg)}/${encodeURIComponent(phoneNumberId)}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(cfg.UPSTREAM_TIMEOUT_MS),
    });
  } catch (err) {
    throw new UpstreamError(classifyThrown(err, 'whatsapp'));
  }
  const text = await response.text();
  if (!response.ok)
    throw new UpstreamError(
      classifyGraphError(response.status, text, pairIntervalMs, response.headers.get('retry-after')),
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError({ kind: 'retryable', code: 'whatsapp_bad_response', detail: 'non-JSON answer' });
  }
}

/** POST /{phone-number-id}/messages; answers the wamid WhatsApp gave the message. */
export async function sendMessage(
  cfg: Config,
  phoneNumberId: string,
  accessToken: string,
  body: unknown,
  pairIntervalMs: number,
): Promise<string> {
  const parsed = SendResponse.safeParse(await postMessages(cfg, phoneNumberId, accessToken, body, pairIntervalMs));
  if (!parsed.success)
    throw new UpstreamError({
      kind: 'retryable',
      code: 'whatsapp_bad_response',
      detail: 'no message id in the answer',
    });
  return parsed.data.messages[0]!.id;
}

/** The body that marks a customer message read ("Mark messages as read"), with the typing indicator ("Typing indicators"). */
export function readMarkBody(wamid: string, typing: boolean) {
  return {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: wamid,
    ...(typing ? { typing_indicator: { type: 'text' } } : {}),
  };
}

/** Marks a customer message read, optionally showing the typing indicator (which also marks it read). */
export async function markRead(
  cfg: Config,
  phoneNumberId: string,
  accessToken: string,
  wamid: string,
  typing: boolean,
): Promise<void> {
  await postMessages(cfg, phoneNumberId, accessToken, readMarkBody(wamid, typing), 0);
}

const TemplateList = z.looseObject({
  data: z.array(
    z.looseObject({
      name: z.string(),
      language: z.string(),
      status: z.string().optional(),
      components: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).optional(),
    }),
  ),
});

/** GET /{waba-id}/message_templates: the templates Meta approved for this account. */
export async function listApprovedTemplates(cfg: Config, wabaId: string, accessToken: string) {
  const list = await callJson(
    `${graphBase(cfg)}/${encodeURIComponent(wabaId)}/message_templates?status=APPROVED&fields=name,language,status,components&limit=100`,
    { headers: { authorization: `Bearer ${accessToken}` } },
    { service: 'graph', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: TemplateList },
  );
  return list.data
    .filter((t) => !t.status || t.status === 'APPROVED')
    .map((t) => {
      const body = t.components?.find((c) => c.type.toUpperCase() === 'BODY')?.text ?? '';
      return { name: t.name, language: t.language, body, parameters: new Set(body.match(/\{\{\d+\}\}/g) ?? []).size };
    });
}
