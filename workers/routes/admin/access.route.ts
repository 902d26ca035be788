/**
 * Who may use the admin API: a tenant's API keys (shown once, stored hashed) and dashboard users
 * (tenant admins manage their own tenant's users, never platform admins).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { hashPassword } from '../../auth/password';
import { actorOf, assertRole } from '../../middleware/admin-auth.middleware';
import {
  createApiKey,
  createUser,
  deleteUser,
  findUser,
  pageApiKeys,
  pageUsers,
  recordAudit,
  revokeApiKey,
} from '../../db/admin.repo';
import { ApiKeyCreate, ApiKeyView, ErrorBody, Page, PageQuery, UserCreate, UserView } from './admin.schema';
import {
  audit,
  errors,
  isUniqueViolation,
  json,
  TenantParam,
  tenantOr404,
  type AdminApp,
  tenantFor,
  bodyErrors,
  listErrors,
  tenantErrors,
} from './openapi';

/** Registers the access routes on the authenticated admin app. */
export function registerAccessRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/api-keys',
      tags: ['api keys'],
      summary: 'API keys, revoked ones too, oldest first (never the key itself)',
      request: { params: TenantParam, query: PageQuery },
      responses: { 200: json(Page(ApiKeyView), 'Keys'), ...listErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      return c.json(await pageApiKeys(c.env, tenantId, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/api-keys',
      tags: ['api keys'],
      summary: 'Create an API key; the response is the only time it is shown',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: ApiKeyCreate } }, required: true },
      },
      responses: {
        201: json(
          z.object({ id: z.string(), key: z.string(), prefix: z.string(), name: z.string(), role: z.string() }),
          'Created',
        ),
        ...bodyErrors,
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const body = c.req.valid('json');
      const created = await createApiKey(c.env, tenantId, body.name, body.role);
      await audit(c, tenantId, 'apikey.create', created.id, { name: body.name, role: body.role });
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/api-keys/{keyId}',
      tags: ['api keys'],
      summary: 'Revoke an API key',
      request: { params: TenantParam.extend({ keyId: z.string() }) },
      responses: { 204: { description: 'Revoked' }, ...tenantErrors },
    }),
    async (c) => {
      const { tenantId, keyId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      if (!(await revokeApiKey(c.env, tenantId, keyId))) throw new AppError('not_found', 404, 'not found');
      await audit(c, tenantId, 'apikey.revoke', keyId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users',
      tags: ['users'],
      summary: 'Dashboard users visible to the caller, oldest first',
      request: { query: PageQuery },
      responses: { 200: json(Page(UserView), 'Users'), 400: errors[400], 401: errors[401], 403: errors[403] },
    }),
    async (c) => {
      assertRole(c.get('principal'), 'tenant-admin');
      return c.json(await pageUsers(c.env, c.get('scope'), c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users',
      tags: ['users'],
      summary: 'Create a dashboard user (tenant admins: only in their tenant, never platform admins)',
      request: { body: { content: { 'application/json': { schema: UserCreate } }, required: true } },
      responses: {
        201: json(UserView.omit({ createdAt: true }), 'Created'),
        ...bodyErrors,
        409: json(ErrorBody, 'Email taken'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const scope = c.get('scope');
      assertRole(principal, 'tenant-admin');
      const body = c.req.valid('json');
      const tenantId = scope ?? body.tenantId;
      if (body.role === 'platform-admin') {
        assertRole(principal, 'platform-admin');
        if (tenantId !== null)
          throw new AppError('invalid_body', 400, 'a platform admin belongs to no tenant', [
            { path: 'tenantId', message: 'must be null for platform-admin' },
          ]);
      } else {
        if (tenantId === null)
          throw new AppError('invalid_body', 400, 'tenant users need a tenant', [
            { path: 'tenantId', message: 'required for tenant-admin and viewer' },
          ]);
        await tenantOr404(c.env, scope, tenantId);
      }
      let id: string;
      try {
        id = await createUser(c.env, {
          email: body.email,
          passwordHash: await hashPassword(body.password),
          role: body.role,
          tenantId,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'a user with this email exists');
        throw err;
      }
      await recordAudit(c.env, {
        tenantId,
        actor: actorOf(principal),
        action: 'user.create',
        target: id,
        detail: { email: body.email.toLowerCase(), role: body.role },
      });
      return c.json({ id, email: body.email.toLowerCase(), role: body.role, tenantId }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{userId}',
      tags: ['users'],
      summary: 'Delete a dashboard user (their sessions end at once)',
      request: { params: z.object({ userId: z.string() }) },
      responses: { 204: { description: 'Deleted' }, ...tenantErrors },
    }),
    async (c) => {
      const principal = c.get('principal');
      assertRole(principal, 'tenant-admin');
      const user = await findUser(c.env, c.req.valid('param').userId);
      const scope = c.get('scope');
      if (!user || (scope !== null && user.tenantId !== scope)) throw new AppError('not_found', 404, 'not found');
      if (user.role === 'platform-admin') assertRole(principal, 'platform-admin');
      await deleteUser(c.env, user.id);
      await recordAudit(c.env, {
        tenantId: user.tenantId,
        actor: actorOf(principal),
        action: 'user.delete',
        target: user.id,
      });
      return c.body(null, 204);
    },
  );
}
