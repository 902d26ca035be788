/**
 * Custom hostnames (Cloudflare for SaaS) routed to a tenant; platform admins only.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { config, type Env } from '../../env';
import { AppError } from '../../domain/errors';
import { addHostname, listHostnames, removeHostname } from '../../db/admin.repo';
import { forgetHost } from '../../db/tenant-host.repo';
import { ErrorBody, HostnameCreate } from './admin.schema';
import {
  audit,
  errors,
  isUniqueViolation,
  json,
  TenantParam,
  type AdminApp,
  tenantFor,
  bodyErrors,
  tenantErrors,
} from './openapi';

/** The platform host `hostname` is, or is under (BASE_DOMAIN and the public origin's host), if any. */
function platformHostOf(env: Env, hostname: string): string | undefined {
  const cfg = config(env);
  const name = hostname.toLowerCase();
  const platform = [cfg.BASE_DOMAIN, new URL(cfg.PUBLIC_BASE_URL).hostname]
    .filter((h): h is string => !!h)
    .map((h) => h.toLowerCase());
  return platform.find((host) => name === host || name.endsWith(`.${host}`));
}

/** Registers the hostnames routes on the authenticated admin app. */
export function registerHostnamesRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/hostnames',
      tags: ['hostnames'],
      summary: 'Custom hostnames of a tenant',
      request: { params: TenantParam },
      responses: {
        200: json(z.object({ items: z.array(z.object({ hostname: z.string(), createdAt: z.number() })) }), 'Hostnames'),
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const rows = await listHostnames(c.env, tenantId);
      return c.json({ items: rows.map((r) => ({ hostname: r.hostname, createdAt: r.createdAt })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/hostnames',
      tags: ['hostnames'],
      summary: 'Route a custom hostname (Cloudflare for SaaS) to this tenant',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: HostnameCreate } }, required: true },
      },
      responses: {
        201: json(z.object({ hostname: z.string() }), 'Added'),
        ...bodyErrors,
        409: json(ErrorBody, 'Hostname taken'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'platform-admin');
      const { hostname } = c.req.valid('json');
      const reserved = platformHostOf(c.env, hostname);
      if (reserved) {
        const why = `${hostname} is ${reserved === hostname.toLowerCase() ? '' : 'under '}the platform's own host ${reserved}; a tenant cannot claim it`;
        throw new AppError('invalid_body', 400, why, [{ path: 'hostname', message: 'a platform host' }]);
      }
      try {
        await addHostname(c.env, tenantId, hostname);
        forgetHost(hostname);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'this hostname is already routed');
        throw err;
      }
      await audit(c, tenantId, 'hostname.add', hostname.toLowerCase());
      return c.json({ hostname: hostname.toLowerCase() }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/hostnames/{hostname}',
      tags: ['hostnames'],
      summary: 'Remove a custom hostname',
      request: { params: TenantParam.extend({ hostname: z.string() }) },
      responses: { 204: { description: 'Removed' }, ...tenantErrors },
    }),
    async (c) => {
      const { tenantId, hostname } = c.req.valid('param');
      await tenantFor(c, tenantId, 'platform-admin');
      if (!(await removeHostname(c.env, tenantId, hostname))) throw new AppError('not_found', 404, 'not found');
      forgetHost(hostname);
      await audit(c, tenantId, 'hostname.remove', hostname);
      return c.body(null, 204);
    },
  );
}
