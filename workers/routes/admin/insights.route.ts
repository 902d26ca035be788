/**
 * Read-only admin views of traffic: conversations, a conversation's timeline, and hourly metrics
 * for charts. Registered on the authenticated admin app; every handler checks the tenant scope.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors';
import { assertRole, assertTenant, type AdminEnv } from '../../middleware/admin-auth.middleware';
import {
  type Backlog,
  getConversation,
  latencySince,
  metricsSince,
  pageConversations,
  pageTenantBacklogs,
  platformBacklog,
  tenantBacklog,
} from '../../db/conversations.repo';
import { mergeHistograms, quantileBound } from '../../domain/latency-histogram';
import { conversationName, SERVICE_WINDOW_MS } from '../../domain/conversation';
import {
  ConversationQuery,
  ConversationView,
  ErrorBody,
  MetricsView,
  Page,
  PageQuery,
  PlatformBacklogView,
  TimelineView,
} from './admin.schema';
import { errors, json, listErrors, TenantParam } from './openapi';

/** A backlog with each direction's oldest message's age at `now` too. */
function backlogView(backlog: Backlog, now: number) {
  const age = (at: number | null) => (at === null ? null : Math.max(0, now - at));
  return {
    inbound: { ...backlog.inbound, oldestAgeMs: age(backlog.inbound.oldestAt) },
    outbound: { ...backlog.outbound, oldestAgeMs: age(backlog.outbound.oldestAt) },
  };
}

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
      summary: 'Conversations, most recent first, by number or name, service window and backlog',
      request: { params: TenantParam, query: ConversationQuery },
      responses: { 200: json(Page(ConversationView), 'Conversations'), ...listErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      assertTenant(c.get('scope'), tenantId);
      const { limit, cursor, ...filter } = c.req.valid('query');
      const page = await pageConversations(c.env, tenantId, { limit, cursor }, filter);
      return c.json({ items: page.items.map(conversationView), nextCursor: page.nextCursor }, 200);
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
      const view = backlogView(backlog, Date.now());
      return c.json(
        {
          hours: series,
          backlog: {
            inbound: { count: view.inbound.count, oldestAgeMs: view.inbound.oldestAgeMs },
            outbound: { count: view.outbound.count, oldestAgeMs: view.outbound.oldestAgeMs },
          },
        },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/metrics/backlog',
      tags: ['conversations'],
      summary: 'Messages waiting per direction and the oldest one, per tenant and platform-wide (platform admin)',
      description:
        "The same aggregates as each tenant's `GET /tenants/{tenantId}/metrics` backlog. Tenants page oldest first; `totals` covers every tenant.",
      request: { query: PageQuery },
      responses: { 200: json(PlatformBacklogView, 'Backlog'), 400: errors[400], 401: errors[401], 403: errors[403] },
    }),
    async (c) => {
      assertRole(c.get('principal'), 'platform-admin');
      if (c.get('scope') !== null)
        throw new AppError('forbidden', 403, 'the platform backlog is read on the platform host');
      const { limit, cursor } = c.req.valid('query');
      const [page, totals] = await Promise.all([pageTenantBacklogs(c.env, { limit, cursor }), platformBacklog(c.env)]);
      const now = Date.now();
      return c.json(
        {
          items: page.items.map((t) => ({ tenantId: t.tenantId, name: t.name, ...backlogView(t, now) })),
          nextCursor: page.nextCursor,
          totals: backlogView(totals, now),
        },
        200,
      );
    },
  );
}
