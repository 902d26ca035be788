/**
 * Admits a sign-in attempt before its password is checked (PBKDF2, 100 000 iterations, is the
 * most expensive thing the admin API does), counting it against its email and client address
 * together, its address, and its email, each in its own {@link AuthGuardDO}. The policy is
 * workers/domain/sign-in-throttle.ts.
 */
import type { Env } from '../env';
import { AppError } from '../domain/errors';
import { retryAfterSeconds } from '../domain/retry-after';
import { addressKey, admit } from '../domain/sign-in-throttle';
import { sha256Hex } from '../lib/crypto';
import { log } from '../lib/log';

export interface AdmittedSignIn {
  /** The password was right: the pair's failures are forgotten, and the attempt taken back elsewhere. */
  succeeded(): Promise<void>;
}

/**
 * The AuthGuardDO names of a sign-in attempt's counters. Emails are hashed (alone and with the
 * address): object names show up in Cloudflare's dashboard.
 */
export async function signInCounterNames(email: string, clientIp: string | undefined) {
  const normalized = email.trim().toLowerCase();
  const address = addressKey(clientIp);
  return {
    pair: `login-pair:${await sha256Hex(`${normalized}\n${address}`)}`,
    address: `login-address:${address}`,
    email: `login-email:${await sha256Hex(normalized)}`,
  };
}

/**
 * Counts the attempt, or throws `429 sign_in_throttled` with Retry-After without looking at the
 * password (a right one is refused too while a limit holds). A wrong password needs no call
 * afterwards: the attempt was counted when it started.
 */
export async function admitSignIn(env: Env, email: string, clientIp: string | undefined): Promise<AdmittedSignIn> {
  const names = await signInCounterNames(email, clientIp);
  const admission = await admit({
    pair: env.AUTH_GUARD.getByName(names.pair),
    address: env.AUTH_GUARD.getByName(names.address),
    email: env.AUTH_GUARD.getByName(names.email),
  });
  if (admission.ok) return admission;
  const seconds = retryAfterSeconds(admission.retryAfterMs);
  log.warn('admin.sign_in_throttled', { limit: admission.refusedBy.join('+'), retryAfterSeconds: seconds });
  throw new AppError('sign_in_throttled', 429, 'too many sign-in attempts; retry later', undefined, {
    'retry-after': String(seconds),
  });
}
