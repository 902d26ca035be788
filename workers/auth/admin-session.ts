/**
 * Short-lived dashboard sessions: HS256 JWTs (jose) signed with a key derived from MASTER_KEY.
 * Claims are validated with zod after the signature: a token is only as good as its claims.
 */
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { deriveSigningKey } from '../lib/crypto';

const ISSUER = 'wa-genesys-bridge';
const AUDIENCE = 'bridge-admin';
const LABEL = 'admin-jwt:v1';
export const SESSION_SECONDS = 15 * 60;

export const Role = z.enum(['platform-admin', 'tenant-admin', 'viewer']);
export type Role = z.infer<typeof Role>;

const SessionClaims = z.object({ sub: z.string().min(1), role: Role, tid: z.string().min(1).nullable() });
export type SessionClaims = z.infer<typeof SessionClaims>;

export async function issueSession(
  masterKey: string,
  claims: SessionClaims,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT({ role: claims.role, tid: claims.tid })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + SESSION_SECONDS)
    .sign(await deriveSigningKey(masterKey, LABEL));
  return { token, expiresAt: (iat + SESSION_SECONDS) * 1000 };
}

export async function verifySession(masterKey: string, token: string): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, await deriveSigningKey(masterKey, LABEL), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
    });
    const claims = SessionClaims.safeParse(payload);
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}
