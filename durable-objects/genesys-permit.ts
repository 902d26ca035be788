/**
 * Every Genesys call of a conversation spends a permit of the budget of one OAuth client (the
 * tenant's default or one of its pool, chosen by domain/genesys-pool.ts for this conversation),
 * with that client's token; after a 401, one more try with a token the client's gate refreshed
 * once for every caller.
 *
 * Permits come in leases (durable-objects/genesys-budget.ts): the object asks the client's gate for
 * as many as it has Genesys calls due, and spends them without asking again while the lease lives,
 * so the gate sees one call per lease, not one per message. Permits left over go back: with the
 * next lease, or, when the run ends with nothing due before the lease expires, at once (`settle`),
 * so another conversation can use them. The lease is kept in memory only: an evicted object's
 * leftovers simply count until their window ends (the safe side).
 *
 * Errors do not keep their class across Durable Object RPC, so the gate answers values.
 */
import { config, type Env } from '../workers/env';
import { forgetTenant, type Tenant } from '../workers/db/tenants.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { budgetShardName, clientEntryFor, DEFAULT_CLIENT_ENTRY } from '../workers/domain/genesys-pool';
import { log } from '../workers/lib/log';
import { leaseDuration, leaseSpendMargin } from './genesys-budget';
import type { LeaseAnswer } from './tenant-gate.do';

export type PermitOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'wait'; waitMs: number }
  | { kind: 'failed'; failure: UpstreamFailure };

function failureOf(err: unknown, service: string): UpstreamFailure {
  if (err instanceof UpstreamError) return err.failure;
  return { kind: 'retryable', code: `${service}_error`, detail: err instanceof Error ? err.message : String(err) };
}

interface HeldLease {
  tenantId: string;
  client: string;
  leaseId: string;
  token: string;
  /** Permits not spent yet. */
  left: number;
  expiresAt: number;
}

export class GenesysPermits {
  private lease: HeldLease | undefined;

  /**
   * @param holder the conversation's name: it picks the client and names the lease holder.
   * @param due how many Genesys calls the conversation has due by a time (the size of a lease).
   */
  constructor(
    private readonly env: Env,
    private readonly holder: () => string,
    private readonly due: (until: number) => number,
  ) {}

  /** Runs `call` with a permitted token; `wait` when the budget is spent (no attempt spent). */
  async run<T>(tenant: Tenant, call: (token: string) => Promise<T>): Promise<PermitOutcome<T>> {
    let rejected: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const permit = await this.take(tenant, rejected);
      if (permit.kind !== 'ok') return permit;
      try {
        return { kind: 'ok', value: await call(permit.value) };
      } catch (err) {
        const failure = failureOf(err, 'genesys');
        if (failure.kind === 'unauthorized' && attempt === 0) {
          rejected = permit.value;
          continue;
        }
        // A second 401 means the credentials themselves are wrong: retried with backoff, so fixing
        // them in time still delivers, and dead-lettered (replayable) otherwise.
        return {
          kind: 'failed',
          failure: failure.kind === 'unauthorized' ? { ...failure, kind: 'retryable' } : failure,
        };
      }
    }
    return {
      kind: 'failed',
      failure: { kind: 'retryable', code: 'genesys_unauthorized', detail: 'token refused twice' },
    };
  }

  /**
   * At the end of a run: permits that no call due before the lease ends will spend go back to the
   * client's gate now, so other conversations can use them.
   */
  async settle(): Promise<void> {
    const held = this.lease;
    if (!held || held.left === 0) return;
    const usableUntil = held.expiresAt - leaseSpendMargin(config(this.env).GENESYS_WINDOW_MS);
    if (Date.now() < usableUntil && this.due(usableUntil) > 0) return;
    this.lease = undefined;
    await this.giveBack(held);
  }

  /** Forgets the lease without giving anything back (the conversation is being erased). */
  drop(): void {
    this.lease = undefined;
  }

  /** One permit: from the lease while it lasts, else from a new lease. */
  private async take(tenant: Tenant, rejected: string | undefined): Promise<PermitOutcome<string>> {
    const cfg = config(this.env);
    const now = Date.now();
    const holder = this.holder();
    const client = clientEntryFor(holder, [DEFAULT_CLIENT_ENTRY, ...tenant.genesysClients.map((c) => c.id)]);
    const held = this.lease;
    const spendable = held && now < held.expiresAt - leaseSpendMargin(cfg.GENESYS_WINDOW_MS);
    if (held && spendable && held.tenantId === tenant.id && held.client === client && !rejected && held.left > 0) {
      held.left--;
      return { kind: 'ok', value: held.token };
    }

    this.lease = undefined;
    const sameGate = held?.tenantId === tenant.id && held.client === client;
    if (held && held.left > 0 && !sameGate) await this.giveBack(held);
    let answer: LeaseAnswer;
    try {
      answer = await this.env.TENANT_GATE.getByName(budgetShardName(tenant.id, client)).lease({
        tenantId: tenant.id,
        client,
        holder,
        want: this.due(now + leaseDuration(cfg.GENESYS_WINDOW_MS)),
        ...(held && sameGate && held.left > 0 ? { giveBack: { leaseId: held.leaseId, unused: held.left } } : {}),
        ...(rejected ? { rejectedToken: rejected } : {}),
      });
    } catch (err) {
      return { kind: 'failed', failure: failureOf(err, 'genesys_login') };
    }
    if (answer.ok) {
      const { leaseId, token, permits, expiresAt } = answer;
      this.lease = { tenantId: tenant.id, client, leaseId, token, left: permits - 1, expiresAt };
      return { kind: 'ok', value: answer.token };
    }
    if ('waitMs' in answer) return { kind: 'wait', waitMs: answer.waitMs };
    if ('clientGone' in answer) {
      // This isolate still listed a client the tenant removed: read the tenant again next run.
      forgetTenant(tenant.id);
      return { kind: 'wait', waitMs: 0 };
    }
    return { kind: 'failed', failure: answer.failure };
  }

  private async giveBack(held: HeldLease): Promise<void> {
    try {
      await this.env.TENANT_GATE.getByName(budgetShardName(held.tenantId, held.client)).giveBack(
        held.leaseId,
        held.left,
      );
    } catch (err) {
      // Not given back, the permits count until their window ends: the budget errs on the safe side.
      log.warn('genesys.give_back_failed', {
        tenantId: held.tenantId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
