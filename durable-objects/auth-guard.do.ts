/**
 * One per sign-in key or per user: the admin API's memory of who may try to sign in, and which
 * sessions were signed out early.
 *
 * - `login-pair:<sha256 of email and address>`, `login-address:<client IP>` and
 *   `login-email:<sha256 of the email>` count sign-in attempts (workers/domain/sign-in-throttle.ts
 *   decides). The Rate Limiting binding has fixed windows and no memory of earlier locks, so it
 *   cannot grow a backoff; this object can, exactly.
 * - `sessions:<user id>` holds the SHA-256 of each session signed out before it expired.
 *
 * Everything here expires: one alarm drops state once it no longer matters, so an object left by a
 * one-off attacker costs nothing afterwards.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../workers/env';
import {
  attempt,
  FRESH,
  forgetAt,
  forgive,
  type ThrottlePolicy,
  type ThrottleState,
  type Verdict,
} from '../workers/domain/sign-in-throttle';

const THROTTLE = 'throttle';
const revokedKey = (sessionId: string) => `revoked:${sessionId}`;

interface StoredThrottle {
  state: ThrottleState;
  forgetAt: number;
}

export class AuthGuardDO extends DurableObject<Env> {
  /** Counts a sign-in attempt, or refuses it with how long to wait. */
  async attempt(policy: ThrottlePolicy): Promise<Verdict> {
    const stored = await this.ctx.storage.get<StoredThrottle>(THROTTLE);
    const next = attempt(stored?.state ?? FRESH, policy, Date.now());
    await this.saveThrottle(next.state, policy);
    return next.verdict;
  }

  /** Takes back one counted attempt: it succeeded or never reached the password check. */
  async forgive(policy: ThrottlePolicy): Promise<void> {
    const stored = await this.ctx.storage.get<StoredThrottle>(THROTTLE);
    if (stored) await this.saveThrottle(forgive(stored.state), policy);
  }

  /** A successful sign-in: the email and address pair starts over. */
  async reset(): Promise<void> {
    await this.ctx.storage.delete(THROTTLE);
  }

  /** Refuses the session with this hash until `expiresAt` (epoch ms), when it would have expired anyway. */
  async revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    if (expiresAt <= Date.now()) return;
    await this.ctx.storage.put(revokedKey(sessionId), expiresAt);
    await this.armAlarm(expiresAt);
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    const until = await this.ctx.storage.get<number>(revokedKey(sessionId));
    return until !== undefined && until > Date.now();
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired: string[] = [];
    let next = Number.POSITIVE_INFINITY;
    const throttle = await this.ctx.storage.get<StoredThrottle>(THROTTLE);
    if (throttle) {
      if (throttle.forgetAt <= now) expired.push(THROTTLE);
      else next = throttle.forgetAt;
    }
    for (const [key, until] of await this.ctx.storage.list<number>({ prefix: 'revoked:' })) {
      if (until <= now) expired.push(key);
      else next = Math.min(next, until);
    }
    await this.ctx.storage.delete(expired);
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAll();
  }

  private async saveThrottle(state: ThrottleState, policy: ThrottlePolicy): Promise<void> {
    const at = forgetAt(state, policy);
    await this.ctx.storage.put(THROTTLE, { state, forgetAt: at } satisfies StoredThrottle);
    await this.armAlarm(at);
  }

  /** One alarm for everything: the earliest moment some state can be dropped. */
  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
