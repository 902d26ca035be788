/**
 * Agent widget sessions: HS256 JWTs (jose, key derived from MASTER_KEY) bound to one agent, one
 * tenant and one customer conversation, valid 15 minutes. Issued only after Genesys vouched for
 * the agent (see routes/widget.route.ts); claims are validated with zod after the signature.
 */
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { deriveSigningKey } from '../lib/crypto';

const AUDIENCE = 'bridge-widget';
const LABEL = 'widget-jwt:v1';
const SESSION_SECONDS = 15 * 60;

export const WidgetClaims = z.object({ sub: z.string(), tid: z.string(), wa: z.string(), name: z.string() });
export type WidgetClaims = z.infer<typeof WidgetClaims>;

/** A session for `agentId` on the conversation with `waId` of tenant `tid`. */
export async function issueWidgetSession(
  masterKey: string,
  claims: { agentId: string; tid: string; wa: string; name: string },
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ tid: claims.tid, wa: claims.wa, name: claims.name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.agentId)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + SESSION_SECONDS)
    .sign(await deriveSigningKey(masterKey, LABEL));
  return { token, expiresAt: (now + SESSION_SECONDS) * 1000 };
}

/** The claims of a valid, unexpired widget session; throws otherwise. */
export async function verifyWidgetSession(masterKey: string, token: string): Promise<WidgetClaims> {
  const { payload } = await jwtVerify(token, await deriveSigningKey(masterKey, LABEL), {
    audience: AUDIENCE,
    algorithms: ['HS256'],
  });
  return WidgetClaims.parse(payload);
}
