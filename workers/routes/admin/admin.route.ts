/**
 * The admin API (/api): one OpenAPI app assembled from a route file per resource. Described at
 * /api/openapi.json; browsable with schemas and "try it out" at the dashboard's /api-docs/ (Swagger UI,
 * built beside the dashboard: never in this Worker), where /api/docs redirects. Without a dashboard
 * origin configured, /api/docs is a plain list of the operations (docs.html).
 *
 * Trust rules, enforced by every route file and tested in test/admin-*.test.ts:
 * - every handler checks the tenant against the caller's scope (tenantFor) before any read;
 * - credentials are write-only: responses carry masked values (tenant-view.ts);
 * - every change writes an audit entry naming the actor, never a secret value.
 */
import { config } from '../../env';
import { actorOf, adminAuth } from '../../middleware/admin-auth.middleware';
import { enforceTenantBudget } from '../../lib/tenant-budget';
import { registerAccessRoutes } from './access.route';
import { registerAlertsRoutes } from './alerts.route';
import { authRoutes, registerSignOutRoute } from './auth.route';
import { registerCredentialsRoutes } from './credentials.route';
import docsPage from './docs.html';
import { registerErasureRoutes } from './erasure.route';
import { registerGenesysClientsRoutes } from './genesys-clients.route';
import { registerHostnamesRoutes } from './hostnames.route';
import { registerInsightRoutes } from './insights.route';
import { registerKeyringRoutes } from './keyring.route';
import { registerMessagesRoutes } from './messages.route';
import { newAdminApp } from './openapi';
import { registerTenantsRoutes } from './tenants.route';

// ===== Everything but sign-in needs a principal

const api = newAdminApp();
api.use(adminAuth());
api.use(async function adminBudget(c, next) {
  const scope = c.get('scope');
  const principal = c.get('principal');
  // The operator token is the platform's own automation; budgets exist to keep tenants apart.
  if (scope !== null || principal.kind !== 'operator') {
    await enforceTenantBudget(c.env.ADMIN_RATE_LIMIT, scope ?? `platform:${actorOf(principal)}`);
  }
  await next();
});
registerSignOutRoute(api);
registerTenantsRoutes(api);
registerCredentialsRoutes(api);
registerGenesysClientsRoutes(api);
registerAccessRoutes(api);
registerHostnamesRoutes(api);
registerInsightRoutes(api);
registerMessagesRoutes(api);
registerKeyringRoutes(api);
registerErasureRoutes(api);
registerAlertsRoutes(api);

// ===== The whole /api, with its description

export const adminRoutes = newAdminApp();

adminRoutes.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: {
    title: 'WhatsApp ⇄ Genesys bridge admin API',
    version: '1.0.0',
    description:
      'Authenticate with `Authorization: Bearer <operator token or session JWT>` or `X-API-Key: <tenant key>`.',
  },
  servers: [{ url: '/api' }],
  // Every operation but sign-in needs one of them; Swagger UI's Authorize sends what is given.
  security: [{ bearer: [] }, { apiKey: [] }],
});
adminRoutes.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
adminRoutes.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
  type: 'apiKey',
  in: 'header',
  name: 'X-API-Key',
});
adminRoutes.get('/docs', (c) => {
  // The dashboard's API reference (its first origin): schemas, examples and "try it out".
  const dashboard = config(c.env).DASHBOARD_ORIGINS[0];
  return dashboard ? c.redirect(`${dashboard}/api-docs/`, 302) : c.html(docsPage);
});

// Mounted after the description routes: the auth middleware of `api` covers what follows it.
adminRoutes.route('/', authRoutes).route('/', api);
