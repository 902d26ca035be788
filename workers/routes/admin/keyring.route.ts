/**
 * The master keyring, for the platform: re-seal every tenant secret with the newest key, so an
 * older key can leave MASTER_KEYS (README, "Rotating the master key"). Answers counts, never a key.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { keyring } from '../../lib/keyring';
import { assertRole } from '../../middleware/admin-auth.middleware';
import { reencryptTenantSecrets } from '../../db/reseal.repo';
import { audit, errors, json, type AdminApp } from './openapi';

const ReencryptRequest = z
  .object({
    after: z.string().max(100).optional().openapi({ description: '`next` of the previous page' }),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .openapi('ReencryptRequest');

const ReencryptReport = z
  .object({
    keyId: z.string().openapi({ description: 'The newest key id, which every re-sealed secret now names' }),
    tenants: z.number(),
    reencrypted: z.number(),
    current: z.number().openapi({ description: 'Secrets already sealed with the newest key' }),
    unreadable: z.number().openapi({ description: 'Secrets no key of the keyring opens (left untouched)' }),
    next: z.string().nullable().openapi({ description: 'Pass as `after` for the next page; null when done' }),
  })
  .openapi('ReencryptReport');

/** Registers the keyring routes on the authenticated admin app. */
export function registerKeyringRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/keyring/reencrypt',
      tags: ['keyring'],
      summary: 'Re-seal one page of tenant secrets with the newest master key (platform admin)',
      request: { body: { content: { 'application/json': { schema: ReencryptRequest } }, required: false } },
      responses: {
        200: json(ReencryptReport, 'What this page did; repeat with `after: next` until `next` is null'),
        400: errors[400],
        401: errors[401],
        403: errors[403],
      },
    }),
    async (c) => {
      assertRole(c.get('principal'), 'platform-admin');
      if (c.get('scope') !== null)
        throw new AppError('forbidden', 403, 'the keyring is managed on the platform host, not a tenant host');
      const body = c.req.valid('json') ?? { limit: 100 };
      const keyId = keyring(c.env).newest.id;
      const { perTenant, ...report } = await reencryptTenantSecrets(c.env, { after: body.after, limit: body.limit });
      for (const [tenantId, secrets] of perTenant) await audit(c, tenantId, 'keyring.reencrypt', keyId, { secrets });
      const { next: _next, ...counts } = report;
      await audit(c, null, 'keyring.reencrypt', keyId, counts);
      return c.json({ keyId, ...report }, 200);
    },
  );
}
