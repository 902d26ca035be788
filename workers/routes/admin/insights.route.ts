/**
 * Read-only admin views of traffic: conversations, a conversation's timeline, and hourly metrics
 * for charts. Registered on the authenticated admin app; every handler checks the tenant scope.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { assertTenant, type AdminEnv } from '../../middleware/admin-auth.middleware';
import {
  getConversation,
  latencySince,
  listConversations,
  metricsSince,
  tenantBacklog,
} from '../../db/conversations.repo';
import { mergeHistograms, quantileBound } from '../../domain/latency-histogram';
import { conversationName, SERVICE_WINDOW_MS } from '../../domain/conversation';
import { ConversationView, ErrorBody, MetricsView, TimelineView } from './admin.schema';
import { json, TenantParam } from './openapi';

function conversationView(
  row: NonNullable<Awaited<ReturnType<typeof getConversation>>>,
): z.infer<typeof ConversationView> {
  return {
    waId: row.waId,
    contactName: row.contactName,
    genesysConversationId: row.genesysConversationId,
    lastMessageAt: row.lastMessageAt,
    lastDirection: row.lastDirection,
    messagesIn: row.messagesIn,
    messagesOut: row.messagesOut,
    windowClosesAt: row.lastCustomerMessageAt ? row.lastCustomerMessageAt + SERVICE_WINDOW_MS : null,
  };
}

export function registerInsightRoutes(api: OpenAPIHono<AdminEnv>): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/conversations',
      tags: ['conversations'],
      summary: 'Conversations, most recent first',
      request: { params: TenantParam },
      responses: {
        200: json(z.object({ items: z.array(ConversationView) }), 'Conversations'),
        401: json(ErrorBody, 'Unauthorized'),
        404: json(ErrorBody, 'Not found'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      assertTenant(c.get('scope'), tenantId);
      return c.json({ items: (await listConversations(c.env, tenantId)).map(conversationView) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/conversations/{waId}',
      tags: ['conversations'],
      summary: 'One conversation with every message in both directions and its delivery state',
      request: { params: TenantParam.extend({ waId: z.string().regex(/^\d{6,15}$/) }) },
      responses: {
        200: json(TimelineView, 'Timeline'),
        401: json(ErrorBody, 'Unauthorized'),
        404: json(ErrorBody, 'Not found'),
      },
    }),
    async (c) => {
      const { tenantId, waId } = c.req.valid('param');
      assertTenant(c.get('scope'), tenantId);
      const row = await getConversation(c.env, tenantId, waId);
      if (!row) throw new AppError('not_found', 404, 'not found');
      const entries = await c.env.CONVERSATION.getByName(conversationName(tenantId, waId)).timeline();
      return c.json(
        {
          conversation: conversationView(row),
          entries: entries.map(({ media, ...e }) => ({ ...e, hasMedia: !!media })),
        },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/metrics',
      tags: ['conversations'],
      summary: 'Messages in/out, failures and latency (average, p50, p95) per hour, and the backlog now',
      request: {
        params: TenantParam,
        query: z.object({
          hours: z.coerce
            .number()
            .int()
            .min(1)
            .max(24 * 30)
            .default(24),
        }),
      },
      responses: {
        200: json(MetricsView, 'Hourly series'),
        401: json(ErrorBody, 'Unauthorized'),
        404: json(ErrorBody, 'Not found'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      assertTenant(c.get('scope'), tenantId);
      const { hours } = c.req.valid('query');
      const since = Math.floor(Date.now() / 3600_000) * 3600_000 - (hours - 1) * 3600_000;
      const [rows, buckets, backlog] = await Promise.all([
        metricsSince(c.env, tenantId, since),
        latencySince(c.env, tenantId, since),
        tenantBacklog(c.env, tenantId),
      ]);
      const series = Array.from({ length: hours }, (_, i) => {
        const hour = since + i * 3600_000;
        const at = rows.filter((r) => r.hour === hour);
        const delivered = at.reduce((n, r) => n + r.delivered, 0);
        const latency = at.reduce((n, r) => n + r.latencySumMs, 0);
        const histogram = mergeHistograms(
          new Map(),
          buckets.filter((b) => b.hour === hour).map((b) => [b.leMs, b.count]),
        );
        return {
          hour,
          inbound: at.find((r) => r.direction === 'inbound')?.delivered ?? 0,
          outbound: at.find((r) => r.direction === 'outbound')?.delivered ?? 0,
          failed: at.reduce((n, r) => n + r.failed, 0),
          avgLatencyMs: delivered > 0 ? Math.round(latency / delivered) : null,
          p50LatencyMs: quantileBound(histogram, 0.5),
          p95LatencyMs: quantileBound(histogram, 0.95),
        };
      });
      const now = Date.now();
      const age = (at: number | null) => (at === null ? null : Math.max(0, now - at));
      return c.json(
        {
          hours: series,
          backlog: {
            inbound: { count: backlog.inbound.count, oldestAgeMs: age(backlog.inbound.oldestAt) },
            outbound: { count: backlog.outbound.count, oldestAgeMs: age(backlog.outbound.oldestAt) },
          },
        },
        200,
      );
    },
  );
}
