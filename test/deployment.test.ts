/**
 * README "Deploying": outside development the Worker refuses to serve a configuration that would
 * ship development values (media links to localhost, local dashboard origins) or lacks its secrets,
 * and /health says why — names only, never values.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../workers/app';
import type { Env } from '../workers/env';

async function call(vars: Partial<Env>, path: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`https://bridge.example.com${path}`, init), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

const production: Partial<Env> = {
  ENVIRONMENT: 'production',
  PUBLIC_BASE_URL: 'https://bridge.example.com',
  BASE_DOMAIN: 'bridge.example.com',
  DASHBOARD_ORIGINS: 'https://admin.example.com',
  GRAPH_API_BASE: '',
  GENESYS_API_BASE: '',
  GENESYS_LOGIN_BASE: '',
  CLOUDFLARE_API_BASE: '',
  ADMIN_API_TOKEN: 'a-production-operator-token-0123456789',
};

describe('a deployment outside development', () => {
  it('with development values does not serve: 503 misconfigured naming each problem, and /health says why', async () => {
    const shipped = { ...production, PUBLIC_BASE_URL: 'http://localhost:8787', BASE_DOMAIN: 'localhost' };
    const webhook = await call(shipped, '/webhooks/whatsapp', { method: 'POST', body: '{}' });
    expect(webhook.status).toBe(503);
    expect(webhook.json.error).toMatchObject({
      code: 'misconfigured',
      problems: [
        'PUBLIC_BASE_URL must be an https origin',
        'BASE_DOMAIN must be a real domain (or empty to turn tenant subdomains off)',
      ],
    });
    const health = await call(shipped, '/health');
    expect(health.status).toBe(503);
    expect(health.json.checks.config).toMatchObject({ ok: false });
  });

  it('without its secrets does not serve, and names them without their values', async () => {
    const res = await call(
      { ...production, ADMIN_API_TOKEN: 'tiny-secret', MASTER_KEY: '', MASTER_KEYS: '' },
      '/api/tenants',
    );
    expect(res.status).toBe(503);
    expect(res.json.error.problems).toEqual([
      'secret MASTER_KEYS (or MASTER_KEY) is not set',
      'secret ADMIN_API_TOKEN is shorter than 24 characters',
    ]);
    expect(JSON.stringify(res.json)).not.toContain('tiny-secret');
  });

  it('configured for production serves as usual', async () => {
    const health = await call(production, '/health');
    expect(health.json.checks.config).toEqual({ ok: true, ms: 0 });
    // A webhook reaches the route: an unsigned one is refused there, not by the guard.
    const webhook = await call(production, '/webhooks/whatsapp', { method: 'POST', body: '{}' });
    expect(webhook.status).toBe(401);
  });
});
