/**
 * A tenant's alerts: the channels its notices go to (tenant-admin manages them; the URL and the
 * signing secret are write-only, the secret shown once when the channel is made), a test notice,
 * and the incident history with each notice's delivery (viewers may read both lists). What fires
 * an alert is README "Alerts"; the job is workers/scheduled/alerts.job.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { config } from '../../env';
import { AppError } from '../../domain/errors';
import { addAlertChannel, listAlertChannels, pageAlerts, removeAlertChannel } from '../../db/alerts.repo';
import { channelUrlAllowed, sendNotice } from '../../clients/alert-webhook.client';
import {
  AlertChannelCreate,
  AlertChannelCreated,
  AlertChannelView,
  AlertTestResult,
  AlertView,
  ErrorBody,
  Page,
  PageQuery,
} from './admin.schema';
import { audit, bodyErrors, json, listErrors, TenantParam, type AdminApp, tenantErrors, tenantFor } from './openapi';
import { mask, randomSecret } from './tenant-view';

/** Channels per tenant: each notice is one request per channel per tick. */
const MAX_CHANNELS = 5;

const ChannelParam = TenantParam.extend({
  channelId: z.string().openapi({ param: { name: 'channelId', in: 'path' } }),
});

function channelView(channel: { id: string; url: string; secret: string; label: string | null; createdAt: number }) {
  return {
    id: channel.id,
    url: `${new URL(channel.url).origin}/••••`,
    secret: mask(channel.secret),
    label: channel.label,
    createdAt: channel.createdAt,
  };
}

/** Registers the alert routes on the authenticated admin app. */
export function registerAlertsRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/alert-channels',
      tags: ['alerts'],
      summary: "Where the tenant's alert notices go (URLs and secrets masked)",
      request: { params: TenantParam },
      responses: { 200: json(z.object({ items: z.array(AlertChannelView) }), 'Channels'), ...tenantErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      return c.json({ items: (await listAlertChannels(c.env, tenantId)).map(channelView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/alert-channels',
      tags: ['alerts'],
      summary: 'Add a webhook channel; the answer carries its signing secret, shown this once',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: AlertChannelCreate } }, required: true },
      },
      responses: {
        201: json(AlertChannelCreated, 'Added'),
        ...bodyErrors,
        409: json(ErrorBody, `At most ${MAX_CHANNELS} channels (too_many_channels)`),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const body = c.req.valid('json');
      if (!channelUrlAllowed(c.env.ENVIRONMENT, body.url))
        throw new AppError('invalid_body', 400, 'the channel URL must be https', [
          { path: 'url', message: 'must be https outside development' },
        ]);
      if ((await listAlertChannels(c.env, tenantId)).length >= MAX_CHANNELS)
        throw new AppError('too_many_channels', 409, `a tenant may have at most ${MAX_CHANNELS} alert channels`);
      const channel = await addAlertChannel(c.env, tenantId, {
        id: crypto.randomUUID(),
        url: body.url,
        secret: randomSecret(),
        label: body.label ?? null,
      });
      await audit(c, tenantId, 'alerts.channel.add', channel.id, {
        origin: new URL(body.url).origin,
        label: channel.label,
      });
      return c.json({ ...channelView(channel), secret: channel.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/alert-channels/{channelId}',
      tags: ['alerts'],
      summary: 'Remove a channel; notices still due to it are dropped',
      request: { params: ChannelParam },
      responses: { 204: { description: 'Removed' }, ...tenantErrors },
    }),
    async (c) => {
      const { tenantId, channelId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      if (!(await removeAlertChannel(c.env, tenantId, channelId))) throw new AppError('not_found', 404, 'not found');
      await audit(c, tenantId, 'alerts.channel.remove', channelId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/alert-channels/{channelId}/test',
      tags: ['alerts'],
      summary: 'Send a signed test notice (type `test`) to the channel now; nothing is recorded',
      request: { params: ChannelParam },
      responses: { 200: json(AlertTestResult, "The channel's answer"), ...tenantErrors },
    }),
    async (c) => {
      const { tenantId, channelId } = c.req.valid('param');
      const tenant = await tenantFor(c, tenantId, 'tenant-admin');
      const channel = (await listAlertChannels(c.env, tenantId)).find((ch) => ch.id === channelId);
      if (!channel) throw new AppError('not_found', 404, 'not found');
      const now = Date.now();
      const result = await sendNotice(
        channel,
        {
          id: `test-${crypto.randomUUID()}`,
          type: 'test',
          state: 'firing',
          tenantId,
          tenantName: tenant.name,
          detail: 'a test notice: this channel receives alerts',
          openedAt: now,
          resolvedAt: null,
        },
        config(c.env).UPSTREAM_TIMEOUT_MS,
      );
      return c.json({ ok: result.ok, error: result.ok ? null : result.error }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/alerts',
      tags: ['alerts'],
      summary: "Alert history, newest first, with each notice's delivery",
      request: { params: TenantParam, query: PageQuery },
      responses: { 200: json(Page(AlertView), 'Incidents'), ...listErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId);
      const page = await pageAlerts(c.env, tenantId, c.req.valid('query'));
      const items = page.items.map((a) => ({
        id: a.id,
        type: a.type,
        state: a.state,
        detail: a.detail,
        openedAt: a.openedAt,
        resolvedAt: a.resolvedAt,
        deliveries: a.deliveries.map((d) => ({
          channelId: d.channelId,
          notice: d.notice,
          status: d.status,
          attempts: d.attempts,
          lastError: d.lastError,
          sentAt: d.sentAt,
        })),
      }));
      return c.json({ items, nextCursor: page.nextCursor }, 200);
    },
  );
}
