/**
 * Signed, expiring media URLs. Genesys cannot present a tenant's WhatsApp token, so the bridge
 * hands it `/media/<jwt>`: the JWT (HS256, key derived from MASTER_KEY) names the tenant and the
 * WhatsApp media id and expires after MEDIA_URL_TTL_SECONDS. The media route checks it, then
 * resolves the id with Graph API and streams the bytes.
 */
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { deriveSigningKey } from '../lib/crypto';

const AUDIENCE = 'bridge-media';
const LABEL = 'media-url:v1';

const MediaClaims = z.object({ tid: z.string().min(1), mid: z.string().min(1), mime: z.string().min(1) });
export type MediaClaims = z.infer<typeof MediaClaims>;

export async function signMediaToken(
  masterKey: string,
  claims: MediaClaims,
  ttlSeconds: number,
  now = Date.now(),
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + ttlSeconds)
    .sign(await deriveSigningKey(masterKey, LABEL));
}

/** Null for anything but a genuine, unexpired token: callers answer one 401 whatever the reason. */
export async function verifyMediaToken(masterKey: string, token: string): Promise<MediaClaims | null> {
  try {
    const { payload } = await jwtVerify(token, await deriveSigningKey(masterKey, LABEL), {
      audience: AUDIENCE,
      algorithms: ['HS256'],
    });
    const claims = MediaClaims.safeParse(payload);
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}
