/**
 * A tenant's credentials: set or rotate WhatsApp and Genesys credentials (write-only), check both
 * connections, and create the Open Messaging integration in the tenant's Genesys org.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { config } from '../../env';
import { AppError, UpstreamError } from '../../domain/errors';
import { log } from '../../lib/log';
import { assertRole } from '../../middleware/admin-auth.middleware';
import { loadTenant, revokePreviousWebhookSecret, setGenesysConfig, setWhatsappConfig } from '../../db/tenants.repo';
import { createIntegration, getIntegration, requestToken } from '../../clients/genesys.client';
import { getPhoneNumber } from '../../clients/whatsapp.client';
import { assertNumberOfWaba, settleWhatsappCredential } from '../../lib/whatsapp-credential';
import { ConnectionCheck, ErrorBody, GenesysInput, TenantView, WhatsappInput } from './admin.schema';
import {
  audit,
  isUniqueViolation,
  json,
  TenantParam,
  type AdminApp,
  tenantFor,
  bodyErrors,
  tenantErrors,
} from './openapi';
import { randomSecret, setup, view } from './tenant-view';

/** Registers the credentials routes on the authenticated admin app. */
export function registerCredentialsRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/tenants/{tenantId}/whatsapp',
      tags: ['credentials'],
      summary: 'Set or rotate WhatsApp credentials; omitted fields keep their value',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: WhatsappInput.partial() } }, required: true },
      },
      responses: {
        200: json(TenantView, 'Updated, masked'),
        ...bodyErrors,
        409: json(ErrorBody, 'Phone number used by another tenant'),
        422: json(ErrorBody, 'The WABA does not list the phone number for this token, or Meta refused the token'),
        502: json(ErrorBody, 'Meta could not be asked'),
        503: json(ErrorBody, 'Meta answered 429 or 503 (`whatsapp_busy`); see Retry-After'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      const tenant = await tenantFor(c, tenantId, 'tenant-admin');
      const body = c.req.valid('json');
      const { credentialStatus: _status, ...current } = tenant.whatsapp;
      // A number (or the account it is claimed under) changes only once Graph shows it is the account's.
      // A new token alone may be one Meta refuses: it is saved and the number's sends held (below).
      if (body.phoneNumberId !== undefined || body.wabaId !== undefined)
        await assertNumberOfWaba(c.env, { ...current, ...body });
      // New credentials get a fresh chance: a token Meta refused is replaced by this one.
      try {
        await setWhatsappConfig(c.env, tenantId, { ...current, ...body });
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AppError('conflict', 409, 'this phone number id belongs to another tenant');
        throw err;
      }
      await audit(c, tenantId, 'credentials.whatsapp.set', tenantId, { fields: Object.keys(body) });
      // A new token (or number) ends a hold from a refused token once Graph accepts it.
      if (body.accessToken !== undefined || body.phoneNumberId !== undefined)
        await settleWhatsappCredential(c.env, (await loadTenant(c.env, tenantId))!, current.phoneNumberId);
      return c.json(view((await loadTenant(c.env, tenantId))!), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/tenants/{tenantId}/genesys',
      tags: ['credentials'],
      summary: 'Set or rotate Genesys credentials; omitted fields keep their value',
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: GenesysInput.partial() } }, required: true },
      },
      responses: {
        200: json(TenantView, 'Updated, masked'),
        ...bodyErrors,
        409: json(ErrorBody, "The client id is one of the tenant's pool (GET …/genesys/clients)"),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      const tenant = await tenantFor(c, tenantId, 'tenant-admin');
      const body = c.req.valid('json');
      // `.partial()` keeps the integrationId default; only fields the caller sent count.
      const sent = (await c.req.json()) as Record<string, unknown>;
      const changes = Object.fromEntries(Object.entries(body).filter(([k, v]) => k in sent && v !== undefined));
      // One OAuth client, one budget: counted by two gates, it would be spent twice over.
      if (tenant.genesysClients.some((c) => c.clientId === changes.clientId))
        throw new AppError('conflict', 409, "this OAuth client is in the tenant's pool; remove it there first");
      await setGenesysConfig(c.env, tenantId, { ...tenant.genesys, ...changes }, tenant.genesys);
      // The cached token (in the gate's memory and KV) belongs to the old credentials.
      await c.env.TENANT_GATE.getByName(tenantId).forgetToken(tenantId);
      await audit(c, tenantId, 'credentials.genesys.set', tenantId, { fields: Object.keys(changes) });
      return c.json(view((await loadTenant(c.env, tenantId))!), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/genesys/previous-secret',
      tags: ['credentials'],
      summary: 'Stop accepting the outbound webhook secret before the last rotation now, not after its 24 h grace',
      request: { params: TenantParam },
      responses: { 204: { description: 'Only the current secret signs from now on' }, ...tenantErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      const wasLive = await revokePreviousWebhookSecret(c.env, tenantId);
      await audit(c, tenantId, 'credentials.genesys.previous_secret.revoke', tenantId, { wasLive });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/test-connection',
      tags: ['credentials'],
      summary: 'Check the WhatsApp number and the Genesys OAuth client + integration',
      request: { params: TenantParam },
      responses: {
        200: json(ConnectionCheck, 'Result of both checks'),
        ...tenantErrors,
      },
    }),
    async (c) => {
      const tenant = await tenantFor(c, c.req.valid('param').tenantId);
      assertRole(c.get('principal'), 'tenant-admin');
      const cfg = config(c.env);
      const describe = (err: unknown) =>
        err instanceof UpstreamError ? err.failure.detail : err instanceof Error ? err.message : 'unknown error';
      const whatsapp = await getPhoneNumber(cfg, tenant.whatsapp.phoneNumberId, tenant.whatsapp.accessToken).then(
        (p) => ({
          ok: true,
          detail: `phone number ${p.display_phone_number ?? p.id}${p.verified_name ? ` (${p.verified_name})` : ''}`,
        }),
        (err) => ({ ok: false, detail: describe(err) }),
      );
      const genesys = await requestToken(cfg, tenant.genesys)
        .then(async (token) => {
          if (!tenant.genesys.integrationId)
            return {
              ok: false,
              detail: 'OAuth client works; no Open Messaging integration yet (POST …/genesys/integration creates one)',
            };
          const integration = await getIntegration(
            cfg,
            { region: tenant.genesys.region, token: token.access_token },
            tenant.genesys.integrationId,
          );
          return {
            ok: true,
            detail: `integration ${integration.name ?? integration.id}${integration.status ? ` (${integration.status})` : ''}`,
          };
        })
        .catch((err) => ({ ok: false, detail: describe(err) }));
      return c.json({ whatsapp, genesys }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/genesys/integration',
      tags: ['credentials'],
      summary: 'Create the Open Messaging integration in Genesys, pointing at this bridge',
      request: {
        params: TenantParam,
        body: {
          content: { 'application/json': { schema: z.object({ name: z.string().min(1).max(100).optional() }) } },
          required: false,
        },
      },
      responses: {
        201: json(z.object({ integrationId: z.string(), outboundWebhookUrl: z.string() }), 'Created'),
        ...tenantErrors,
        502: json(ErrorBody, 'Genesys refused'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      const tenant = await tenantFor(c, tenantId, 'tenant-admin');
      const cfg = config(c.env);
      const secret = randomSecret();
      const webhookUrl = setup(c.env, tenant).genesys.outboundWebhookUrl;
      let integrationId: string;
      try {
        const token = await requestToken(cfg, tenant.genesys);
        const created = await createIntegration(
          cfg,
          { region: tenant.genesys.region, token: token.access_token },
          { name: c.req.valid('json')?.name ?? `WhatsApp ${tenant.name}`, webhookUrl, secret },
        );
        integrationId = created.id;
      } catch (err) {
        const detail = err instanceof UpstreamError ? err.failure.detail : 'unexpected error';
        log.warn('admin.integration_failed', { tenantId, detail });
        throw new AppError('upstream_failed', 502, `Genesys did not create the integration: ${detail}`);
      }
      await setGenesysConfig(
        c.env,
        tenantId,
        { ...tenant.genesys, integrationId, outboundWebhookSecret: secret },
        tenant.genesys,
      );
      await audit(c, tenantId, 'genesys.integration.create', integrationId);
      return c.json({ integrationId, outboundWebhookUrl: webhookUrl }, 201);
    },
  );
}
