/**
 * Retry policy: which upstream answers are worth another try, and when.
 * Pure; the clients classify, the Durable Object and queue consumers schedule.
 */
import type { UpstreamFailure } from './errors';
import { parseRetryAfter, RETRY_AFTER_CAP_MS } from './retry-after';

/** Upstream bodies are cut before they are stored or logged: they may echo customer content. */
export function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Maps an HTTP answer from Meta or Genesys onto retry semantics. */
export function classifyHttp(
  status: number,
  body: string,
  retryAfter: string | null,
  service: string,
): UpstreamFailure {
  const detail = `${service} answered ${status}: ${truncate(body)}`;
  if (status === 401) return { kind: 'unauthorized', code: `${service}_unauthorized`, detail };
  if (status === 429 || status === 408 || status >= 500) {
    return { kind: 'retryable', code: `${service}_${status}`, detail, retryAfterMs: parseRetryAfter(retryAfter) };
  }
  return { kind: 'permanent', code: `${service}_${status}`, detail };
}

/** Network errors and our own timeouts are always worth a retry. */
export function classifyThrown(err: unknown, service: string): UpstreamFailure {
  const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
  return {
    kind: 'retryable',
    code: timedOut ? `${service}_timeout` : `${service}_network`,
    detail: err instanceof Error ? truncate(err.message) : 'unknown network error',
  };
}

/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a random delay in [0, min(cap, base·2^attempt)], so retries of many conversations spread out.
 * A server's Retry-After is obeyed as given (up to {@link RETRY_AFTER_CAP_MS}, not `capMs`), since
 * retrying earlier only earns another 429 and spends an attempt.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  retryAfterMs?: number,
  capMs = 5 * 60_000,
  random = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, RETRY_AFTER_CAP_MS);
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/** What to do with a message after an upstream failure; shared by every delivery lane. */
export type NextStep =
  | { kind: 'fail' }
  | { kind: 'dead_letter'; attempts: number }
  | { kind: 'retry'; attempts: number; delayMs: number };

export function nextStep(
  failure: UpstreamFailure,
  previousAttempts: number,
  maxAttempts: number,
  baseMs: number,
): NextStep {
  if (failure.kind === 'permanent') return { kind: 'fail' };
  const attempts = previousAttempts + 1;
  if (attempts >= maxAttempts) return { kind: 'dead_letter', attempts };
  return {
    kind: 'retry',
    attempts,
    delayMs: backoffMs(attempts, baseMs, failure.kind === 'retryable' ? failure.retryAfterMs : undefined),
  };
}
