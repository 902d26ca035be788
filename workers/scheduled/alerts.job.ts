/**
 * Alerts: on every tick, for each tenant with at least one alert channel, gathers the signals
 * (D1: credential status, dead letters, backlog; the tenant gate and its pool client gates:
 * forged signatures, webhook arrivals, token refusals), applies the rules (domain/alert-rules.ts)
 * with the tick's time, and
 * - opens an incident when a rule fires and none of its type is open: one `firing` notice per channel;
 * - resolves it when the rule no longer fires: one `resolved` notice per channel;
 * - leaves an open incident alone while it keeps firing (once per incident, not once per tick);
 * - sends every notice still due, oldest first; a refused one is tried again on the next tick, up
 *   to ALERT_DELIVERY_MAX_ATTEMPTS attempts, and its status is kept with the incident.
 *
 * A suspended tenant is not evaluated (its traffic is stopped on purpose); its open incidents stay
 * as they are until it is active again. Tenants are evaluated one after another; one that fails is
 * logged and the others still run.
 */
import { config, type Env } from '../env';
import {
  ALERT_TYPES,
  type AlertSignals,
  type AlertType,
  DEAD_LETTER_WINDOW_MS,
  evaluateAlerts,
  GENESYS_REJECTION_WINDOW_MS,
} from '../domain/alert-rules';
import { budgetShardName, DEFAULT_CLIENT_ENTRY } from '../domain/genesys-pool';
import {
  type AlertChannel,
  dueDeliveries,
  listAlertChannels,
  openAlert,
  openAlertsOf,
  recordDelivery,
  resolveAlert,
  tenantsWithAlertChannels,
} from '../db/alerts.repo';
import { tenantBacklog } from '../db/conversations.repo';
import { countUnreplayedDeadLetters, genesysRejectionsSince } from '../db/records.repo';
import { loadTenant, type Tenant } from '../db/tenants.repo';
import { sendNotice } from '../clients/alert-webhook.client';
import { log } from '../lib/log';
import type { ScheduledJob } from './jobs';

type TickCounts = {
  opened: number;
  resolved: number;
  sent: number;
  failed: number;
};

export const alertsJob: ScheduledJob = {
  name: 'alerts',
  async run(env, _ctx, now) {
    const counts: TickCounts & { tenants: number; errors: number } = {
      tenants: 0,
      errors: 0,
      opened: 0,
      resolved: 0,
      sent: 0,
      failed: 0,
    };
    for (const tenantId of await tenantsWithAlertChannels(env)) {
      try {
        const tenant = await loadTenant(env, tenantId);
        if (!tenant) continue;
        counts.tenants++;
        const channels = await listAlertChannels(env, tenantId);
        if (tenant.status === 'active') await evaluate(env, tenant, channels, now, counts);
        await deliver(env, tenant, channels, now, counts);
      } catch (err) {
        counts.errors++;
        log.error('alerts.tenant_failed', { tenantId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return counts;
  },
};

/** The tenant's signals at `now`. */
async function signalsOf(env: Env, tenant: Tenant, now: number): Promise<AlertSignals> {
  const [gate, pool, deadLetters, backlog, genesysRejections] = await Promise.all([
    env.TENANT_GATE.getByName(tenant.id).alertSignals(now),
    Promise.all(
      tenant.genesysClients.map(async (c) => ({
        client: c.id,
        failure: (await env.TENANT_GATE.getByName(budgetShardName(tenant.id, c.id)).alertSignals(now)).genesysAuth,
      })),
    ),
    countUnreplayedDeadLetters(env, tenant.id, now - DEAD_LETTER_WINDOW_MS),
    tenantBacklog(env, tenant.id),
    genesysRejectionsSince(env, tenant.id, now - GENESYS_REJECTION_WINDOW_MS),
  ]);
  const oldest = [backlog.inbound, backlog.outbound]
    .filter((b) => b.count > 0 && b.oldestAt !== null)
    .map((b) => b.oldestAt!);
  return {
    whatsappCredential: tenant.whatsapp.credentialStatus,
    genesysAuth: [{ client: DEFAULT_CLIENT_ENTRY, failure: gate.genesysAuth }, ...pool].flatMap(
      ({ client, failure }) => (failure ? [{ client, since: failure.since, code: failure.code }] : []),
    ),
    genesysRejections,
    deadLetters,
    signatureFailures: gate.signatureFailures,
    backlogOldestAt: oldest.length > 0 ? Math.min(...oldest) : null,
    arrivals: gate.arrivals,
  };
}

async function evaluate(
  env: Env,
  tenant: Tenant,
  channels: AlertChannel[],
  now: number,
  counts: TickCounts,
): Promise<void> {
  const cfg = config(env);
  const verdict = evaluateAlerts(
    await signalsOf(env, tenant, now),
    {
      backlogAgeMs: cfg.ALERT_BACKLOG_AGE_MS,
      signatureFailures: cfg.ALERT_SIGNATURE_FAILURES,
      silenceFactor: cfg.ALERT_SILENCE_FACTOR,
      silenceMinMs: cfg.ALERT_SILENCE_MIN_MS,
    },
    now,
  );
  const open = new Map((await openAlertsOf(env, tenant.id)).map((a) => [a.type, a]));
  const channelIds = channels.map((c) => c.id);
  for (const type of ALERT_TYPES) {
    const detail = verdict[type];
    const current = open.get(type);
    if (detail !== null && !current) {
      if (await openAlert(env, tenant.id, { id: crypto.randomUUID(), type, detail, at: now }, channelIds)) {
        counts.opened++;
        log.warn('alerts.opened', { tenantId: tenant.id, type, detail });
      }
    } else if (detail === null && current) {
      if (await resolveAlert(env, tenant.id, current.id, now, channelIds)) {
        counts.resolved++;
        log.info('alerts.resolved', { tenantId: tenant.id, type });
      }
    }
  }
}

async function deliver(
  env: Env,
  tenant: Tenant,
  channels: AlertChannel[],
  now: number,
  counts: TickCounts,
): Promise<void> {
  const { ALERT_DELIVERY_MAX_ATTEMPTS: maxAttempts, UPSTREAM_TIMEOUT_MS: timeoutMs } = config(env);
  const due = await dueDeliveries(env, tenant.id, maxAttempts);
  if (due.length === 0) return;
  for (const { delivery, alert } of due) {
    const channel = channels.find((c) => c.id === delivery.channelId);
    if (!channel) continue;
    const result = await sendNotice(
      channel,
      {
        id: alert.id,
        type: alert.type as AlertType,
        state: delivery.notice,
        tenantId: tenant.id,
        tenantName: tenant.name,
        detail: alert.detail,
        openedAt: alert.openedAt,
        resolvedAt: alert.resolvedAt,
      },
      timeoutMs,
    );
    await recordDelivery(env, delivery, result, now, maxAttempts);
    if (result.ok) counts.sent++;
    else {
      counts.failed++;
      log.warn('alerts.delivery_failed', { tenantId: tenant.id, channelId: channel.id, error: result.error });
    }
  }
}
