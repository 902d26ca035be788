/**
 * What went wrong and what changed: the audit log, messages that failed for good, dead letters and
 * their replay (back through the bridge's queues).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { listAudit } from '../../db/admin.repo';
import { getDeadLetter, listDeadLetters, listFailures, markReplayed } from '../../db/records.repo';
import { DeadLetterMessage, ReplayableItem } from '../../schemas/queue.schema';
import { AuditEntryView, DeadLetterView, FailureView } from './admin.schema';
import { audit, errors, json, TenantParam, type AdminApp, tenantFor, bodyErrors } from './openapi';

/** Registers the messages routes on the authenticated admin app. */
export function registerMessagesRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/audit',
      tags: ['audit'],
      summary: 'Admin changes to this tenant, newest first',
      request: { params: TenantParam },
      responses: {
        200: json(
          z.object({
            items: z.array(AuditEntryView),
          }),
          'Audit log',
        ),
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const rows = await listAudit(c.env, tenantId);
      return c.json({ items: rows.map(({ tenantId: _t, ...r }) => r) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/failures',
      tags: ['messages'],
      summary: 'Messages that failed for good (newest first)',
      request: { params: TenantParam },
      responses: {
        200: json(z.object({ items: z.array(FailureView) }), 'Failures'),
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      return c.json({ items: await listFailures(c.env, tenantId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/dead-letters',
      tags: ['messages'],
      summary: 'Messages parked after their last retry',
      request: { params: TenantParam },
      responses: {
        200: json(z.object({ items: z.array(DeadLetterView) }), 'Dead letters'),
        401: errors[401],
        404: errors[404],
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      return c.json({ items: await listDeadLetters(c.env, tenantId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/dead-letters/{id}/replay',
      tags: ['messages'],
      summary: 'Send a dead letter through the bridge again',
      request: { params: TenantParam.extend({ id: z.string() }) },
      responses: {
        202: json(z.object({ replayed: z.string() }), 'Re-queued'),
        ...bodyErrors,
      },
    }),
    async (c) => {
      const { tenantId, id } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const row = await getDeadLetter(c.env, tenantId, id);
      if (!row) throw new AppError('not_found', 404, 'not found');
      const stored: unknown = JSON.parse(row.payload);
      // A dead letter holds either the original queue item, or the item wrapped with its error.
      const wrapped = DeadLetterMessage.safeParse(stored);
      const item = ReplayableItem.safeParse(wrapped.success ? wrapped.data.item : stored);
      if (!item.success || item.data.tenantId !== tenantId)
        throw new AppError('invalid_body', 400, 'this dead letter holds no replayable item');
      const data = item.data;
      if (data.kind === 'gc_message')
        await c.env.OUTBOUND_QUEUE.send({ ...data, replay: true }, { contentType: 'json' });
      else
        await c.env.INBOUND_QUEUE.send(data.kind === 'wa_message' ? { ...data, replay: true } : data, {
          contentType: 'json',
        });
      await markReplayed(c.env, tenantId, row.id);
      await audit(c, tenantId, 'deadletter.replay', row.id);
      return c.json({ replayed: row.id }, 202);
    },
  );
}
