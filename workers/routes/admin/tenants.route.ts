/**
 * Tenants: list, create (platform admin, on the platform host), read, rename or suspend, delete
 * (which starts the tenant's offboarding, workers/erasure/offboarding.ts), and the setup URLs to
 * paste into Meta and Genesys.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { actorOf, assertRole } from '../../middleware/admin-auth.middleware';
import { latestOffboarding } from '../../db/erasure.repo';
import { runOffboarding, startOffboarding } from '../../erasure/offboarding';
import { settleOwedDeletions } from '../../lib/custom-hostname-sync';
import { createTenant, loadTenant, pageTenantIds, updateTenant, type Tenant } from '../../db/tenants.repo';
import {
  ErrorBody,
  OffboardingView,
  Page,
  TenantQuery,
  TenantCreate,
  TenantPatch,
  TenantView,
  WebhookSetup,
} from './admin.schema';
import { offboardingView } from './erasure.route';
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
import { randomSecret, setup, view } from './tenant-view';
import { assertNumberOfWaba } from '../../lib/whatsapp-credential';

/** Registers the tenants routes on the authenticated admin app. */
export function registerTenantsRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants',
      tags: ['tenants'],
      summary: 'Tenants visible to the caller, oldest first',
      request: { query: TenantQuery },
      responses: { 200: json(Page(TenantView), 'Tenants'), 400: errors[400], 401: errors[401] },
    }),
    async (c) => {
      const { q, ...request } = c.req.valid('query');
      const page = await pageTenantIds(c.env, c.get('scope'), request, q);
      const tenants = (await Promise.all(page.items.map((r) => loadTenant(c.env, r.id)))).filter(
        (t): t is Tenant => t !== null,
      );
      return c.json({ items: tenants.map(view), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants',
      tags: ['tenants'],
      summary: 'Create a tenant with its WhatsApp and Genesys credentials (platform admin)',
      request: { body: { content: { 'application/json': { schema: TenantCreate } }, required: true } },
      responses: {
        201: json(
          z.object({ id: z.string(), tenant: TenantView, setup: WebhookSetup }),
          'Created; `setup` holds the URLs to paste',
        ),
        400: errors[400],
        401: errors[401],
        403: errors[403],
        409: json(ErrorBody, 'Slug or phone number already used'),
        422: json(ErrorBody, 'The WABA does not list the phone number for this token, or Meta refused the token'),
        502: json(ErrorBody, 'Meta could not be asked'),
      },
    }),
    async (c) => {
      assertRole(c.get('principal'), 'platform-admin');
      if (c.get('scope') !== null)
        throw new AppError('forbidden', 403, 'tenants are created on the platform host, not a tenant host');
      const body = c.req.valid('json');
      await assertNumberOfWaba(c.env, body.whatsapp);
      let id: string;
      try {
        id = await createTenant(c.env, {
          name: body.name,
          slug: body.slug,
          whatsapp: body.whatsapp,
          genesys: { ...body.genesys, outboundWebhookSecret: body.genesys.outboundWebhookSecret ?? randomSecret() },
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AppError('conflict', 409, 'a tenant with this slug or WhatsApp phone number already exists');
        throw err;
      }
      await audit(c, id, 'tenant.create', id, { slug: body.slug, name: body.name });
      const tenant = (await loadTenant(c.env, id))!;
      return c.json({ id, tenant: view(tenant), setup: setup(c.env, tenant) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}',
      tags: ['tenants'],
      summary: 'One tenant, credentials masked',
      request: { params: TenantParam },
      responses: { 200: json(TenantView, 'Tenant'), 401: errors[401], 404: errors[404] },
    }),
    async (c) => c.json(view(await tenantFor(c, c.req.valid('param').tenantId)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/tenants/{tenantId}',
      tags: ['tenants'],
      summary: 'Rename or suspend a tenant, or change its settings',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: TenantPatch } }, required: true },
      },
      responses: {
        200: json(TenantView, 'Updated'),
        ...bodyErrors,
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      const before = await tenantFor(c, tenantId, 'tenant-admin');
      const patch = c.req.valid('json');
      await updateTenant(c.env, tenantId, patch);
      // Always, not only on a change: `before` may come from another isolate's cache (up to 30 s old),
      // and holding or releasing twice is harmless.
      if (patch.status) {
        // Suspended: conversations keep accepting and hold everything; resuming wakes them to drain in order.
        const gate = c.env.TENANT_GATE.getByName(tenantId);
        const phone = before.whatsapp.phoneNumberId;
        if (patch.status === 'suspended') await gate.holdWhatsapp(phone, 'suspended', null);
        else await gate.releaseWhatsapp(phone, 'suspended');
      }
      await audit(c, tenantId, 'tenant.update', tenantId, patch);
      return c.json(view((await loadTenant(c.env, tenantId))!), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}',
      tags: ['tenants'],
      summary: 'Delete a tenant and erase everything it owns (platform admin)',
      description:
        'The tenant stops being served at once; its data is erased by a background job whose progress is at `GET /tenants/{tenantId}/offboarding` (the `Location` header).',
      request: { params: TenantParam },
      responses: { 202: json(OffboardingView, 'Deleted; erasure under way'), ...tenantErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'platform-admin');
      const jobId = await startOffboarding(c.env, tenantId, actorOf(c.get('principal')));
      // A platform entry (no tenant id): the tenant's own audit log is erased with it.
      await audit(c, null, 'tenant.delete', tenantId, { jobId });
      // Started now; what this run does not finish, the cron continues (a failure is on the job).
      c.executionCtx.waitUntil(runOffboarding(c.env, jobId).catch(() => undefined));
      // Its custom hostnames are deleted at Cloudflare now; what fails, the cron retries.
      c.executionCtx.waitUntil(settleOwedDeletions(c.env).catch(() => undefined));
      const job = (await latestOffboarding(c.env, tenantId))!;
      return c.json(offboardingView(job), 202, { Location: `/api/tenants/${tenantId}/offboarding` });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/setup',
      tags: ['credentials'],
      summary: 'The Meta callback URL and verify token to paste, and the Genesys webhook URL',
      request: { params: TenantParam },
      responses: { 200: json(WebhookSetup, 'Setup'), ...tenantErrors },
    }),
    async (c) => {
      const tenant = await tenantFor(c, c.req.valid('param').tenantId);
      assertRole(c.get('principal'), 'tenant-admin');
      return c.json(setup(c.env, tenant), 200);
    },
  );
}
