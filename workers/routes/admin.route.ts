/**
 * The admin API (/api): tenants and their credentials, API keys, users, custom hostnames, the audit
 * log, failed and dead-lettered messages. Described by an OpenAPI document at /api/openapi.json.
 *
 * Trust rules, enforced here and tested in test/admin-*.test.ts:
 * - every handler checks the tenant against the caller's scope (assertTenant) before any read;
 * - credentials are write-only: responses carry masked values (mask());
 * - every change writes an audit entry naming the actor, never a secret value.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { config, type Env } from '../env';
import { AppError, UpstreamError, fieldIssues } from '../domain/errors';
import { toBase64 } from '../lib/crypto';
import { hashPassword, verifyPassword, DUMMY_HASH } from '../lib/password';
import { issueSession } from '../lib/admin-token';
import { log } from '../lib/log';
import { adminAuth, actorOf, assertRole, assertTenant, type AdminEnv } from '../middleware/admin-auth.middleware';
import { enforceTenantBudget } from '../middleware/rate-limit';
import {
  createTenant,
  deleteTenant,
  listTenantIds,
  loadTenant,
  setGenesysConfig,
  setWhatsappConfig,
  updateTenant,
  type Tenant,
} from '../db/tenants.repo';
import {
  addHostname,
  createApiKey,
  createUser,
  deleteUser,
  findUser,
  findUserByEmail,
  listApiKeys,
  listAudit,
  listHostnames,
  listUsers,
  recordAudit,
  removeHostname,
  revokeApiKey,
} from '../db/admin.repo';
import { getDeadLetter, listDeadLetters, listFailures, markReplayed } from '../db/records.repo';
import { createIntegration, getIntegration, requestToken } from '../clients/genesys.client';
import { getPhoneNumber } from '../clients/whatsapp.client';
import { settleWhatsappCredential } from '../lib/whatsapp-credential';
import { DeadLetterMessage, ReplayableItem } from '../schemas/queue.schema';
import { registerInsightRoutes } from './admin.insights';
import { forgetHost } from '../db/tenant-host.repo';
import {
  ApiKeyCreate,
  ApiKeyView,
  ConnectionCheck,
  ErrorBody,
  GenesysInput,
  HostnameCreate,
  Login,
  TenantCreate,
  TenantPatch,
  TenantView,
  UserCreate,
  UserView,
  WebhookSetup,
  WhatsappInput,
} from './admin.schemas';

// ===== Helpers

/** Shows that a secret is set and lets a person tell two apart, without revealing it. */
export function mask(secret: string): string {
  return secret.length >= 16 ? `••••${secret.slice(-4)}` : '••••';
}

function view(t: Tenant): z.infer<typeof TenantView> {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    status: t.status,
    markRead: t.markRead,
    whatsapp: {
      phoneNumberId: t.whatsapp.phoneNumberId,
      wabaId: t.whatsapp.wabaId,
      accessToken: mask(t.whatsapp.accessToken),
      appSecret: mask(t.whatsapp.appSecret),
      verifyToken: mask(t.whatsapp.verifyToken),
      credentialStatus: t.whatsapp.credentialStatus,
      messagesPerSecond: t.whatsapp.messagesPerSecond,
    },
    genesys: {
      region: t.genesys.region,
      clientId: t.genesys.clientId,
      clientSecret: mask(t.genesys.clientSecret),
      integrationId: t.genesys.integrationId,
      outboundWebhookSecret: mask(t.genesys.outboundWebhookSecret),
    },
  };
}

function setup(env: Env, t: Tenant): z.infer<typeof WebhookSetup> {
  const cfg = config(env);
  const base = cfg.PUBLIC_BASE_URL;
  const scheme = new URL(base).protocol;
  return {
    whatsapp: {
      callbackUrl: `${base}/webhooks/whatsapp`,
      tenantCallbackUrl: cfg.BASE_DOMAIN ? `${scheme}//${t.slug}.${cfg.BASE_DOMAIN}/webhooks/whatsapp` : null,
      verifyToken: t.whatsapp.verifyToken,
    },
    genesys: { outboundWebhookUrl: `${base}/webhooks/genesys/${t.id}`, integrationId: t.genesys.integrationId },
  };
}

function randomSecret(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32))).replace(/[+/=]/g, '');
}

async function tenantOr404(env: Env, scope: string | null, tenantId: string): Promise<Tenant> {
  assertTenant(scope, tenantId);
  const tenant = await loadTenant(env, tenantId);
  if (!tenant) throw new AppError('not_found', 404, 'not found');
  return tenant;
}

function isUniqueViolation(err: unknown): boolean {
  const text = `${err instanceof Error ? err.message : ''} ${err instanceof Error && err.cause instanceof Error ? err.cause.message : ''}`;
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(text);
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const errors = {
  400: json(ErrorBody, 'Invalid body; `issues` lists each field'),
  401: json(ErrorBody, 'Missing or invalid credentials'),
  403: json(ErrorBody, 'Role too low'),
  404: json(ErrorBody, 'No such resource for this caller'),
  429: json(ErrorBody, 'Tenant budget spent; see Retry-After'),
};
const TenantParam = z.object({ tenantId: z.string().openapi({ param: { name: 'tenantId', in: 'path' } }) });

function newApp() {
  return new OpenAPIHono<AdminEnv>({
    defaultHook: (result) => {
      if (!result.success)
        throw new AppError(
          'invalid_body',
          400,
          'the request does not match the schema',
          fieldIssues(result.error.issues),
        );
    },
  });
}

// ===== Sign-in (no credentials yet)

const auth = newApp().openapi(
  createRoute({
    method: 'post',
    path: '/auth/login',
    tags: ['auth'],
    summary: 'Exchange email and password for a 15-minute session token',
    request: { body: { content: { 'application/json': { schema: Login } }, required: true } },
    responses: {
      200: json(
        z.object({ token: z.string(), expiresAt: z.number(), role: z.string(), tenantId: z.string().nullable() }),
        'Session',
      ),
      400: errors[400],
      401: errors[401],
      429: errors[429],
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    await enforceTenantBudget(c.env.ADMIN_RATE_LIMIT, `login:${body.email.toLowerCase()}`);
    const user = await findUserByEmail(c.env, body.email);
    // Same work whether or not the user exists, so timing does not reveal accounts.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new AppError('unauthorized', 401, 'wrong email or password');
    const session = await issueSession(c.env.MASTER_KEY, { sub: user.id, role: user.role, tid: user.tenantId });
    return c.json({ ...session, role: user.role, tenantId: user.tenantId }, 200);
  },
);

// ===== Everything else needs a principal

const api = newApp();
api.use(adminAuth());
api.use(async function adminBudget(c, next) {
  const scope = c.get('scope');
  const principal = c.get('principal');
  // The operator token is the platform's own automation; budgets exist to keep tenants apart.
  if (scope !== null || principal.kind !== 'operator')
    await enforceTenantBudget(c.env.ADMIN_RATE_LIMIT, scope ?? `platform:${actorOf(principal)}`);
  await next();
});

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants',
    tags: ['tenants'],
    summary: 'Tenants visible to the caller',
    responses: { 200: json(z.object({ items: z.array(TenantView) }), 'Tenants'), 401: errors[401] },
  }),
  async (c) => {
    const ids = await listTenantIds(c.env, c.get('scope'));
    const tenants = (await Promise.all(ids.map((id) => loadTenant(c.env, id)))).filter((t): t is Tenant => t !== null);
    return c.json({ items: tenants.map(view) }, 200);
  },
);

api.openapi(
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
    },
  }),
  async (c) => {
    assertRole(c.get('principal'), 'platform-admin');
    if (c.get('scope') !== null)
      throw new AppError('forbidden', 403, 'tenants are created on the platform host, not a tenant host');
    const body = c.req.valid('json');
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
    await recordAudit(c.env, {
      tenantId: id,
      actor: actorOf(c.get('principal')),
      action: 'tenant.create',
      target: id,
      detail: { slug: body.slug, name: body.name },
    });
    const tenant = (await loadTenant(c.env, id))!;
    return c.json({ id, tenant: view(tenant), setup: setup(c.env, tenant) }, 201);
  },
);

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}',
    tags: ['tenants'],
    summary: 'One tenant, credentials masked',
    request: { params: TenantParam },
    responses: { 200: json(TenantView, 'Tenant'), 401: errors[401], 404: errors[404] },
  }),
  async (c) => c.json(view(await tenantOr404(c.env, c.get('scope'), c.req.valid('param').tenantId)), 200),
);

api.openapi(
  createRoute({
    method: 'patch',
    path: '/tenants/{tenantId}',
    tags: ['tenants'],
    summary: 'Rename or suspend a tenant',
    request: {
      params: TenantParam,
      body: { content: { 'application/json': { schema: TenantPatch } }, required: true },
    },
    responses: {
      200: json(TenantView, 'Updated'),
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    const patch = c.req.valid('json');
    await updateTenant(c.env, tenantId, patch);
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'tenant.update',
      target: tenantId,
      detail: patch,
    });
    return c.json(view((await loadTenant(c.env, tenantId))!), 200);
  },
);

api.openapi(
  createRoute({
    method: 'delete',
    path: '/tenants/{tenantId}',
    tags: ['tenants'],
    summary: 'Delete a tenant and its credentials (platform admin)',
    request: { params: TenantParam },
    responses: { 204: { description: 'Deleted' }, 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'platform-admin');
    await deleteTenant(c.env, tenantId);
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'tenant.delete',
      target: tenantId,
    });
    return c.body(null, 204);
  },
);

api.openapi(
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
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
      409: json(ErrorBody, 'Phone number used by another tenant'),
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    const tenant = await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    const body = c.req.valid('json');
    const { credentialStatus: _status, ...current } = tenant.whatsapp;
    // New credentials get a fresh chance: a token Meta refused is replaced by this one.
    try {
      await setWhatsappConfig(c.env, tenantId, { ...current, ...body });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'this phone number id belongs to another tenant');
      throw err;
    }
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'credentials.whatsapp.set',
      target: tenantId,
      detail: { fields: Object.keys(body) },
    });
    // A new token (or number) ends a hold from a refused token once Graph accepts it.
    if (body.accessToken !== undefined || body.phoneNumberId !== undefined)
      await settleWhatsappCredential(c.env, (await loadTenant(c.env, tenantId))!, current.phoneNumberId);
    return c.json(view((await loadTenant(c.env, tenantId))!), 200);
  },
);

api.openapi(
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
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    const tenant = await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    const body = c.req.valid('json');
    // `.partial()` keeps the integrationId default; only fields the caller sent count.
    const sent = (await c.req.json()) as Record<string, unknown>;
    const changes = Object.fromEntries(Object.entries(body).filter(([k, v]) => k in sent && v !== undefined));
    await setGenesysConfig(c.env, tenantId, { ...tenant.genesys, ...changes }, tenant.genesys);
    await c.env.TOKENS.delete(`genesys-token:${tenantId}`);
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'credentials.genesys.set',
      target: tenantId,
      detail: { fields: Object.keys(changes) },
    });
    return c.json(view((await loadTenant(c.env, tenantId))!), 200);
  },
);

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}/setup',
    tags: ['credentials'],
    summary: 'The Meta callback URL and verify token to paste, and the Genesys webhook URL',
    request: { params: TenantParam },
    responses: { 200: json(WebhookSetup, 'Setup'), 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
  async (c) => {
    const tenant = await tenantOr404(c.env, c.get('scope'), c.req.valid('param').tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    return c.json(setup(c.env, tenant), 200);
  },
);

api.openapi(
  createRoute({
    method: 'post',
    path: '/tenants/{tenantId}/test-connection',
    tags: ['credentials'],
    summary: 'Check the WhatsApp number and the Genesys OAuth client + integration',
    request: { params: TenantParam },
    responses: {
      200: json(ConnectionCheck, 'Result of both checks'),
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
  async (c) => {
    const tenant = await tenantOr404(c.env, c.get('scope'), c.req.valid('param').tenantId);
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

api.openapi(
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
      401: errors[401],
      403: errors[403],
      404: errors[404],
      502: json(ErrorBody, 'Genesys refused'),
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    const tenant = await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
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
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'genesys.integration.create',
      target: integrationId,
    });
    return c.json({ integrationId, outboundWebhookUrl: webhookUrl }, 201);
  },
);

// ----- API keys

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}/api-keys',
    tags: ['api keys'],
    summary: 'API keys (never the key itself)',
    request: { params: TenantParam },
    responses: { 200: json(z.object({ items: z.array(ApiKeyView) }), 'Keys'), 401: errors[401], 404: errors[404] },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    return c.json({ items: await listApiKeys(c.env, tenantId) }, 200);
  },
);

api.openapi(
  createRoute({
    method: 'post',
    path: '/tenants/{tenantId}/api-keys',
    tags: ['api keys'],
    summary: 'Create an API key; the response is the only time it is shown',
    request: {
      params: TenantParam,
      body: { content: { 'application/json': { schema: ApiKeyCreate } }, required: true },
    },
    responses: {
      201: json(
        z.object({ id: z.string(), key: z.string(), prefix: z.string(), name: z.string(), role: z.string() }),
        'Created',
      ),
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    const body = c.req.valid('json');
    const created = await createApiKey(c.env, tenantId, body.name, body.role);
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'apikey.create',
      target: created.id,
      detail: { name: body.name, role: body.role },
    });
    return c.json(created, 201);
  },
);

api.openapi(
  createRoute({
    method: 'delete',
    path: '/tenants/{tenantId}/api-keys/{keyId}',
    tags: ['api keys'],
    summary: 'Revoke an API key',
    request: { params: TenantParam.extend({ keyId: z.string() }) },
    responses: { 204: { description: 'Revoked' }, 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
  async (c) => {
    const { tenantId, keyId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    if (!(await revokeApiKey(c.env, tenantId, keyId))) throw new AppError('not_found', 404, 'not found');
    await recordAudit(c.env, { tenantId, actor: actorOf(c.get('principal')), action: 'apikey.revoke', target: keyId });
    return c.body(null, 204);
  },
);

// ----- Custom hostnames

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}/hostnames',
    tags: ['hostnames'],
    summary: 'Custom hostnames of a tenant',
    request: { params: TenantParam },
    responses: {
      200: json(z.object({ items: z.array(z.object({ hostname: z.string(), createdAt: z.number() })) }), 'Hostnames'),
      401: errors[401],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    const rows = await listHostnames(c.env, tenantId);
    return c.json({ items: rows.map((r) => ({ hostname: r.hostname, createdAt: r.createdAt })) }, 200);
  },
);

api.openapi(
  createRoute({
    method: 'post',
    path: '/tenants/{tenantId}/hostnames',
    tags: ['hostnames'],
    summary: 'Route a custom hostname (Cloudflare for SaaS) to this tenant',
    request: {
      params: TenantParam,
      body: { content: { 'application/json': { schema: HostnameCreate } }, required: true },
    },
    responses: {
      201: json(z.object({ hostname: z.string() }), 'Added'),
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
      409: json(ErrorBody, 'Hostname taken'),
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'platform-admin');
    const { hostname } = c.req.valid('json');
    try {
      await addHostname(c.env, tenantId, hostname);
      forgetHost(hostname);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'this hostname is already routed');
      throw err;
    }
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'hostname.add',
      target: hostname.toLowerCase(),
    });
    return c.json({ hostname: hostname.toLowerCase() }, 201);
  },
);

api.openapi(
  createRoute({
    method: 'delete',
    path: '/tenants/{tenantId}/hostnames/{hostname}',
    tags: ['hostnames'],
    summary: 'Remove a custom hostname',
    request: { params: TenantParam.extend({ hostname: z.string() }) },
    responses: { 204: { description: 'Removed' }, 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
  async (c) => {
    const { tenantId, hostname } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'platform-admin');
    if (!(await removeHostname(c.env, tenantId, hostname))) throw new AppError('not_found', 404, 'not found');
    forgetHost(hostname);
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'hostname.remove',
      target: hostname,
    });
    return c.body(null, 204);
  },
);

// ----- Users

api.openapi(
  createRoute({
    method: 'get',
    path: '/users',
    tags: ['users'],
    summary: 'Dashboard users visible to the caller',
    responses: { 200: json(z.object({ items: z.array(UserView) }), 'Users'), 401: errors[401], 403: errors[403] },
  }),
  async (c) => {
    assertRole(c.get('principal'), 'tenant-admin');
    return c.json({ items: await listUsers(c.env, c.get('scope')) }, 200);
  },
);

api.openapi(
  createRoute({
    method: 'post',
    path: '/users',
    tags: ['users'],
    summary: 'Create a dashboard user (tenant admins: only in their tenant, never platform admins)',
    request: { body: { content: { 'application/json': { schema: UserCreate } }, required: true } },
    responses: {
      201: json(UserView.omit({ createdAt: true }), 'Created'),
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
      409: json(ErrorBody, 'Email taken'),
    },
  }),
  async (c) => {
    const principal = c.get('principal');
    const scope = c.get('scope');
    assertRole(principal, 'tenant-admin');
    const body = c.req.valid('json');
    const tenantId = scope ?? body.tenantId;
    if (body.role === 'platform-admin') {
      assertRole(principal, 'platform-admin');
      if (tenantId !== null)
        throw new AppError('invalid_body', 400, 'a platform admin belongs to no tenant', [
          { path: 'tenantId', message: 'must be null for platform-admin' },
        ]);
    } else {
      if (tenantId === null)
        throw new AppError('invalid_body', 400, 'tenant users need a tenant', [
          { path: 'tenantId', message: 'required for tenant-admin and viewer' },
        ]);
      await tenantOr404(c.env, scope, tenantId);
    }
    let id: string;
    try {
      id = await createUser(c.env, {
        email: body.email,
        passwordHash: await hashPassword(body.password),
        role: body.role,
        tenantId,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'a user with this email exists');
      throw err;
    }
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(principal),
      action: 'user.create',
      target: id,
      detail: { email: body.email.toLowerCase(), role: body.role },
    });
    return c.json({ id, email: body.email.toLowerCase(), role: body.role, tenantId }, 201);
  },
);

api.openapi(
  createRoute({
    method: 'delete',
    path: '/users/{userId}',
    tags: ['users'],
    summary: 'Delete a dashboard user (their sessions end at once)',
    request: { params: z.object({ userId: z.string() }) },
    responses: { 204: { description: 'Deleted' }, 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
  async (c) => {
    const principal = c.get('principal');
    assertRole(principal, 'tenant-admin');
    const user = await findUser(c.env, c.req.valid('param').userId);
    const scope = c.get('scope');
    if (!user || (scope !== null && user.tenantId !== scope)) throw new AppError('not_found', 404, 'not found');
    if (user.role === 'platform-admin') assertRole(principal, 'platform-admin');
    await deleteUser(c.env, user.id);
    await recordAudit(c.env, {
      tenantId: user.tenantId,
      actor: actorOf(principal),
      action: 'user.delete',
      target: user.id,
    });
    return c.body(null, 204);
  },
);

registerInsightRoutes(api);

// ----- Audit, failures, dead letters

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}/audit',
    tags: ['audit'],
    summary: 'Admin changes to this tenant, newest first',
    request: { params: TenantParam },
    responses: {
      200: json(
        z.object({
          items: z.array(
            z.object({
              id: z.string(),
              actor: z.string(),
              action: z.string(),
              target: z.string().nullable(),
              detail: z.string(),
              createdAt: z.number(),
            }),
          ),
        }),
        'Audit log',
      ),
      401: errors[401],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    const rows = await listAudit(c.env, tenantId);
    return c.json({ items: rows.map(({ tenantId: _t, ...r }) => r) }, 200);
  },
);

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}/failures',
    tags: ['messages'],
    summary: 'Messages that failed for good (newest first)',
    request: { params: TenantParam },
    responses: {
      200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())) }), 'Failures'),
      401: errors[401],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    return c.json({ items: await listFailures(c.env, tenantId) }, 200);
  },
);

api.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenantId}/dead-letters',
    tags: ['messages'],
    summary: 'Messages parked after their last retry',
    request: { params: TenantParam },
    responses: {
      200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())) }), 'Dead letters'),
      401: errors[401],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    return c.json({ items: await listDeadLetters(c.env, tenantId) }, 200);
  },
);

api.openapi(
  createRoute({
    method: 'post',
    path: '/tenants/{tenantId}/dead-letters/{id}/replay',
    tags: ['messages'],
    summary: 'Send a dead letter through the bridge again',
    request: { params: TenantParam.extend({ id: z.string() }) },
    responses: {
      202: json(z.object({ replayed: z.string() }), 'Re-queued'),
      400: errors[400],
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
  async (c) => {
    const { tenantId, id } = c.req.valid('param');
    await tenantOr404(c.env, c.get('scope'), tenantId);
    assertRole(c.get('principal'), 'tenant-admin');
    const row = await getDeadLetter(c.env, tenantId, id);
    if (!row) throw new AppError('not_found', 404, 'not found');
    const stored: unknown = JSON.parse(row.payload);
    // A dead letter holds either the original queue item, or the item wrapped with its error.
    const wrapped = DeadLetterMessage.safeParse(stored);
    const item = ReplayableItem.safeParse(wrapped.success ? wrapped.data.item : stored);
    if (!item.success || item.data.tenantId !== tenantId)
      throw new AppError('invalid_body', 400, 'this dead letter holds no replayable item');
    const data = item.data;
    if (data.kind === 'gc_message') await c.env.OUTBOUND_QUEUE.send({ ...data, replay: true }, { contentType: 'json' });
    else
      await c.env.INBOUND_QUEUE.send(data.kind === 'wa_message' ? { ...data, replay: true } : data, {
        contentType: 'json',
      });
    await markReplayed(c.env, tenantId, row.id);
    await recordAudit(c.env, {
      tenantId,
      actor: actorOf(c.get('principal')),
      action: 'deadletter.replay',
      target: row.id,
    });
    return c.json({ replayed: row.id }, 202);
  },
);

// ===== The whole /api, with its description

export const adminRoutes = newApp();

adminRoutes.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: {
    title: 'WhatsApp ⇄ Genesys bridge admin API',
    version: '1.0.0',
    description:
      'Authenticate with `Authorization: Bearer <operator token or session JWT>` or `X-API-Key: <tenant key>`.',
  },
  servers: [{ url: '/api' }],
});
adminRoutes.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
adminRoutes.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
  type: 'apiKey',
  in: 'header',
  name: 'X-API-Key',
});

adminRoutes.get('/docs', (c) =>
  c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Admin API</title>
<style>body{font:14px system-ui;margin:2rem;max-width:60rem}code{background:#f3f3f3;padding:0 .3em}h2{margin-top:2rem}.m{display:inline-block;width:4.5rem;font-weight:600}</style></head>
<body><h1>Bridge admin API</h1><p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p><div id="ops">Loading…</div>
<script>
fetch('openapi.json').then(r=>r.json()).then(doc=>{const byTag={};for(const [p,ops] of Object.entries(doc.paths))for(const [m,op] of Object.entries(ops)){const t=(op.tags||['other'])[0];(byTag[t]=byTag[t]||[]).push([m,p,op.summary||''])}
const el=document.getElementById('ops');el.textContent='';for(const [t,list] of Object.entries(byTag)){const h=document.createElement('h2');h.textContent=t;el.append(h);for(const [m,p,s] of list){const d=document.createElement('div');const mm=document.createElement('span');mm.className='m';mm.textContent=m.toUpperCase();const c=document.createElement('code');c.textContent='/api'+p;d.append(mm,c,' — '+s);el.append(d)}}});
</script></body></html>`),
);

// Mounted after the description routes: the auth middleware of `api` covers what follows it.
adminRoutes.route('/', auth).route('/', api);
