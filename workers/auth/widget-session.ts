/**
 * Agent widget sessions: HS256 JWTs (jose, the keyring's `widget-session` subkey) bound to one
 * agent, one tenant and one customer conversation, valid 15 minutes. Issued only after Genesys
 * vouched for the agent (see routes/widget.route.ts); claims are validated with zod after the signature.
 */
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { KeySource } from '../lib/keyring';
import { signJwt, verifyJwt } from './jwt-keys';

const AUDIENCE = 'bridge-widget';
/** How widget sessions were keyed before keyrings (verify only). */
const LEGACY_LABEL = 'widget-jwt:v1';
const SESSION_SECONDS = 15 * 60;

export const WidgetClaims = z.object({ sub: z.string(), tid: z.string(), wa: z.string(), name: z.string() });
export type WidgetClaims = z.infer<typeof WidgetClaims>;

/** A session for `agentId` on the conversation with `waId` of tenant `tid`. */
export async function issueWidgetSession(
  keys: KeySource,
  claims: { agentId: string; tid: string; wa: string; name: string },
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(Date.now() / 1000);
  const token = await signJwt(
    keys,
    'widget-session',
    new SignJWT({ tid: claims.tid, wa: claims.wa, name: claims.name })
      .setSubject(claims.agentId)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + SESSION_SECONDS),
  );
  return { token, expiresAt: (now + SESSION_SECONDS) * 1000 };
}

/** The claims of a valid, unexpired widget session; throws otherwise. */
export async function verifyWidgetSession(keys: KeySource, token: string): Promise<WidgetClaims> {
  return WidgetClaims.parse(await verifyJwt(keys, 'widget-session', LEGACY_LABEL, token, { audience: AUDIENCE }));
}
