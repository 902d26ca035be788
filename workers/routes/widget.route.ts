/**
 * API of the agent widget that runs inside Genesys Agent Desktop (dashboard/public/widget.html).
 *
 * Trust: the widget presents the agent's own Genesys token. The bridge asks Genesys who the agent
 * is and in which organization (it must be the tenant's org), and whether the agent may see the
 * conversation; only then does it issue a 15-minute widget session bound to that one conversation.
 * The widget never receives tenant credentials; media comes through our signed URLs.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { config, type AppEnv, type Env } from '../env';
import { AppError, UpstreamError, fieldIssues } from '../domain/errors';
import { issueWidgetSession, verifyWidgetSession, type WidgetClaims } from '../auth/widget-session';
import { signMediaToken } from '../auth/media-url';
import { loadTenant, tenantIdBySlug, type Tenant } from '../db/tenants.repo';
import {
  conversationByGenesysId,
  getConversation as getConversationRow,
  setGenesysOrgId,
} from '../db/conversations.repo';
import { recordAudit } from '../db/admin.repo';
import { getConversation, getMe, getOrganization, requestToken } from '../clients/genesys.client';
import { listApprovedTemplates } from '../clients/whatsapp.client';
import { conversationName } from '../domain/conversation';
import { log } from '../lib/log';

const SessionRequest = z.object({
  tenant: z.string().min(1),
  conversationId: z.string().min(1),
  accessToken: z.string().min(1),
});
const TemplateRequest = z.object({
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(15),
  parameters: z.array(z.string().max(1024)).max(20).default([]),
});

async function tenantOrgId(env: Env, tenant: Tenant): Promise<string> {
  if (tenant.genesys.orgId) return tenant.genesys.orgId;
  const cfg = config(env);
  const token = await requestToken(cfg, tenant.genesys);
  const org = await getOrganization(cfg, tenant.genesys.region, token.access_token);
  await setGenesysOrgId(env, tenant.id, org.id);
  return org.id;
}

async function session(env: Env, authorization: string | undefined): Promise<{ claims: WidgetClaims; tenant: Tenant }> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  try {
    const claims = await verifyWidgetSession(env, token);
    const tenant = await loadTenant(env, claims.tid);
    if (!tenant) throw new Error('tenant gone');
    return { claims, tenant };
  } catch {
    throw new AppError('unauthorized', 401, 'the widget session is missing or expired; reopen the widget');
  }
}

async function body<T extends z.ZodType>(c: { req: { json(): Promise<unknown> } }, schema: T): Promise<z.infer<T>> {
  const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
  if (!parsed.success)
    throw new AppError('invalid_body', 400, 'the request does not match the schema', fieldIssues(parsed.error.issues));
  return parsed.data;
}

export const widgetRoutes = new Hono<AppEnv>()
  .post('/session', async (c) => {
    const input = await body(c, SessionRequest);
    // An unknown tenant, a token Genesys refuses and an agent of another organization get one
    // answer, so the widget's endpoint tells no one which tenants exist; the operator's log says which.
    const refused = (reason: string, fields: Record<string, string>) => {
      log.warn('widget.session.refused', { reason, ...fields });
      return new AppError(
        'unauthorized',
        401,
        "Genesys did not accept this agent for the tenant: check the widget's tenant and region, and that the agent belongs to the tenant's Genesys organization",
      );
    };
    const tenantId = await tenantIdBySlug(c.env, input.tenant);
    const tenant = tenantId ? await loadTenant(c.env, tenantId) : null;
    if (!tenant) throw refused('unknown_tenant', { slug: input.tenant.slice(0, 64) });
    const cfg = config(c.env);
    const region = tenant.genesys.region;
    let agent: Awaited<ReturnType<typeof getMe>>;
    try {
      agent = await getMe(cfg, region, input.accessToken);
    } catch (err) {
      if (err instanceof UpstreamError && err.failure.kind !== 'retryable')
        throw refused('agent_token_refused', { tenantId: tenant.id });
      throw new AppError('upstream_failed', 502, 'Genesys could not be asked who the agent is; retry');
    }
    const orgId = await tenantOrgId(c.env, tenant);
    if (agent.organization?.id !== orgId)
      throw refused('foreign_organization', { tenantId: tenant.id, agentOrgId: agent.organization?.id ?? '(none)' });
    try {
      await getConversation(cfg, region, input.accessToken, input.conversationId);
    } catch {
      throw new AppError('not_found', 404, 'this agent cannot see that Genesys conversation');
    }
    const conversation = await conversationByGenesysId(c.env, tenant.id, input.conversationId);
    if (!conversation)
      throw new AppError('not_found', 404, 'that Genesys conversation is not a WhatsApp conversation of this tenant');
    const { token, expiresAt } = await issueWidgetSession(c.env, {
      agentId: agent.id,
      tid: tenant.id,
      wa: conversation.waId,
      name: agent.name ?? agent.id,
    });
    return c.json({
      token,
      expiresAt,
      agent: { id: agent.id, name: agent.name ?? null },
    });
  })
  .get('/conversation', async (c) => {
    const { claims, tenant } = await session(c.env, c.req.header('authorization'));
    const cfg = config(c.env);
    const stub = c.env.CONVERSATION.getByName(conversationName(tenant.id, claims.wa));
    const [window, entries, row] = await Promise.all([
      stub.serviceWindow(),
      stub.timeline(),
      getConversationRow(c.env, tenant.id, claims.wa),
    ]);
    // The agent's history is messages; the agent's own typing and read receipts are not.
    const history = await Promise.all(
      entries
        .filter((e) => e.kind === 'message')
        .map(async (e) => {
          const media = e.media
            ? 'url' in e.media
              ? { url: e.media.url, mime: e.media.mime }
              : {
                  url: `${cfg.PUBLIC_BASE_URL}/media/${await signMediaToken(c.env, { tid: tenant.id, mid: e.media.id, mime: e.media.mime }, cfg.MEDIA_URL_TTL_SECONDS)}`,
                  mime: e.media.mime,
                }
            : undefined;
          return { ...e, ...(media ? { media } : {}) };
        }),
    );
    return c.json({
      customer: { name: row?.contactName ?? null, waId: claims.wa },
      window,
      history,
      agent: { name: claims.name },
    });
  })
  .get('/templates', async (c) => {
    const { tenant } = await session(c.env, c.req.header('authorization'));
    try {
      return c.json({
        items: await listApprovedTemplates(config(c.env), tenant.whatsapp.wabaId, tenant.whatsapp.accessToken),
      });
    } catch (err) {
      throw new AppError(
        'upstream_failed',
        502,
        `WhatsApp did not list the templates: ${err instanceof UpstreamError ? err.failure.detail : 'error'}`,
      );
    }
  })
  .post('/template', async (c) => {
    const { claims, tenant } = await session(c.env, c.req.header('authorization'));
    const input = await body(c, TemplateRequest);
    const id = `widget-${crypto.randomUUID()}`;
    // The approved body rides along (WhatsApp ignores it; the template goes by name), so the
    // timeline and the widget show the text the customer read, parameters filled in.
    const approved = await listApprovedTemplates(config(c.env), tenant.whatsapp.wabaId, tenant.whatsapp.accessToken)
      .then((items) => items.find((t) => t.name === input.name && t.language === input.language))
      .catch((err: unknown) => {
        log.warn('widget.template.body_unknown', { tenantId: tenant.id, error: String(err) });
        return undefined;
      });
    // The same path as a Genesys notification, so pair rate, throughput and ids all apply.
    await c.env.CONVERSATION.getByName(conversationName(tenant.id, claims.wa)).acceptOutbound([
      {
        v: 1,
        kind: 'gc_message',
        tenantId: tenant.id,
        receivedAt: Date.now(),
        origin: 'widget',
        message: {
          id,
          channel: { to: { id: `+${claims.wa}`, idType: 'Phone' }, from: { nickname: claims.name } },
          type: 'Text',
          direction: 'Outbound',
          content: [
            {
              contentType: 'Notification',
              template: {
                name: input.name,
                language: input.language,
                body: {
                  ...(approved?.body ? { text: approved.body } : {}),
                  parameters: input.parameters.map((text) => ({ text })),
                },
              },
            },
          ],
        },
      },
    ]);
    await recordAudit(c.env, {
      tenantId: tenant.id,
      actor: `agent:${claims.sub}`,
      action: 'widget.template.send',
      target: id,
      detail: { template: input.name, language: input.language },
    });
    return c.json({ id }, 202);
  });
