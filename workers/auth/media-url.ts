/**
 * Signed, expiring media URLs. Genesys cannot present a tenant's WhatsApp token, so the bridge
 * hands it `/media/<jwt>`: the JWT (HS256, the keyring's `media-url` subkey) names the tenant and
 * the WhatsApp media id and expires after MEDIA_URL_TTL_SECONDS. The media route checks it, then
 * resolves the id with Graph API and streams the bytes.
 */
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { KeySource } from '../lib/keyring';
import { signJwt, verifyJwt } from './jwt-keys';

const AUDIENCE = 'bridge-media';
/** How media URLs were keyed before keyrings (verify only, until the last of them expires). */
const LEGACY_LABEL = 'media-url:v1';

const MediaClaims = z.object({ tid: z.string().min(1), mid: z.string().min(1), mime: z.string().min(1) });
export type MediaClaims = z.infer<typeof MediaClaims>;

export async function signMediaToken(
  keys: KeySource,
  claims: MediaClaims,
  ttlSeconds: number,
  now = Date.now(),
): Promise<string> {
  return signJwt(
    keys,
    'media-url',
    new SignJWT(claims)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + ttlSeconds),
  );
}

/** Null for anything but a genuine, unexpired token: callers answer one 401 whatever the reason. */
export async function verifyMediaToken(keys: KeySource, token: string): Promise<MediaClaims | null> {
  try {
    const claims = MediaClaims.safeParse(
      await verifyJwt(keys, 'media-url', LEGACY_LABEL, token, { audience: AUDIENCE }),
    );
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}
