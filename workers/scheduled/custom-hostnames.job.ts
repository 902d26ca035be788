/**
 * Custom hostnames (Cloudflare for SaaS): every tick asks Cloudflare about hostnames not yet active
 * (a bounded batch, least recently checked first) so GET shows their verification records and
 * certificate status as they change and a hostname starts routing once Cloudflare reports it
 * active; and retries the deletions Cloudflare has not confirmed yet. Nothing to do without the
 * CLOUDFLARE_SAAS_ZONE_ID / CLOUDFLARE_SAAS_API_TOKEN secrets.
 */
import { cloudflareSaas } from '../clients/cloudflare.client';
import { refreshPendingHostnames, settleOwedDeletions } from '../lib/custom-hostname-sync';
import type { ScheduledJob } from './jobs';

export const customHostnamesJob: ScheduledJob = {
  name: 'custom-hostnames',
  async run(env, _ctx, now): Promise<Record<string, number | boolean>> {
    const cf = cloudflareSaas(env);
    if (!cf) return { configured: false };
    const refreshed = await refreshPendingHostnames(env, cf, now);
    const deletions = await settleOwedDeletions(env, { cf });
    return {
      checked: refreshed.checked,
      activated: refreshed.activated,
      refreshFailed: refreshed.failed,
      deleted: deletions.deleted,
      deleteFailed: deletions.failed,
    };
  },
};
