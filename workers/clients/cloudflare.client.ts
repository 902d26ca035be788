/**
 * Cloudflare for SaaS custom hostnames of the platform's zone (API v4): create, read, delete. Every
 * failure is an {@link UpstreamError} with a stable code: `cloudflare_<error code>` when Cloudflare
 * names one in its envelope (`cloudflare_1406` for "Duplicate custom hostname found."), else
 * `cloudflare_<HTTP status>`, `cloudflare_timeout` or `cloudflare_network`. The API token goes in
 * the Authorization header only; it is never logged or put in an error.
 */
import { config, type Env } from '../env';
import { CfCustomHostname } from '../domain/custom-hostname';
import { UpstreamError } from '../domain/errors';
import { classifyThrown, truncate } from '../domain/retry';
import { z } from 'zod';

export interface CloudflareSaas {
  base: string;
  zoneId: string;
  token: string;
  timeoutMs: number;
}

/** The zone and token of this deployment, or undefined when Cloudflare for SaaS is not configured. */
export function cloudflareSaas(env: Env): CloudflareSaas | undefined {
  if (!env.CLOUDFLARE_SAAS_ZONE_ID || !env.CLOUDFLARE_SAAS_API_TOKEN) return undefined;
  const cfg = config(env);
  return {
    base: cfg.CLOUDFLARE_API_BASE,
    zoneId: env.CLOUDFLARE_SAAS_ZONE_ID,
    token: env.CLOUDFLARE_SAAS_API_TOKEN,
    timeoutMs: cfg.UPSTREAM_TIMEOUT_MS,
  };
}

/** "Cloudflare wraps every response in {success, errors, messages, result}." */
const Envelope = z
  .object({
    success: z.boolean().optional(),
    errors: z.array(z.object({ code: z.number(), message: z.string() }).passthrough()).optional(),
    result: z.unknown().optional(),
  })
  .passthrough();

/** Cloudflare's "The custom hostname was not found." */
export const CF_NOT_FOUND = 1436;
/** Cloudflare's "Duplicate custom hostname found." */
export const CF_DUPLICATE = 1406;

async function call(cf: CloudflareSaas, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${cf.base}/zones/${encodeURIComponent(cf.zoneId)}/custom_hostnames${path}`, {
      method,
      headers: {
        authorization: `Bearer ${cf.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(cf.timeoutMs),
    });
  } catch (err) {
    throw new UpstreamError(classifyThrown(err, 'cloudflare'));
  }
  const text = await response.text();
  let parsed: z.infer<typeof Envelope> | undefined;
  try {
    const envelope = Envelope.safeParse(JSON.parse(text));
    parsed = envelope.success ? envelope.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok && parsed?.success !== false && parsed) return parsed.result;
  const first = parsed?.errors?.[0];
  const code = first ? `cloudflare_${first.code}` : `cloudflare_${response.status}`;
  const detail = `cloudflare answered ${response.status}: ${first ? `${first.code} ${truncate(first.message)}` : truncate(text)}`;
  const status = response.status;
  if (response.ok) throw new UpstreamError({ kind: 'retryable', code: 'cloudflare_bad_response', detail }, status);
  if (status === 401 || status === 403) throw new UpstreamError({ kind: 'unauthorized', code, detail }, status);
  if (status === 408 || status === 429 || status >= 500)
    throw new UpstreamError({ kind: 'retryable', code, detail }, status);
  throw new UpstreamError({ kind: 'permanent', code, detail }, status);
}

function hostnameResult(result: unknown): CfCustomHostname {
  const parsed = CfCustomHostname.safeParse(result);
  if (!parsed.success)
    throw new UpstreamError({
      kind: 'retryable',
      code: 'cloudflare_bad_response',
      detail: 'unexpected custom hostname',
    });
  return parsed.data;
}

/**
 * POST /zones/{zone_id}/custom_hostnames with TXT validation of the certificate ("One of three
 * validation methods—http, txt, email—should be used"): TXT records can be published before the
 * customer's CNAME moves, so the hostname can go live without a gap.
 */
export async function createCustomHostname(cf: CloudflareSaas, hostname: string): Promise<CfCustomHostname> {
  return hostnameResult(await call(cf, 'POST', '', { hostname, ssl: { method: 'txt', type: 'dv', settings: {} } }));
}

/** GET …/custom_hostnames/{id}; null when Cloudflare no longer has it (1436). */
export async function getCustomHostname(cf: CloudflareSaas, id: string): Promise<CfCustomHostname | null> {
  try {
    return hostnameResult(await call(cf, 'GET', `/${encodeURIComponent(id)}`));
  } catch (err) {
    if (isCloudflareCode(err, CF_NOT_FOUND)) return null;
    throw err;
  }
}

/** DELETE …/custom_hostnames/{id}; a hostname Cloudflare no longer has counts as deleted. */
export async function deleteCustomHostname(cf: CloudflareSaas, id: string): Promise<void> {
  try {
    await call(cf, 'DELETE', `/${encodeURIComponent(id)}`);
  } catch (err) {
    if (isCloudflareCode(err, CF_NOT_FOUND)) return;
    throw err;
  }
}

export function isCloudflareCode(err: unknown, code: number): boolean {
  return err instanceof UpstreamError && err.failure.code === `cloudflare_${code}`;
}
