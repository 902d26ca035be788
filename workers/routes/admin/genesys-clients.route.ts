/**
 * A tenant's Genesys token pool: the OAuth clients its conversations are spread over, each with its
 * own budget (Genesys counts requests per token), and each one's usage. The default client is the
 * one of the tenant's Genesys credentials (`PUT …/genesys`); it is listed first and cannot be
 * removed here. Secrets are write-only, like every credential.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { config, type Env } from '../../env';
import { AppError, UpstreamError } from '../../domain/errors';
import { budgetShardName, DEFAULT_CLIENT_ENTRY, MAX_POOL_CLIENTS } from '../../domain/genesys-pool';
import { requestToken } from '../../clients/genesys.client';
import { addGenesysClient, removeGenesysClient } from '../../db/genesys-clients.repo';
import type { Tenant } from '../../db/tenants.repo';
import { log } from '../../lib/log';
import { ErrorBody, GenesysClientCreate, GenesysClientView } from './admin.schema';
import {
  audit,
  bodyErrors,
  isUniqueViolation,
  json,
  TenantParam,
  type AdminApp,
  tenantErrors,
  tenantFor,
} from './openapi';
import { mask } from './tenant-view';

type ClientView = z.infer<typeof GenesysClientView>;

/** One entry with its gate's usage and token state. */
async function clientView(
  env: Env,
  tenantId: string,
  entry: { id: string; clientId: string; clientSecret: string; label: string | null },
): Promise<ClientView> {
  const { token, ...usage } = await env.TENANT_GATE.getByName(budgetShardName(tenantId, entry.id)).usage();
  return {
    id: entry.id,
    clientId: entry.clientId,
    clientSecret: mask(entry.clientSecret),
    label: entry.label,
    isDefault: entry.id === DEFAULT_CLIENT_ENTRY,
    usage,
    token,
  };
}

function entriesOf(tenant: Tenant) {
  return [
    {
      id: DEFAULT_CLIENT_ENTRY,
      clientId: tenant.genesys.clientId,
      clientSecret: tenant.genesys.clientSecret,
      label: null,
    },
    ...tenant.genesysClients,
  ];
}

const ClientEntryParam = TenantParam.extend({
  clientEntryId: z.string().openapi({ param: { name: 'clientEntryId', in: 'path' } }),
});

/** Registers the token pool routes on the authenticated admin app. */
export function registerGenesysClientsRoutes(app: AdminApp): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tenants/{tenantId}/genesys/clients',
      tags: ['credentials'],
      summary: "The tenant's Genesys OAuth clients, the default first, each with its budget's usage",
      request: { params: TenantParam },
      responses: { 200: json(z.object({ items: z.array(GenesysClientView) }), 'Clients'), ...tenantErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      const tenant = await tenantFor(c, tenantId);
      const items = await Promise.all(entriesOf(tenant).map((entry) => clientView(c.env, tenantId, entry)));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tenants/{tenantId}/genesys/clients',
      tags: ['credentials'],
      summary: 'Add an OAuth client (of the same Genesys org) to the pool; it brings its own budget',
      description:
        "The credentials are checked with Genesys' token endpoint first. Conversations are then spread over every client by a stable hash of the conversation.",
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: GenesysClientCreate } }, required: true },
      },
      responses: {
        201: json(GenesysClientView, 'Added'),
        ...bodyErrors,
        409: json(ErrorBody, 'The tenant already has this client id, or the pool is full'),
        422: json(ErrorBody, 'Genesys refused the client credentials (`genesys_client_refused`)'),
        502: json(ErrorBody, 'Genesys could not be asked'),
      },
    }),
    async (c) => {
      const { tenantId } = c.req.valid('param');
      const tenant = await tenantFor(c, tenantId, 'tenant-admin');
      const body = c.req.valid('json');
      if (entriesOf(tenant).some((entry) => entry.clientId === body.clientId))
        throw new AppError('conflict', 409, 'this tenant already has this OAuth client');
      if (tenant.genesysClients.length >= MAX_POOL_CLIENTS)
        throw new AppError('pool_full', 409, `a tenant may add at most ${MAX_POOL_CLIENTS} clients to its default one`);
      await checkCredentials(c.env, tenant, body);

      const id = crypto.randomUUID();
      // Listed by the tenant's gate before it can hold anything, so offboarding always finds it.
      await c.env.TENANT_GATE.getByName(tenantId).addBudgetShard(budgetShardName(tenantId, id));
      try {
        await addGenesysClient(c.env, tenantId, { id, ...body });
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('conflict', 409, 'this tenant already has this OAuth client');
        throw err;
      }
      await audit(c, tenantId, 'genesys.client.add', id, { clientId: body.clientId, label: body.label ?? null });
      const entry = { id, clientId: body.clientId, clientSecret: body.clientSecret, label: body.label ?? null };
      return c.json(await clientView(c.env, tenantId, entry), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tenants/{tenantId}/genesys/clients/{clientEntryId}',
      tags: ['credentials'],
      summary: 'Remove an OAuth client from the pool; its conversations move to the remaining clients',
      request: { params: ClientEntryParam },
      responses: {
        204: { description: 'Removed; its token is no longer used' },
        ...tenantErrors,
        409: json(ErrorBody, 'The default client cannot be removed (`default_client`)'),
      },
    }),
    async (c) => {
      const { tenantId, clientEntryId } = c.req.valid('param');
      await tenantFor(c, tenantId, 'tenant-admin');
      if (clientEntryId === DEFAULT_CLIENT_ENTRY)
        throw new AppError(
          'default_client',
          409,
          "the default client is the one of the tenant's Genesys credentials; replace it with PUT …/genesys",
        );
      if (!(await removeGenesysClient(c.env, tenantId, clientEntryId)))
        throw new AppError('not_found', 404, 'not found');
      // Its gate forgets the token and refuses further leases, so stale isolates move on too.
      await c.env.TENANT_GATE.getByName(budgetShardName(tenantId, clientEntryId)).retire();
      await audit(c, tenantId, 'genesys.client.remove', clientEntryId);
      return c.body(null, 204);
    },
  );
}

/** Asks Genesys for a token with the new credentials; a refusal is the caller's to fix (422). */
async function checkCredentials(
  env: Env,
  tenant: Tenant,
  client: { clientId: string; clientSecret: string },
): Promise<void> {
  try {
    await requestToken(config(env), { region: tenant.genesys.region, ...client });
  } catch (err) {
    const failure = err instanceof UpstreamError ? err.failure : undefined;
    if (failure && failure.kind !== 'retryable') {
      log.warn('admin.genesys_client_refused', { tenantId: tenant.id, code: failure.code, detail: failure.detail });
      throw new AppError('genesys_client_refused', 422, `Genesys refused these client credentials (${failure.code})`);
    }
    log.warn('admin.genesys_client_check_failed', { tenantId: tenant.id, detail: failure?.detail ?? String(err) });
    throw new AppError('upstream_failed', 502, 'Genesys could not be asked to check the client credentials');
  }
}
