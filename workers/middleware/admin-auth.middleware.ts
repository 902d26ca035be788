/**
 * Who is calling the admin API, and which tenant they may see.
 *
 * Credentials, strongest first: the platform operator token (ADMIN_API_TOKEN), a dashboard session
 * JWT, or a tenant API key (X-API-Key). The tenant scope comes only from the credential and from
 * the Host (tenant subdomain or custom hostname) — never from an id the client sends. A resource of
 * another tenant answers 404, exactly like one that does not exist, so nothing leaks.
 */
import { createMiddleware } from 'hono/factory';
import type { Env } from '../env';
import { AppError } from '../domain/errors';
import { timingSafeEqual } from '../lib/crypto';
import { isSessionRevoked, verifySession, type Role } from '../auth/admin-session';
import { findApiKey, findUser } from '../db/admin.repo';
import { tenantIdForHost } from '../db/tenant-host.repo';

export type Principal =
  | { kind: 'operator'; role: 'platform-admin'; tenantId: null }
  | { kind: 'user'; id: string; role: Role; tenantId: string | null }
  | { kind: 'apikey'; id: string; role: Role; tenantId: string };

export type AdminEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** The one tenant this request may touch, or null for the whole platform. */
    scope: string | null;
  };
};

const RANK: Record<Role, number> = { viewer: 1, 'tenant-admin': 2, 'platform-admin': 3 };

export function actorOf(p: Principal): string {
  return p.kind === 'operator' ? 'operator' : `${p.kind}:${p.id}`;
}

async function authenticate(
  env: Env,
  authorization: string | undefined,
  apiKey: string | undefined,
): Promise<Principal | null> {
  if (apiKey) {
    const key = await findApiKey(env, apiKey);
    return key ? { kind: 'apikey', id: key.id, role: key.role, tenantId: key.tenantId } : null;
  }
  const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
  if (!bearer) return null;
  if (env.ADMIN_API_TOKEN && timingSafeEqual(bearer, env.ADMIN_API_TOKEN))
    return { kind: 'operator', role: 'platform-admin', tenantId: null };
  const claims = await verifySession(env, bearer);
  if (!claims) return null;
  // A deleted user's session ends with the user, not 15 minutes later; a signed-out one at once.
  const user = await findUser(env, claims.sub);
  if (!user || user.role !== claims.role || user.tenantId !== claims.tid) return null;
  if (await isSessionRevoked(env, user.id, bearer)) return null;
  return { kind: 'user', id: user.id, role: user.role, tenantId: user.tenantId };
}

export const adminAuth = () =>
  createMiddleware<AdminEnv>(async function adminAuth(c, next) {
    const principal = await authenticate(c.env, c.req.header('authorization'), c.req.header('x-api-key'));
    if (!principal)
      throw new AppError('unauthorized', 401, 'a valid Authorization: Bearer token or X-API-Key is required');

    const hostTenant = await tenantIdForHost(c.env, new URL(c.req.url).host);
    if (hostTenant === null) throw new AppError('unknown_tenant', 404, 'no tenant for this host');
    let scope: string | null = principal.tenantId;
    if (hostTenant !== undefined) {
      if (scope !== null && scope !== hostTenant) throw new AppError('not_found', 404, 'not found');
      scope = hostTenant;
    }
    c.set('principal', principal);
    c.set('scope', scope);
    await next();
  });

/** 404 unless the caller's scope covers this tenant. */
export function assertTenant(scope: string | null, tenantId: string): void {
  if (scope !== null && scope !== tenantId) throw new AppError('not_found', 404, 'not found');
}

/** 403 unless the caller's role is at least `minimum`. */
export function assertRole(principal: Principal, minimum: Role): void {
  if (RANK[principal.role] < RANK[minimum])
    throw new AppError('forbidden', 403, `this action needs the ${minimum} role`);
}
