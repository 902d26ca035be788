/**
 * Admits a sign-in attempt before its password is checked (PBKDF2, 100 000 iterations, is the
 * most expensive thing the admin API does), counting it against its email and its client address
 * in their {@link AuthGuardDO}s. The policy is workers/domain/sign-in-throttle.ts.
 */
import type { Env } from '../env';
import { AppError } from '../domain/errors';
import { ADDRESS_POLICY, addressKey, EMAIL_POLICY, retryAfterSeconds, type Verdict } from '../domain/sign-in-throttle';
import { sha256Hex } from '../lib/crypto';
import { log } from '../lib/log';

export interface AdmittedSignIn {
  /** The password was right: the email's failures are forgotten, and the address's attempt taken back. */
  succeeded(): Promise<void>;
}

/**
 * Counts the attempt, or throws `429 sign_in_throttled` with Retry-After without looking at the
 * password (a right one is refused too while a limit holds). A wrong password needs no call
 * afterwards: the attempt was counted when it started.
 */
export async function admitSignIn(env: Env, email: string, clientIp: string | undefined): Promise<AdmittedSignIn> {
  // The email is hashed: object names show up in Cloudflare's dashboard.
  const byEmail = env.AUTH_GUARD.getByName(`login-email:${await sha256Hex(email.trim().toLowerCase())}`);
  const byAddress = env.AUTH_GUARD.getByName(`login-address:${addressKey(clientIp)}`);
  const [emailVerdict, addressVerdict]: [Verdict, Verdict] = await Promise.all([
    byEmail.attempt(EMAIL_POLICY),
    byAddress.attempt(ADDRESS_POLICY),
  ]);
  if (emailVerdict.ok && addressVerdict.ok) {
    return {
      succeeded: async () => {
        await Promise.all([byEmail.reset(), byAddress.forgive(ADDRESS_POLICY)]);
      },
    };
  }
  // Refused before the password check: take the attempt back where a limit did let it through.
  await Promise.all([
    ...(emailVerdict.ok ? [byEmail.forgive(EMAIL_POLICY)] : []),
    ...(addressVerdict.ok ? [byAddress.forgive(ADDRESS_POLICY)] : []),
  ]);
  const waitMs = Math.max(
    emailVerdict.ok ? 0 : emailVerdict.retryAfterMs,
    addressVerdict.ok ? 0 : addressVerdict.retryAfterMs,
  );
  log.warn('admin.sign_in_throttled', {
    limit: emailVerdict.ok ? 'address' : addressVerdict.ok ? 'email' : 'both',
    retryAfterSeconds: retryAfterSeconds(waitMs),
  });
  throw new AppError('sign_in_throttled', 429, 'too many sign-in attempts; retry later', undefined, {
    'retry-after': String(retryAfterSeconds(waitMs)),
  });
}
