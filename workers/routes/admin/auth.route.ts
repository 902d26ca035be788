/**
 * Sign-in and sign-out. Sign-in (email and password for a 15-minute session token) is the only
 * admin route without a credential: every attempt is admitted per email and client address, per
 * address and per email before the password is checked (auth/sign-in-guard.ts), and it answers
 * the same way whether or not the account exists. Sign-out revokes the session at once; refresh
 * trades a valid, unexpired, unrevoked session for a new 15-minute one and revokes the old, so a
 * dashboard left open stays signed in while it is used, and no more sessions live than before.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { DUMMY_HASH, verifyPassword } from '../../auth/password';
import { issueSession, revokeSession, SIGN_IN_MAX_SECONDS, signedInAt } from '../../auth/admin-session';
import { admitSignIn } from '../../auth/sign-in-guard';
import { findUserByEmail } from '../../db/admin.repo';
import { ErrorBody, Login } from './admin.schema';
import { errors, json, newAdminApp, type AdminApp } from './openapi';

export const authRoutes = newAdminApp().openapi(
  createRoute({
    method: 'post',
    path: '/auth/login',
    tags: ['auth'],
    summary: 'Exchange email and password for a 15-minute session token',
    description:
      'Five attempts a minute per email from one client address, twenty per address, and a hundred per email in ten ' +
      'minutes from all addresses, each with a lock that doubles on each repeat; beyond that `429 sign_in_throttled` ' +
      'with Retry-After, before the password is checked.',
    request: { body: { content: { 'application/json': { schema: Login } }, required: true } },
    responses: {
      200: json(
        z.object({ token: z.string(), expiresAt: z.number(), role: z.string(), tenantId: z.string().nullable() }),
        'Session',
      ),
      400: errors[400],
      401: errors[401],
      429: json(ErrorBody, 'Too many sign-in attempts for this email or address; see Retry-After'),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const admitted = await admitSignIn(c.env, body.email, c.req.header('cf-connecting-ip'));
    const user = await findUserByEmail(c.env, body.email);
    // Same work whether or not the user exists, so timing does not reveal accounts.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new AppError('unauthorized', 401, 'wrong email or password');
    await admitted.succeeded();
    const session = await issueSession(c.env, { sub: user.id, role: user.role, tid: user.tenantId });
    return c.json({ ...session, role: user.role, tenantId: user.tenantId }, 200);
  },
);

const Session = z.object({
  token: z.string(),
  expiresAt: z.number(),
  role: z.string(),
  tenantId: z.string().nullable(),
});

/** Registers sign-out and refresh on the authenticated admin app: they need the session they end. */
export function registerSignOutRoute(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/refresh',
      tags: ['auth'],
      summary: 'Trade this dashboard session for a new 15-minute one; this one is refused from then on',
      description:
        'Only a session that is still valid (not expired, not signed out, its user not deleted or changed) is ' +
        'refreshed; the new session carries the user’s current role and tenant. A sign-in is refreshed for 12 hours ' +
        'at most; then `401` and the password is asked again.',
      responses: {
        200: json(Session, 'The new session'),
        401: errors[401],
        403: json(ErrorBody, 'Not a dashboard session'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      if (principal.kind !== 'user') throw new AppError('forbidden', 403, 'only dashboard sessions are refreshed');
      // adminAuth accepted this bearer as the user's live session (signature, expiry, revocation, user).
      const token = c.req.header('authorization')!.slice('Bearer '.length).trim();
      const since = signedInAt(token);
      if (Date.now() - since > SIGN_IN_MAX_SECONDS * 1000)
        throw new AppError('unauthorized', 401, 'signed in too long ago: sign in again with your password');
      // The old session ends before the new one exists, so a refresh never leaves two alive.
      await revokeSession(c.env, principal.id, token);
      const session = await issueSession(
        c.env,
        { sub: principal.id, role: principal.role, tid: principal.tenantId },
        Date.now(),
        since,
      );
      return c.json({ ...session, role: principal.role, tenantId: principal.tenantId }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/logout',
      tags: ['auth'],
      summary: 'End this dashboard session now; the token is refused from then on',
      responses: {
        204: { description: 'Signed out' },
        401: errors[401],
        403: json(ErrorBody, 'Not a dashboard session (revoke API keys with DELETE …/api-keys/{keyId})'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      if (principal.kind !== 'user')
        throw new AppError('forbidden', 403, 'only dashboard sessions sign out; revoke API keys instead');
      // adminAuth accepted this bearer as the user's session.
      const token = c.req.header('authorization')!.slice('Bearer '.length).trim();
      await revokeSession(c.env, principal.id, token);
      return c.body(null, 204);
    },
  );
}
