/**
 * The bridge's error vocabulary. Codes are stable strings: clients and operators match on them,
 * messages may change. `app.onError` is the only place that turns an {@link AppError} into HTTP.
 */

export type ErrorCode =
  | 'invalid_signature'
  | 'missing_signature'
  | 'payload_too_large'
  | 'malformed_json'
  | 'invalid_body'
  | 'invalid_cursor'
  | 'unknown_tenant'
  | 'tenant_mismatch'
  | 'verification_failed'
  | 'invalid_media_token'
  | 'media_unavailable'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'rate_limited'
  | 'sign_in_throttled'
  | 'phone_number_not_in_waba'
  | 'whatsapp_token_refused'
  | 'genesys_client_refused'
  | 'default_client'
  | 'pool_full'
  | 'too_many_channels'
  | 'whatsapp_busy'
  | 'upstream_failed'
  | 'hostnames_unconfigured'
  | 'cloudflare_failed'
  | 'cloudflare_refused'
  | 'not_found'
  | 'enqueue_failed'
  | 'internal_error';

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 502 | 503,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

/** Turns zod issues into `{path, message}` pairs a caller can act on. */
export function fieldIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): FieldIssue[] {
  return issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** Outcome of an upstream call, classified once so every caller retries the same way. */
export type UpstreamFailure =
  | { kind: 'retryable'; code: string; detail: string; retryAfterMs?: number }
  | { kind: 'permanent'; code: string; detail: string }
  | { kind: 'unauthorized'; code: string; detail: string };

/** Raised by upstream clients; carries the classification the caller needs. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly failure: UpstreamFailure,
    /** The upstream's HTTP status, when the failure was an answer (not set by every client). */
    readonly status?: number,
  ) {
    super(`${failure.code}: ${failure.detail}`);
  }
}
