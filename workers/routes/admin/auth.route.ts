/**
 * Sign-in: email and password for a 15-minute session token. The only admin route without a
 * credential, so it has its own budget per email and answers the same way whether or not the
 * account exists.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { DUMMY_HASH, verifyPassword } from '../../auth/password';
import { issueSession } from '../../auth/admin-session';
import { enforceTenantBudget } from '../../lib/tenant-budget';
import { findUserByEmail } from '../../db/admin.repo';
import { Login } from './admin.schema';
import { errors, json, newAdminApp } from './openapi';

export const authRoutes = newAdminApp().openapi(
  createRoute({
    method: 'post',
    path: '/auth/login',
    tags: ['auth'],
    summary: 'Exchange email and password for a 15-minute session token',
    request: { body: { content: { 'application/json': { schema: Login } }, required: true } },
    responses: {
      200: json(
        z.object({ token: z.string(), expiresAt: z.number(), role: z.string(), tenantId: z.string().nullable() }),
        'Session',
      ),
      400: errors[400],
      401: errors[401],
      429: errors[429],
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    await enforceTenantBudget(c.env.ADMIN_RATE_LIMIT, `login:${body.email.toLowerCase()}`);
    const user = await findUserByEmail(c.env, body.email);
    // Same work whether or not the user exists, so timing does not reveal accounts.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new AppError('unauthorized', 401, 'wrong email or password');
    const session = await issueSession(c.env.MASTER_KEY, { sub: user.id, role: user.role, tid: user.tenantId });
    return c.json({ ...session, role: user.role, tenantId: user.tenantId }, 200);
  },
);
