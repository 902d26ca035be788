/**
 * The one way the bridge calls Meta or Genesys: a timeout on every request and a classified
 * {@link UpstreamError} for every failure, so retry decisions are made in one place.
 */
import { UpstreamError } from '../domain/errors';
import { classifyHttp, classifyThrown, truncate } from '../domain/retry';
import type { z } from 'zod';

export interface CallOptions<T> {
  service: 'genesys' | 'graph' | 'genesys_login';
  timeoutMs: number;
  schema: z.ZodType<T>;
}

export async function callJson<T>(url: string, init: RequestInit, options: CallOptions<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    throw new UpstreamError(classifyThrown(err, options.service));
  }
  const text = await response.text();
  if (!response.ok) {
    throw new UpstreamError(classifyHttp(response.status, text, response.headers.get('retry-after'), options.service));
  }
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : {};
  } catch {
    throw new UpstreamError({
      kind: 'retryable',
      code: `${options.service}_bad_response`,
      detail: `non-JSON body: ${truncate(text)}`,
    });
  }
  const parsed = options.schema.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError({
      kind: 'retryable',
      code: `${options.service}_bad_response`,
      detail: `unexpected body: ${truncate(text)}`,
    });
  }
  return parsed.data;
}
