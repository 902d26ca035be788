/**
 * Operator endpoints for what went wrong: failed messages and dead letters per tenant, and replay.
 * Guarded by the platform operator token (ADMIN_API_TOKEN); the full admin API with roles and
 * per-tenant keys builds on these.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { AppError } from '../domain/errors';
import { timingSafeEqual } from '../lib/crypto';
import { getDeadLetter, listDeadLetters, listFailures, markReplayed } from '../db/records.repo';
import { DeadLetterMessage, InboundQueueMessage } from '../schemas/queue.schema';

export const opsRoutes = new Hono<AppEnv>()
  .use(async function operatorAuth(c, next) {
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !c.env.ADMIN_API_TOKEN || !timingSafeEqual(token, c.env.ADMIN_API_TOKEN)) {
      throw new AppError('unauthorized', 401, 'a valid operator token is required (Authorization: Bearer …)');
    }
    await next();
  })
  .get('/tenants/:tenantId/failures', async (c) => c.json({ items: await listFailures(c.env, c.req.param('tenantId')) }))
  .get('/tenants/:tenantId/dead-letters', async (c) => c.json({ items: await listDeadLetters(c.env, c.req.param('tenantId')) }))
  .post('/tenants/:tenantId/dead-letters/:id/replay', async (c) => {
    const tenantId = c.req.param('tenantId');
    const row = await getDeadLetter(c.env, tenantId, c.req.param('id'));
    if (!row) throw new AppError('not_found', 404, 'no such dead letter for this tenant');
    const stored: unknown = JSON.parse(row.payload);
    // A dead letter holds either the original queue item, or the item wrapped with its error.
    const wrapped = DeadLetterMessage.safeParse(stored);
    const item = InboundQueueMessage.safeParse(wrapped.success ? wrapped.data.item : stored);
    if (!item.success || item.data.tenantId !== tenantId) throw new AppError('invalid_body', 400, 'this dead letter holds no replayable item');
    const body = item.data.kind === 'wa_message' ? { ...item.data, replay: true } : item.data;
    await c.env.INBOUND_QUEUE.send(body, { contentType: 'json' });
    await markReplayed(c.env, tenantId, row.id);
    return c.json({ replayed: row.id }, 202);
  });
