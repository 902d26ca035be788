/**
 * Entry of the dev-only simulator Worker (sandbox/simulator/wrangler.toml). Routes:
 * - `/` and `/sim/*`: the two browser panes (customer phone, agent desktop) and their actions;
 * - `/graph/*`: Meta Graph API; `/genesys-login/*` and `/genesys-api/*`: Genesys Cloud;
 *   `/cloudflare/client/v4/*`: Cloudflare's custom-hostnames API (Cloudflare for SaaS);
 * - `/sim/cloudflare`: the sandbox zone's custom hostnames; POST `/sim/cloudflare/verify` marks one active.
 * The bridge reaches it through GRAPH_API_BASE / GENESYS_LOGIN_BASE / GENESYS_API_BASE / CLOUDFLARE_API_BASE.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { SimulatorDO, type SimEnv } from './simulator.do';
import { assetPng, mediaDownload, mediaInfo, phoneNumber, phoneNumbers, templates } from './simulator.media';
import { SIMULATOR_PAGE } from './ui';

export { SimulatorDO };

const sim = (env: SimEnv) => env.SIM.getByName('sandbox');

const CustomerAction = z.object({
  kind: z.enum(['text', 'image', 'tap']),
  text: z.string().max(4096).optional(),
  replyTo: z.string().optional(),
  buttonId: z.string().optional(),
  title: z.string().optional(),
});
const AgentAction = z.object({
  kind: z.enum(['text', 'image', 'buttons', 'template', 'typing']),
  text: z.string().max(20_000).optional(),
});

const app = new Hono<{ Bindings: SimEnv }>()
  .get('/', (c) => c.html(SIMULATOR_PAGE))
  .get('/assets/:name', async (c) => assetPng(c.req.param('name')))
  .get('/sim/state', async (c) => c.json(await sim(c.env).view()))
  .post('/sim/config', async (c) => {
    const body = z.object({ tenantId: z.uuid() }).safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: 'tenantId (uuid) required' }, 400);
    await sim(c.env).configure(body.data.tenantId);
    return c.json({ ok: true });
  })
  .post('/sim/outage', async (c) => {
    const body = z.object({ sends: z.number().int().min(0).max(1000) }).safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: 'sends (integer) required' }, 400);
    await sim(c.env).outage(body.data.sends);
    return c.json({ ok: true });
  })
  .get('/sim/cloudflare', async (c) => c.json({ items: await sim(c.env).hostnames() }))
  .post('/sim/cloudflare/verify', async (c) => {
    const body = z.object({ hostname: z.string().min(1) }).safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: 'hostname required' }, 400);
    if (!(await sim(c.env).verifyHostname(body.data.hostname)))
      return c.json({ error: 'no such custom hostname' }, 404);
    return c.json({ ok: true });
  })
  .post('/sim/reset', async (c) => {
    await sim(c.env).reset();
    return c.json({ ok: true });
  })
  .post('/sim/customer', async (c) => {
    const body = CustomerAction.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: body.error.message }, 400);
    return c.json(await sim(c.env).customerSends(body.data.kind, body.data));
  })
  .post('/sim/agent', async (c) => {
    const body = AgentAction.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: body.error.message }, 400);
    return c.json(
      await sim(c.env).agentSends(body.data.kind, { text: body.data.text, origin: new URL(c.req.url).origin }),
    );
  })
  // Meta Graph API
  .post('/graph/:version/:phoneNumberId/messages', async (c) =>
    sim(c.env).graphSend(c.req.param('phoneNumberId'), c.req.header('authorization') ?? null, await c.req.text()),
  )
  .get('/graph/:version/:wabaId/message_templates', async (c) => templates(c.req.header('authorization') ?? null))
  .get('/graph/:version/:wabaId/phone_numbers', async (c) =>
    phoneNumbers(c.req.param('wabaId'), c.req.header('authorization') ?? null),
  )
  .get('/graph/download/:id', async (c) => mediaDownload(c.req.param('id'), c.req.header('authorization') ?? null))
  .get(
    '/graph/:version/:id',
    async (c) =>
      phoneNumber(c.req.param('id'), c.req.header('authorization') ?? null) ??
      mediaInfo(c.req.param('id'), c.req.header('authorization') ?? null, new URL(c.req.url).origin),
  )
  // Cloudflare API (custom hostnames)
  .all('/cloudflare/client/v4/*', async (c) =>
    sim(c.env).cloudflare(
      c.req.method,
      c.req.path.replace(/^\/cloudflare\/client\/v4/, ''),
      c.req.header('authorization') ?? null,
      await c.req.text(),
    ),
  )
  // Genesys Cloud
  .post('/genesys-login/oauth/token', async (c) =>
    sim(c.env).issueToken(c.req.header('authorization') ?? null, new TextDecoder().decode(await c.req.arrayBuffer())),
  )
  .get('/genesys-login/oauth/authorize', async (c) => sim(c.env).authorize(new URL(c.req.url).search))
  .all('/genesys-api/*', async (c) =>
    sim(c.env).genesysApi(
      c.req.path.replace(/^\/genesys-api/, ''),
      new URL(c.req.url).search,
      c.req.method,
      c.req.header('authorization') ?? null,
      await c.req.text(),
    ),
  );

export default { fetch: app.fetch } satisfies ExportedHandler<SimEnv>;
