/**
 * Custom hostnames (Cloudflare for SaaS) of a tenant: platform admins add and remove them, the
 * tenant's users see them. Adding one asks Cloudflare to create it (nothing is stored when
 * Cloudflare refuses or does not answer); it routes to the tenant only once Cloudflare reports it
 * active (scheduled/custom-hostnames.job.ts refreshes it). Removing one stops routing at once and
 * deletes it at Cloudflare, or records the deletion for the cron when Cloudflare fails.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { config, type Env } from '../../env';
import { AppError, UpstreamError } from '../../domain/errors';
import {
  CF_DUPLICATE,
  cloudflareSaas,
  createCustomHostname,
  deleteCustomHostname,
} from '../../clients/cloudflare.client';
import { hostnameState, parseVerification, isRoutable } from '../../domain/custom-hostname';
import {
  type CustomHostnameRow,
  getHostname,
  hostnameTaken,
  insertHostname,
  listHostnames,
  oweDeletion,
  removeHostname,
} from '../../db/custom-hostnames.repo';
import { forgetHost } from '../../db/tenant-host.repo';
import { settleOwedDeletions } from '../../lib/custom-hostname-sync';
import { log } from '../../lib/log';
import { ErrorBody, HostnameCreate, HostnameView } from './admin.schema';
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

/**
 * A row as GET shows it. The CNAME comes first: the customer points the hostname at the platform's
 * host (in the Cloudflare for SaaS zone), then adds the TXT records Cloudflare asks for. Rows from
 * before Cloudflare was asked (no `cf_id`) were set up by hand and show no records.
 */
function hostnameView(env: Env, row: CustomHostnameRow): z.infer<typeof HostnameView> {
  const { records, errors: verificationErrors } = parseVerification(row.verification);
  const cname = { type: 'CNAME' as const, name: row.hostname, value: new URL(config(env).PUBLIC_BASE_URL).hostname };
  return {
    hostname: row.hostname,
    status: row.status,
    routing: isRoutable(row.status),
    sslStatus: row.sslStatus,
    records: row.cfId ? [{ ...cname, purpose: 'traffic' as const }, ...records] : records,
    verificationErrors,
    checkedAt: row.checkedAt,
    checkError: row.error,
    createdAt: row.createdAt,
  };
}

/** Plain words for Cloudflare's refusals of a hostname (Cloudflare for SaaS status codes, custom hostnames). */
const HOSTNAME_REFUSALS: Record<string, string> = {
  cloudflare_1407:
    'Cloudflare refuses this hostname: it must be under 256 characters, not an IP address, without special characters',
  cloudflare_1408: 'Cloudflare refuses hostnames with non-ASCII characters (use the punycode form)',
  cloudflare_1409: 'Cloudflare refuses hostnames under reserved top-level domains (test, example, invalid, localhost)',
  cloudflare_1410: 'Cloudflare cannot derive a registrable domain from this hostname',
  cloudflare_1411: 'Cloudflare refuses hostnames under example.com, example.net and example.org',
  cloudflare_1448: 'Cloudflare does not issue certificates for wildcard custom hostnames',
};

/** Cloudflare's failure as our answer; never carries the API token (the client never puts it in an error). */
function cloudflareFailure(err: UpstreamError): AppError {
  const { failure } = err;
  if (failure.code === `cloudflare_${CF_DUPLICATE}`)
    return new AppError(
      'conflict',
      409,
      'Cloudflare already has this hostname in the platform zone; remove it there (or from the tenant that has it) first',
    );
  const refusal = HOSTNAME_REFUSALS[failure.code];
  if (refusal) return new AppError('invalid_body', 400, refusal, [{ path: 'hostname', message: refusal }]);
  if (failure.kind === 'retryable')
    return new AppError(
      'cloudflare_failed',
      502,
      `Cloudflare did not answer (${failure.code}); nothing was stored, try again`,
    );
  return new AppError(
    'cloudflare_refused',
    502,
    `Cloudflare refused the request (${failure.code}); check the zone id, the API token's permission (SSL and Certificates: Edit) and the zone's custom hostname quota`,
  );
}

/** Registers the hostnames routes on the authenticated admin app. */
export function registerHostnamesRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/hostnames',
      tags: ['hostnames'],
      summary: 'Custom hostnames of a tenant, with the DNS records their owner must add and Cloudflare’s status',
      request: { params: TenantParam },
      responses: {
        200: json(z.object({ items: z.array(HostnameView) }), 'Hostnames'),
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const rows = await listHostnames(c.env, tenantId);
      return c.json({ items: rows.map((r) => hostnameView(c.env, r)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/hostnames',
      tags: ['hostnames'],
      summary:
        'Add a custom hostname at Cloudflare for SaaS; it routes to this tenant once Cloudflare reports it active',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: HostnameCreate } }, required: true },
      },
      responses: {
        201: json(HostnameView, 'Created at Cloudflare, pending verification'),
        ...bodyErrors,
        409: json(ErrorBody, 'Hostname taken (here or at Cloudflare)'),
        502: json(ErrorBody, 'Cloudflare failed (cloudflare_failed) or refused (cloudflare_refused); nothing stored'),
        503: json(ErrorBody, 'Cloudflare for SaaS is not configured (hostnames_unconfigured)'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'platform-admin');
      const hostname = c.req.valid('json').hostname.toLowerCase();
      const reserved = platformHostOf(c.env, hostname);
      if (reserved) {
        const why = `${hostname} is ${reserved === hostname ? '' : 'under '}the platform's own host ${reserved}; a tenant cannot claim it`;
        throw new AppError('invalid_body', 400, why, [{ path: 'hostname', message: 'a platform host' }]);
      }
      const cf = cloudflareSaas(c.env);
      if (!cf)
        throw new AppError(
          'hostnames_unconfigured',
          503,
          'custom hostnames need Cloudflare for SaaS: set the secrets CLOUDFLARE_SAAS_ZONE_ID and CLOUDFLARE_SAAS_API_TOKEN',
        );
      if (await hostnameTaken(c.env, hostname)) throw new AppError('conflict', 409, 'this hostname is already routed');
      // A deletion of the same hostname still owed to Cloudflare would make it answer "duplicate".
      await settleOwedDeletions(c.env, { hostname, cf });
      let created: Awaited<ReturnType<typeof createCustomHostname>>;
      try {
        created = await createCustomHostname(cf, hostname);
      } catch (err) {
        if (err instanceof UpstreamError) {
          log.warn('custom_hostname.create_failed', { tenantId, hostname, error: err.failure.code });
          throw cloudflareFailure(err);
        }
        throw err;
      }
      try {
        await insertHostname(c.env, tenantId, hostname, created.id, hostnameState(created), Date.now());
      } catch (err) {
        // Lost a race for the hostname (or D1 failed): Cloudflare must not keep what we did not store.
        // If Cloudflare cannot delete it now, the deletion is owed and the cron retries it.
        await deleteCustomHostname(cf, created.id).catch(async (deleteErr) => {
          const error = deleteErr instanceof UpstreamError ? deleteErr.failure.code : 'internal_error';
          await oweDeletion(c.env, created.id, hostname, error).catch(() =>
            log.error('custom_hostname.orphaned', { tenantId, hostname, cloudflareId: created.id, error }),
          );
        });
        if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'this hostname is already routed');
        throw err;
      }
      forgetHost(hostname);
      await audit(c, tenantId, 'hostname.add', hostname, { cloudflareId: created.id });
      return c.json(hostnameView(c.env, (await getHostname(c.env, tenantId, hostname))!), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/hostnames/{hostname}',
      tags: ['hostnames'],
      summary: 'Remove a custom hostname: it stops routing at once and is deleted at Cloudflare',
      request: { params: TenantParam.extend({ hostname: z.string() }) },
      responses: {
        204: { description: 'Removed, here and at Cloudflare' },
        202: json(
          z.object({ hostname: z.string(), cloudflare: z.literal('pending'), error: z.string() }),
          'Removed here; Cloudflare failed, so the cron deletes it there',
        ),
        ...tenantErrors,
      },
    }),
    async (c) => {
      const { tenantId, hostname } = c.req.valid('param');
      await tenantFor(c, tenantId, 'platform-admin');
      const row = await removeHostname(c.env, tenantId, hostname);
      if (!row) throw new AppError('not_found', 404, 'not found');
      forgetHost(row.hostname);
      await audit(c, tenantId, 'hostname.remove', row.hostname);
      if (!row.cfId) return c.body(null, 204);
      const settled = await settleOwedDeletions(c.env, { hostname: row.hostname, cfId: row.cfId });
      if (settled.failed > 0)
        return c.json(
          { hostname: row.hostname, cloudflare: 'pending' as const, error: settled.lastError ?? 'unknown' },
          202,
        );
      return c.body(null, 204);
    },
  );
}
