/**
 * Short-lived dashboard sessions: HS256 JWTs (jose) signed with the keyring's `admin-session`
 * subkey. Claims are validated with zod after the signature: a token is only as good as its claims.
 *
 * Signing out revokes a session before it expires: its SHA-256 is kept, until the token's own
 * expiry, by the user's {@link AuthGuardDO} (strongly consistent, unlike KV, so a revoked token is
 * refused everywhere at once).
 */
import { SignJWT, decodeJwt } from 'jose';
import { z } from 'zod';
import type { Env } from '../env';
import { sha256Hex } from '../lib/crypto';
import type { KeySource } from '../lib/keyring';
import { signJwt, verifyJwt } from './jwt-keys';

const ISSUER = 'wa-genesys-bridge';
const AUDIENCE = 'bridge-admin';
/** How sessions were keyed before keyrings (verify only). */
const LEGACY_LABEL = 'admin-jwt:v1';
export const SESSION_SECONDS = 15 * 60;
/**
 * How long refreshes may keep one sign-in alive: past this, the dashboard asks for the password
 * again (a session left open or taken is not kept alive for ever by its refresh timer).
 */
export const SIGN_IN_MAX_SECONDS = 12 * 3600;

export const Role = z.enum(['platform-admin', 'tenant-admin', 'viewer']);
export type Role = z.infer<typeof Role>;

const SessionClaims = z.object({ sub: z.string().min(1), role: Role, tid: z.string().min(1).nullable() });
export type SessionClaims = z.infer<typeof SessionClaims>;

/**
 * A session for `claims`. `signedInAt` (epoch ms) is when the password was given: a refresh passes
 * the original on, so SIGN_IN_MAX_SECONDS counts from the sign-in, not from the last refresh.
 */
export async function issueSession(
  keys: KeySource,
  claims: SessionClaims,
  now = Date.now(),
  signedInAt = now,
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(now / 1000);
  const token = await signJwt(
    keys,
    'admin-session',
    new SignJWT({ role: claims.role, tid: claims.tid, auth: Math.floor(signedInAt / 1000) })
      .setSubject(claims.sub)
      // Unique per sign-in: two sessions of the same second must not be one token (sign-out ends just one).
      .setJti(crypto.randomUUID())
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + SESSION_SECONDS),
  );
  return { token, expiresAt: (iat + SESSION_SECONDS) * 1000 };
}

/** When the session's sign-in happened (epoch ms); sessions from before the claim count from their issue. */
export function signedInAt(token: string): number {
  const { auth, iat } = decodeJwt(token);
  return (typeof auth === 'number' ? auth : (iat ?? 0)) * 1000;
}

export async function verifySession(keys: KeySource, token: string): Promise<SessionClaims | null> {
  try {
    const payload = await verifyJwt(keys, 'admin-session', LEGACY_LABEL, token, { issuer: ISSUER, audience: AUDIENCE });
    const claims = SessionClaims.safeParse(payload);
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}

const revocations = (env: Env, userId: string) => env.AUTH_GUARD.getByName(`sessions:${userId}`);

/** Ends a verified session of `userId` now; it stays refused until it would have expired anyway. */
export async function revokeSession(env: Env, userId: string, token: string): Promise<void> {
  const exp = decodeJwt(token).exp ?? Math.floor(Date.now() / 1000) + SESSION_SECONDS;
  await revocations(env, userId).revokeSession(await sha256Hex(token), exp * 1000);
}

export async function isSessionRevoked(env: Env, userId: string, token: string): Promise<boolean> {
  return revocations(env, userId).isSessionRevoked(await sha256Hex(token));
}
