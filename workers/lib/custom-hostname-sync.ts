/**
 * Brings D1 in line with Cloudflare for SaaS: copies Cloudflare's view of pending hostnames into
 * D1 (a hostname starts routing once Cloudflare reports it active) and carries out the deletions
 * owed to Cloudflare (custom_hostname_deletions). Used by the cron (scheduled/custom-hostnames.job.ts),
 * the hostnames routes (a deletion is tried at once) and tenant offboarding. Every step is
 * idempotent and bounded; a failure is recorded and left for the next run.
 */
import type { Env } from '../env';
import {
  type CloudflareSaas,
  cloudflareSaas,
  deleteCustomHostname,
  getCustomHostname,
} from '../clients/cloudflare.client';
import { GONE_STATUS, hostnameState, isRoutable } from '../domain/custom-hostname';
import { UpstreamError } from '../domain/errors';
import {
  deletionDone,
  deletionFailed,
  hostnamesToRefresh,
  owedDeletions,
  recordHostnameError,
  recordHostnameState,
} from '../db/custom-hostnames.repo';
import { forgetHost } from '../db/tenant-host.repo';
import { log } from './log';

/** Hostnames asked about per run: each is one Cloudflare request (Cloudflare allows 1200 per 5 minutes). */
export const REFRESH_BATCH = 50;
/** Owed deletions tried per run. */
export const DELETION_BATCH = 50;

const codeOf = (err: unknown) => (err instanceof UpstreamError ? err.failure.code : 'internal_error');

/** Asks Cloudflare about hostnames still on their way to active; answers how many became routable. */
export async function refreshPendingHostnames(
  env: Env,
  cf: CloudflareSaas,
  now: number,
): Promise<{ checked: number; activated: number; failed: number }> {
  const rows = await hostnamesToRefresh(env, REFRESH_BATCH, now);
  let activated = 0;
  let failed = 0;
  for (const row of rows) {
    const cfId = row.cfId!;
    try {
      const result = await getCustomHostname(cf, cfId);
      const state = result
        ? hostnameState(result)
        : { status: GONE_STATUS, sslStatus: null, records: [], errors: ['Cloudflare no longer has this hostname'] };
      await recordHostnameState(env, cfId, state, now);
      if (state.status !== row.status) {
        // This isolate routes (or stops routing) at once; others within the tenant cache's staleness bound.
        forgetHost(row.hostname);
        if (isRoutable(state.status)) activated++;
        log.info('custom_hostname.status', { tenantId: row.tenantId, hostname: row.hostname, status: state.status });
      }
    } catch (err) {
      failed++;
      await recordHostnameError(env, cfId, codeOf(err), now);
      log.warn('custom_hostname.refresh_failed', { hostname: row.hostname, error: codeOf(err) });
    }
  }
  return { checked: rows.length, activated, failed };
}

/**
 * Deletes at Cloudflare what the bridge no longer routes (all owed, or those of one hostname);
 * answers how many were done and how many failed (kept, with their error, for the next run).
 */
export async function settleOwedDeletions(
  env: Env,
  options: { hostname?: string; cfId?: string; cf?: CloudflareSaas } = {},
): Promise<{ deleted: number; failed: number; lastError?: string }> {
  const cf = options.cf ?? cloudflareSaas(env);
  if (!cf) return { deleted: 0, failed: 0 };
  const owed = (await owedDeletions(env, DELETION_BATCH, options.hostname)).filter(
    (d) => !options.cfId || d.cfId === options.cfId,
  );
  const done: string[] = [];
  let failed = 0;
  let lastError: string | undefined;
  for (const d of owed) {
    try {
      await deleteCustomHostname(cf, d.cfId);
      done.push(d.cfId);
    } catch (err) {
      failed++;
      lastError = codeOf(err);
      await deletionFailed(env, d.cfId, lastError);
      log.warn('custom_hostname.delete_failed', { hostname: d.hostname, attempts: d.attempts + 1, error: lastError });
    }
  }
  await deletionDone(env, done);
  return { deleted: done.length, failed, lastError };
}
