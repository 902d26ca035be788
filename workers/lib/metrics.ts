/**
 * Per-tenant metrics on Workers Analytics Engine: one data point per message outcome.
 * Schema (stable; queries depend on it): index1 = tenant id; blob1 = direction (inbound |
 * outbound), blob2 = outcome (delivered | failed | dead_lettered | retried); double1 = latency in
 * ms from our receipt of the message to the upstream's acceptance (0 when not applicable).
 * Writes never throw: metrics must not fail a delivery.
 */
import type { Env } from '../env';

export type Outcome = 'delivered' | 'failed' | 'dead_lettered' | 'retried';

export function recordOutcome(
  env: Env,
  tenantId: string,
  direction: 'inbound' | 'outbound',
  outcome: Outcome,
  latencyMs = 0,
): void {
  try {
    env.METRICS?.writeDataPoint({
      indexes: [tenantId],
      blobs: [direction, outcome],
      doubles: [Math.max(0, latencyMs)],
    });
  } catch {
    /* Analytics Engine unavailable: the structured log line carries the same facts */
  }
}
