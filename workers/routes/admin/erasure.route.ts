/**
 * Erasure: one customer's data (tenant admin), and the status of a deleted tenant's offboarding
 * (platform admin; DELETE /tenants/{id} in tenants.route.ts starts it). The customer's number is
 * never written to the audit log: it names them by the last four digits.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { latestOffboarding, type OffboardingJob } from '../../db/erasure.repo';
import { eraseCustomer } from '../../erasure/customer-erasure';
import { maskPhone } from '../../lib/log';
import { assertRole, assertTenant } from '../../middleware/admin-auth.middleware';
import { CustomerErasureView, OffboardingView } from './admin.schema';
import { audit, json, TenantParam, type AdminApp, tenantErrors, tenantFor } from './openapi';

export function offboardingView(job: OffboardingJob): z.infer<typeof OffboardingView> {
  const { leaseUntil: _lease, ...view } = job;
  return view;
}

/** Registers the erasure routes on the authenticated admin app. */
export function registerErasureRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/customers/{waId}',
      tags: ['erasure'],
      summary: 'Erase one customer: their conversation (messages, media references, window) and every record of theirs',
      request: { params: TenantParam.extend({ waId: z.string().regex(/^\d{6,15}$/) }) },
      responses: { 200: json(CustomerErasureView, 'Erased (zeros when the bridge held nothing)'), ...tenantErrors },
    }),
    async (c) => {
      const { tenantId, waId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const erased = await eraseCustomer(c.env, tenantId, waId);
      const customer = maskPhone(waId)!;
      await audit(c, tenantId, 'customer.erase', customer, { ...erased });
      return c.json({ customer, conversationErased: true as const, ...erased }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/offboarding',
      tags: ['erasure'],
      summary: 'Progress of erasing a deleted tenant (platform admin)',
      request: { params: TenantParam },
      responses: { 200: json(OffboardingView, 'The latest offboarding job of this tenant'), ...tenantErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      // The tenant itself is gone by now, so its scope is checked without loading it.
      assertTenant(c.get('scope'), tenantId);
      assertRole(c.get('principal'), 'platform-admin');
      const job = await latestOffboarding(c.env, tenantId);
      if (!job) throw new AppError('not_found', 404, 'not found');
      return c.json(offboardingView(job), 200);
    },
  );
}
