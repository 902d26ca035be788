/**
 * The sandbox's stand-in for Meta and Genesys, for one demo tenant and one demo customer.
 *
 * As Meta it signs and POSTs WhatsApp webhooks (hex HMAC with the app secret), answers Graph API
 * media lookups and downloads, accepts sends exactly as the Cloud API does (same contract as the
 * test fakes) and reports sent/delivered/read statuses a moment later, as WhatsApp would.
 * As Genesys it issues OAuth tokens, accepts Open Messaging inbound messages, structured responses
 * and receipts, and signs agent messages (base64 HMAC) to the bridge's outbound webhook.
 * As Cloudflare it holds the sandbox zone's custom hostnames (simulator.cloudflare.ts).
 * Its state is what the two browser panes show.
 */
import { DurableObject } from 'cloudflare:workers';
import { genesysError } from '../genesys.contract';
import { graphError } from '../meta-send.contract';
import demo from './demo-tenant.json';
import {
  agentMessage,
  customerMessage,
  webhookEnvelope,
  type AgentKind,
  type CustomerKind,
} from './simulator.messages';
import { markRead, parseSend, phoneItemFor } from './simulator.whatsapp';
import { applyInbound, lookup } from './simulator.genesys';
import { cloudflareApi, loadZone, saveZone } from './simulator.cloudflare';
import {
  WIDGET_CLIENT_ID,
  b64,
  hex,
  hmac,
  json,
  now,
  unix,
  type AgentItem,
  type PhoneItem,
  type SimEnv,
  type SimState,
} from './simulator.state';

export {
  SANDBOX_AGENT,
  SANDBOX_ORG,
  WIDGET_CLIENT_ID,
  type AgentItem,
  type PhoneItem,
  type SimEnv,
} from './simulator.state';

export class SimulatorDO extends DurableObject<SimEnv> {
  private async load(): Promise<SimState> {
    return (
      (await this.ctx.storage.get<SimState>('state')) ?? {
        phone: [],
        agent: [],
        typingUntil: 0,
        tokens: {},
        pending: [],
      }
    );
  }

  private async save(state: SimState): Promise<void> {
    await this.ctx.storage.put('state', state);
  }

  async configure(tenantId: string): Promise<void> {
    const state = await this.load();
    state.tenantId = tenantId;
    await this.save(state);
  }

  /** Simulates a WhatsApp outage: the next `sends` message sends answer 500 (error 131000). */
  async outage(sends: number): Promise<void> {
    const state = await this.load();
    state.outage = sends;
    await this.save(state);
  }

  /** Cloudflare's custom-hostnames API for the sandbox zone (simulator.cloudflare.ts). */
  async cloudflare(method: string, path: string, authorization: string | null, body: string): Promise<Response> {
    return cloudflareApi(this.ctx.storage, method, path, authorization, body);
  }

  /** The customer's DNS is in place: the hostname and its certificate become active at Cloudflare. */
  async verifyHostname(hostname: string): Promise<boolean> {
    const zone = await loadZone(this.ctx.storage);
    const found = zone.verify(hostname);
    await saveZone(this.ctx.storage, zone);
    return found;
  }

  /** The custom hostnames Cloudflare holds in the sandbox zone. */
  async hostnames(): Promise<Array<{ hostname: string; status: string; sslStatus: string }>> {
    const zone = await loadZone(this.ctx.storage);
    return Object.values(zone.records).map((r) => ({
      hostname: r.hostname,
      status: r.status,
      sslStatus: r.ssl.status,
    }));
  }

  async reset(): Promise<void> {
    const state = await this.load();
    await this.save({
      tenantId: state.tenantId,
      phone: [],
      agent: [],
      typingUntil: 0,
      tokens: state.tokens,
      pending: [],
    });
  }

  async view(): Promise<{
    ready: boolean;
    phone: PhoneItem[];
    agent: AgentItem[];
    typing: boolean;
    customer: typeof demo.customer;
    business: string;
    widgetUrl: string | null;
  }> {
    const state = await this.load();
    const widgetUrl =
      this.env.DASHBOARD_URL && state.genesysConversationId
        ? `${this.env.DASHBOARD_URL}/widget?tenant=${demo.slug}&region=${demo.genesys.region}&clientId=${WIDGET_CLIENT_ID}&gcConversationId=${state.genesysConversationId}`
        : null;
    return {
      ready: !!state.tenantId,
      phone: state.phone,
      agent: state.agent,
      typing: state.typingUntil > now(),
      customer: demo.customer,
      business: demo.name,
      widgetUrl,
    };
  }

  /** GET /oauth/authorize (implicit grant): the sandbox agent is always signed in. */
  async authorize(search: string): Promise<Response> {
    const query = new URLSearchParams(search);
    const redirect = query.get('redirect_uri');
    if (query.get('response_type') !== 'token' || query.get('client_id') !== WIDGET_CLIENT_ID || !redirect)
      return json({ error: 'invalid_request' }, 400);
    // Genesys sends the agent back only to one of the OAuth client's "Authorized redirect URIs",
    // compared as registered; the sandbox's widget client registers the widget's bare address.
    if (this.env.DASHBOARD_URL && redirect !== `${this.env.DASHBOARD_URL}/widget`)
      return json({ error: 'invalid_request', error_description: 'redirect_uri mismatch' }, 400);
    const state = await this.load();
    const token = `sim-agent-${crypto.randomUUID()}`;
    state.tokens[token] = now() + 86_400_000;
    state.agentTokens = { ...state.agentTokens, [token]: true };
    await this.save(state);
    const fragment = new URLSearchParams({ access_token: token, token_type: 'bearer', expires_in: '86400' });
    const oauthState = query.get('state');
    if (oauthState !== null) fragment.set('state', oauthState);
    return Response.redirect(`${redirect}#${fragment}`, 302);
  }

  // ===== Playing Meta

  /** Signs a webhook body as Meta does and POSTs it to the bridge. */
  private async postWhatsappWebhook(value: Record<string, unknown>): Promise<Response> {
    const body = JSON.stringify(webhookEnvelope(value));
    return fetch(`${this.env.BRIDGE_URL}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${hex(await hmac(demo.whatsapp.appSecret, body))}`,
      },
      body,
    });
  }

  /** The customer sends something from the phone. */
  async customerSends(
    kind: CustomerKind,
    input: { text?: string; replyTo?: string; buttonId?: string; title?: string },
  ): Promise<{ status: number }> {
    const state = await this.load();
    const { wamid, message, item } = customerMessage(kind, input);
    state.phone.push(item);
    await this.save(state);
    const res = await this.postWhatsappWebhook({
      contacts: [{ profile: { name: demo.customer.name }, wa_id: demo.customer.waId }],
      messages: [message],
    });
    const after = await this.load();
    const stored = after.phone.find((p) => p.id === wamid);
    if (stored && stored.ticks === 'pending') stored.ticks = res.ok ? 'delivered' : 'failed';
    await this.save(after);
    return { status: res.status };
  }

  /** POST /{version}/{phone-number-id}/messages, as the Cloud API. */
  async graphSend(phoneNumberId: string, authorization: string | null, raw: string): Promise<Response> {
    if (phoneNumberId !== demo.whatsapp.phoneNumberId)
      return json(graphError(100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`), 400);
    if (authorization !== `Bearer ${demo.whatsapp.accessToken}`)
      return json(graphError(190, 'Error validating access token: Session has expired'), 401);
    const body = parseSend(raw);
    if (body instanceof Response) return body;
    const state = await this.load();
    if (state.outage && !('status' in body)) {
      state.outage--;
      await this.save(state);
      return json(graphError(131000, 'Something went wrong', 'simulated outage'), 500);
    }
    if ('status' in body) {
      const marked = markRead(body, state);
      if (marked.ok) await this.save(state);
      return marked.response;
    }
    const shown = phoneItemFor(body);
    if (shown instanceof Response) return shown;
    const item = shown;
    state.phone.push(item);
    state.typingUntil = 0;
    // WhatsApp reports the message sent, delivered and (the customer has the chat open) read.
    state.pending.push(
      { at: now() + 300, wamid: item.id, status: 'sent' },
      { at: now() + 800, wamid: item.id, status: 'delivered' },
      { at: now() + 1500, wamid: item.id, status: 'read' },
    );
    await this.save(state);
    await this.ctx.storage.setAlarm(now() + 300);
    return json({
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: body.to }],
      messages: [{ id: item.id }],
    });
  }

  override async alarm(): Promise<void> {
    const state = await this.load();
    const due = state.pending.filter((p) => p.at <= now());
    state.pending = state.pending.filter((p) => p.at > now());
    await this.save(state);
    for (const p of due) {
      await this.postWhatsappWebhook({
        statuses: [{ id: p.wamid, status: p.status, timestamp: unix(), recipient_id: demo.customer.waId }],
      });
    }
    if (state.pending.length > 0) await this.ctx.storage.setAlarm(Math.min(...state.pending.map((p) => p.at)));
  }

  // ===== Playing Genesys

  async issueToken(authorization: string | null, form: string): Promise<Response> {
    const expected = `Basic ${btoa(`${demo.genesys.clientId}:${demo.genesys.clientSecret}`)}`;
    if (new URLSearchParams(form).get('grant_type') !== 'client_credentials')
      return json({ error: 'unsupported_grant_type' }, 400);
    if (authorization !== expected) return json({ error: 'invalid_client', description: 'client not found' }, 401);
    const state = await this.load();
    const token = `sim-${crypto.randomUUID()}`;
    state.tokens[token] = now() + 86_400_000;
    await this.save(state);
    return json({ access_token: token, token_type: 'bearer', expires_in: 86_400 });
  }

  private async authorized(authorization: string | null): Promise<boolean> {
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    return ((await this.load()).tokens[token] ?? 0) > now();
  }

  /** The Open Messaging inbound endpoints and the integration lookup. */
  async genesysApi(
    path: string,
    search: string,
    method: string,
    authorization: string | null,
    raw: string,
  ): Promise<Response> {
    const query = new URLSearchParams(search);
    if (!(await this.authorized(authorization)))
      return json(
        genesysError(
          401,
          'authentication.required',
          'No authentication bearer token specified in authorization header.',
        ),
        401,
      );
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    if (method === 'GET') {
      const found = lookup(path, token, await this.load());
      if (found) return found;
    }
    const integration = path.split('/')[5];
    if (integration !== demo.genesys.integrationId)
      return json(genesysError(404, 'not.found', 'integration not found'), 404);
    const state = await this.load();
    const id = crypto.randomUUID().replaceAll('-', '');
    const channel = applyInbound(path, raw, state, id);
    if (channel instanceof Response) return channel;
    state.genesysConversationId ??= crypto.randomUUID();
    await this.save(state);
    const prefetch = query.get('prefetchConversationId') === 'true' && path.endsWith('/inbound/open/message');
    return json({
      id,
      channel,
      type: 'Text',
      direction: 'Inbound',
      ...(prefetch ? { conversationId: state.genesysConversationId } : {}),
    });
  }

  /** The agent sends something from the desktop: signed like Genesys, to the bridge's outbound webhook. */
  async agentSends(kind: AgentKind, input: { text?: string; origin: string }): Promise<{ status: number }> {
    const state = await this.load();
    if (!state.tenantId) return { status: 409 };
    const { message, item } = agentMessage(kind, input, state.genesysConversationId);
    if (kind !== 'typing') {
      state.agent.push(item);
      await this.save(state);
    }
    const body = JSON.stringify(message);
    const res = await fetch(`${this.env.BRIDGE_URL}/webhooks/genesys/${state.tenantId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${b64(await hmac(demo.genesys.outboundWebhookSecret, body))}`,
      },
      body,
    });
    return { status: res.status };
  }
}
