/**
 * What went wrong and what changed: the audit log, messages that failed for good, dead letters and
 * their replay (back through the bridge's queues), one at a time or in bulk. Lists page by cursor
 * (db/paging.ts) and never carry payloads; the detail routes do.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { pageAudit } from '../../db/admin.repo';
import {
  deadLettersByIds,
  getDeadLetter,
  getFailure,
  pageDeadLetters,
  pageFailures,
  unreplayedDeadLetters,
} from '../../db/records.repo';
import { replayDeadLetter } from '../../lib/dead-letter-replay';
import {
  AuditEntryView,
  AuditQuery,
  BulkReplay,
  BulkReplayResult,
  DeadLetterSummary,
  ErrorBody,
  DeadLetterView,
  FailureSummary,
  FailureView,
  Page,
  RecordQuery,
} from './admin.schema';
import { audit, errors, json, TenantParam, type AdminApp, tenantFor, bodyErrors, listErrors } from './openapi';

/** Registers the messages routes on the authenticated admin app. */
export function registerMessagesRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/audit',
      tags: ['audit'],
      summary: 'Admin changes to this tenant, newest first, by action and actor',
      request: { params: TenantParam, query: AuditQuery },
      responses: { 200: json(Page(AuditEntryView), 'Audit log'), ...listErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const { limit, cursor, action, actor } = c.req.valid('query');
      const page = await pageAudit(c.env, tenantId, { limit, cursor }, { action, actor });
      return c.json({ items: page.items.map(({ tenantId: _t, ...r }) => r), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/failures',
      tags: ['messages'],
      summary: 'Messages that failed for good, newest first, by customer or message id, direction and code',
      description: '`waId` links each to its conversation; the payload is left out (GET …/failures/{failureId}).',
      request: { params: TenantParam, query: RecordQuery },
      responses: { 200: json(Page(FailureSummary), 'Failures'), ...listErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const { limit, cursor, ...filter } = c.req.valid('query');
      return c.json(await pageFailures(c.env, tenantId, { limit, cursor }, filter), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/failures/{failureId}',
      tags: ['messages'],
      summary: 'One failure with its payload (trimmed when large)',
      request: { params: TenantParam.extend({ failureId: z.string().max(100) }) },
      responses: { 200: json(FailureView, 'Failure'), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { tenantId, failureId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const row = await getFailure(c.env, tenantId, failureId);
      if (!row) throw new AppError('not_found', 404, 'not found');
      return c.json(row, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/dead-letters',
      tags: ['messages'],
      summary: 'Messages parked after their last retry, newest first, by customer or message id, direction and code',
      description:
        '`direction` is the queue a dead letter came from; `waId` links it to its conversation; the payload is left out (GET …/dead-letters/{id}).',
      request: { params: TenantParam, query: RecordQuery },
      responses: { 200: json(Page(DeadLetterSummary), 'Dead letters'), ...listErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const { limit, cursor, ...filter } = c.req.valid('query');
      return c.json(await pageDeadLetters(c.env, tenantId, { limit, cursor }, filter), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/dead-letters/{id}',
      tags: ['messages'],
      summary: 'One dead letter with its payload (the item it replays)',
      request: { params: TenantParam.extend({ id: z.string().max(100) }) },
      responses: { 200: json(DeadLetterView, 'Dead letter'), 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const { tenantId, id } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const row = await getDeadLetter(c.env, tenantId, id);
      if (!row) throw new AppError('not_found', 404, 'not found');
      return c.json(row, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/dead-letters/replay',
      tags: ['messages'],
      summary: 'Replay dead letters in bulk: up to 100 named ones, or up to `limit` not yet replayed matching a filter',
      description:
        'Each is replayed as POST …/dead-letters/{id}/replay does; one already replayed is skipped (`already_replayed`), so repeating the call replays nothing twice. Audited once (`deadletter.replay.bulk`) with the counts.',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: BulkReplay } }, required: true },
      },
      responses: { 202: json(BulkReplayResult, 'Re-queued'), ...bodyErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const body = c.req.valid('json');
      const skipped: Array<{ id: string; reason: 'not_found' | 'already_replayed' | 'not_replayable' }> = [];
      let rows: Awaited<ReturnType<typeof deadLettersByIds>>;
      if ('ids' in body) {
        const ids = [...new Set(body.ids)];
        const found = new Map((await deadLettersByIds(c.env, tenantId, ids)).map((r) => [r.id, r]));
        rows = [];
        for (const id of ids) {
          const row = found.get(id);
          if (!row) skipped.push({ id, reason: 'not_found' });
          else if (row.replayedAt !== null) skipped.push({ id, reason: 'already_replayed' });
          else rows.push(row);
        }
      } else {
        rows = await unreplayedDeadLetters(c.env, tenantId, body.filter, body.limit);
      }
      let replayed = 0;
      for (const row of rows) {
        const outcome = await replayDeadLetter(c.env, tenantId, row);
        if (outcome === 'replayed') replayed++;
        else skipped.push({ id: row.id, reason: outcome });
      }
      await audit(c, tenantId, 'deadletter.replay.bulk', tenantId, {
        replayed,
        skipped: skipped.length,
        ...('ids' in body ? { ids: body.ids.length } : { filter: body.filter, limit: body.limit }),
      });
      return c.json({ replayed, skipped }, 202);
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
        409: json(ErrorBody, 'Replayed by someone else just now'),
      },
    }),
    async (c) => {
      const { tenantId, id } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const row = await getDeadLetter(c.env, tenantId, id);
      if (!row) throw new AppError('not_found', 404, 'not found');
      const outcome = await replayDeadLetter(c.env, tenantId, row);
      if (outcome === 'not_replayable')
        throw new AppError('invalid_body', 400, 'this dead letter holds no replayable item');
      if (outcome === 'already_replayed')
        throw new AppError('conflict', 409, 'this dead letter was replayed by someone else just now');
      await audit(c, tenantId, 'deadletter.replay', row.id);
      return c.json({ replayed: row.id }, 202);
    },
  );
}
