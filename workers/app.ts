/**
 * The root Hono app: request ids, routes, and the one place errors become HTTP responses.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { config, type AppEnv } from './env';
import { AppError } from './domain/errors';
import { log } from './lib/log';
import { whatsappRoutes } from './routes/whatsapp.route';
import { mediaRoutes } from './routes/media.route';
import { genesysRoutes } from './routes/genesys.route';
import { healthRoutes } from './routes/health.route';
import { widgetRoutes } from './routes/widget.route';
import { adminRoutes } from './routes/admin/admin.route';
import { deploymentGuard } from './middleware/deployment-guard.middleware';

export const app = new Hono<AppEnv>()
  .use(async function requestId(c, next) {
    c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID());
    await next();
  })
  .use(deploymentGuard)
  .route('/health', healthRoutes)
  .route('/webhooks/whatsapp', whatsappRoutes)
  .route('/webhooks/genesys', genesysRoutes)
  .route('/media', mediaRoutes)
  .use('/api/*', async function dashboardCors(c, next) {
    // The dashboard (Pages) and the agent widget call the API from their own origins.
    return cors({
      origin: (origin) => (config(c.env).DASHBOARD_ORIGINS.includes(origin) ? origin : null),
      allowHeaders: ['authorization', 'content-type', 'x-api-key'],
      maxAge: 600,
    })(c, next);
  })
  .route('/api/widget', widgetRoutes)
  .route('/api', adminRoutes);

app.notFound((c) => c.json(new AppError('not_found', 404, `no route for ${c.req.method} ${c.req.path}`).toJSON(), 404));

app.onError((err, c) => {
  if (err instanceof AppError) return c.json(err.toJSON(), err.status, err.headers);
  if (err instanceof HTTPException) {
    return c.json(
      { error: { code: err.status === 413 ? 'payload_too_large' : 'invalid_body', message: err.message } },
      err.status,
    );
  }
  // Anything else is our bug: log it with the request id, tell the client nothing internal.
  log.error('http.unhandled', {
    requestId: c.get('requestId'),
    path: c.req.path,
    error: err instanceof Error ? err.message : String(err),
  });
  return c.json(new AppError('internal_error', 500, `internal error (request ${c.get('requestId')})`).toJSON(), 500);
});
