/**
 * Every Genesys call of a conversation goes through the tenant gate: a permit (the 300/min budget)
 * with the current token, and one more try after a 401 with a token the gate refreshed once for
 * every caller. Errors do not keep their class across Durable Object RPC, so the gate answers values.
 */
import type { Env } from '../workers/env';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';

export type PermitOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'wait'; waitMs: number }
  | { kind: 'failed'; failure: UpstreamFailure };

function failureOf(err: unknown, service: string): UpstreamFailure {
  if (err instanceof UpstreamError) return err.failure;
  return { kind: 'retryable', code: `${service}_error`, detail: err instanceof Error ? err.message : String(err) };
}

/** Runs `call` with a permitted token; `wait` when the budget is spent (no attempt spent). */
export async function withGenesysPermit<T>(
  env: Env,
  tenantId: string,
  call: (token: string) => Promise<T>,
): Promise<PermitOutcome<T>> {
  const gate = env.TENANT_GATE.getByName(tenantId);
  let rejected: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let token: string;
    try {
      const permit = await gate.acquire(tenantId, rejected);
      if (!permit.ok)
        return 'waitMs' in permit
          ? { kind: 'wait', waitMs: permit.waitMs }
          : { kind: 'failed', failure: permit.failure };
      token = permit.token;
    } catch (err) {
      return { kind: 'failed', failure: failureOf(err, 'genesys_login') };
    }
    try {
      return { kind: 'ok', value: await call(token) };
    } catch (err) {
      const failure = failureOf(err, 'genesys');
      if (failure.kind === 'unauthorized' && attempt === 0) {
        rejected = token;
        continue;
      }
      // A second 401 means the credentials themselves are wrong: retried with backoff, so fixing
      // them in time still delivers, and dead-lettered (replayable) otherwise.
      return { kind: 'failed', failure: failure.kind === 'unauthorized' ? { ...failure, kind: 'retryable' } : failure };
    }
  }
  return {
    kind: 'failed',
    failure: { kind: 'retryable', code: 'genesys_unauthorized', detail: 'token refused twice' },
  };
}
