/**
 * A fake Genesys Cloud at the HTTP boundary: OAuth client credentials on the login host and the
 * Open Messaging inbound endpoints on the API host. It accepts what the real API accepts (models
 * from the platform SDK, see ../shared/protocols/genesys) and refuses the rest the same way:
 * 401 for unknown or expired tokens, 400 with an ErrorBody for malformed requests, and 429 with
 * Retry-After past 300 requests per token in a window (sandbox/genesys.contract.ts TokenRateLimit),
 * the window being the bridge's own GENESYS_WINDOW_MS so the fake and the tenant gate agree.
 */
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { z } from 'zod';
import { Script, answer } from './scripted';
import {
  GenesysInboundMessage as InboundMessage,
  GenesysReceipt as Receipt,
  GenesysStructuredResponse as StructuredResponse,
  genesysError as errorBody,
  genesysRateLimited,
  TokenRateLimit,
} from '../../sandbox/genesys.contract';
import { config } from '../../workers/env';

export interface GenesysCall {
  endpoint: 'message' | 'structured' | 'receipt';
  integrationId: string;
  token: string;
  body: Record<string, unknown>;
  id: string;
  /** When Genesys received it (epoch ms). */
  at: number;
}

export class FakeGenesys {
  /** Accepted inbound calls, in the order Genesys received them. */
  readonly calls: GenesysCall[] = [];
  /** Every API request with the status it got, failures included. */
  readonly requests: Array<{ path: string; status: number; integrationId: string }> = [];
  tokenRequests = 0;
  /** Token requests per OAuth client id: counts that stragglers of other tests cannot disturb. */
  readonly tokenRequestsByClient = new Map<string, number>();
  readonly script = new Script();
  /** Seconds a new token lives (Genesys: 300..172800, default 86400). */
  tokenLifetime = 86_400;
  private clients = new Map<string, string>();
  private clientOrgs = new Map<string, string>();
  /** token → who holds it: an OAuth client (org only) or an agent (user + org). */
  private holders = new Map<string, { orgId: string; user?: { id: string; name: string } }>();
  /** Genesys conversation per customer (from.id), created by the first inbound message. */
  readonly conversationsByCustomer = new Map<string, string>();
  /** Open Messaging integrations of the org, by id. */
  readonly integrations = new Map<string, { name: string; webhookUrl: string; secret: string }>();
  private tokens = new Map<string, number>();
  private tokenClients = new Map<string, string>();
  /** Genesys' 300 requests per token and window. */
  private readonly rateLimit = new TokenRateLimit(config(env).GENESYS_WINDOW_MS);

  registerClient(clientId: string, secret: string, orgId = 'org-default'): void {
    this.clients.set(clientId, secret);
    this.clientOrgs.set(clientId, orgId);
  }

  /** A token as an agent of `orgId` gets from Genesys login (implicit grant) for the widget. */
  issueAgentToken(orgId: string, user = { id: crypto.randomUUID(), name: 'Agent Smith' }): string {
    const token = `agent-${crypto.randomUUID()}`;
    this.tokens.set(token, Date.now() + 3600_000);
    this.holders.set(token, { orgId, user });
    return token;
  }

  /** Invalidates every token issued so far, as when an admin revokes the OAuth client's sessions. */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  /** The OAuth client a token was issued to (undefined for agent tokens and unknown ones). */
  clientOfToken(token: string): string | undefined {
    return this.tokenClients.get(token);
  }

  tokenRequestsFor(clientId: string): number {
    return this.tokenRequestsByClient.get(clientId) ?? 0;
  }

  /** Customer messages (and button responses) that reached an integration. */
  callsFor(integrationId: string): GenesysCall[] {
    return this.calls.filter((c) => c.integrationId === integrationId && c.endpoint !== 'receipt');
  }

  receiptsFor(integrationId: string): Array<Record<string, any>> {
    return this.calls.filter((c) => c.integrationId === integrationId && c.endpoint === 'receipt').map((c) => c.body);
  }

  readonly login = new Hono().post('/oauth/token', async (c) => {
    const scripted = this.script.take('/oauth/token');
    if (scripted) return answer(scripted, c.req.raw.signal);
    if (!c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded')) {
      return c.json({ error: 'invalid_request', description: 'form body required' }, 400);
    }
    const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
    if (form.get('grant_type') !== 'client_credentials') return c.json({ error: 'unsupported_grant_type' }, 400);
    const basic = c.req.header('authorization')?.match(/^Basic (.+)$/)?.[1];
    const [clientId, secret] = basic ? atob(basic).split(':') : [];
    if (!clientId || this.clients.get(clientId) !== secret)
      return c.json({ error: 'invalid_client', description: 'client not found' }, 401);
    this.tokenRequests++;
    this.tokenRequestsByClient.set(clientId, (this.tokenRequestsByClient.get(clientId) ?? 0) + 1);
    const token = `tok-${crypto.randomUUID()}`;
    this.tokens.set(token, Date.now() + this.tokenLifetime * 1000);
    this.holders.set(token, { orgId: this.clientOrgs.get(clientId) ?? 'org-default' });
    this.tokenClients.set(token, clientId);
    return c.json({ access_token: token, token_type: 'bearer', expires_in: this.tokenLifetime });
  });

  readonly api = new Hono()
    .use(async (c, next) => {
      await next();
      this.requests.push({ path: c.req.path, status: c.res.status, integrationId: c.req.path.split('/')[5] ?? '' });
    })
    .use('/api/*', async (c, next) => {
      const token = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1] ?? '';
      const expiry = this.tokens.get(token);
      if (!expiry || expiry < Date.now())
        return c.json(
          errorBody(
            401,
            'authentication.required',
            'No authentication bearer token specified in authorization header.',
          ),
          401,
        );
      const admitted = this.rateLimit.admit(token);
      if (!admitted.ok)
        return c.json(genesysRateLimited(admitted.retryAfterSeconds), 429, {
          'retry-after': String(admitted.retryAfterSeconds),
        });
      await next();
    })
    .get('/api/v2/users/me', (c) => {
      const holder = this.holders.get(c.req.header('authorization')!.slice(7));
      if (!holder?.user)
        return c.json(
          errorBody(
            400,
            'bad.request',
            'This request requires a user context. Client credentials cannot be used for requests to this resource.',
          ),
          400,
        );
      return c.json({ id: holder.user.id, name: holder.user.name, organization: { id: holder.orgId, name: 'Org' } });
    })
    .get('/api/v2/organizations/me', (c) => {
      const holder = this.holders.get(c.req.header('authorization')!.slice(7));
      return c.json({ id: holder!.orgId, name: 'Org' });
    })
    .get('/api/v2/conversations/:id{[0-9a-f-]{36}}', (c) => {
      const known = [...this.conversationsByCustomer.values()].includes(c.req.param('id'));
      return known
        ? c.json({ id: c.req.param('id'), participants: [] })
        : c.json(errorBody(404, 'not.found', 'The requested resource was not found.'), 404);
    })
    .get('/api/v2/conversations/messaging/integrations/open/:id', (c) => {
      const integration = this.integrations.get(c.req.param('id'));
      if (!integration) return c.json(errorBody(404, 'not.found', 'The requested resource was not found.'), 404);
      return c.json({
        id: c.req.param('id'),
        name: integration.name,
        outboundNotificationWebhookUrl: integration.webhookUrl,
        status: 'Active',
        createStatus: 'Completed',
      });
    })
    .post('/api/v2/conversations/messaging/integrations/open', async (c) => {
      const body = z
        .object({
          name: z.string().min(1),
          outboundNotificationWebhookUrl: z.url(),
          outboundNotificationWebhookSignatureSecretToken: z.string().min(1),
        })
        .safeParse(await c.req.json().catch(() => null));
      if (!body.success) return c.json(errorBody(400, 'bad.request', body.error.message), 400);
      const id = crypto.randomUUID();
      this.integrations.set(id, {
        name: body.data.name,
        webhookUrl: body.data.outboundNotificationWebhookUrl,
        secret: body.data.outboundNotificationWebhookSignatureSecretToken,
      });
      return c.json({
        id,
        name: body.data.name,
        outboundNotificationWebhookUrl: body.data.outboundNotificationWebhookUrl,
        outboundNotificationWebhookSignatureSecretToken: body.data.outboundNotificationWebhookSignatureSecretToken,
        createStatus: 'Initiated',
      });
    })
    .post('/api/v2/conversations/messages/:integrationId/inbound/open/*', async (c) => {
      const path = c.req.path;
      const endpoint = path.endsWith('/inbound/open/message')
        ? 'message'
        : path.endsWith('/inbound/open/structured/response')
          ? 'structured'
          : path.endsWith('/inbound/open/receipt')
            ? 'receipt'
            : null;
      if (!endpoint) return c.json(errorBody(404, 'not.found', 'unknown endpoint'), 404);
      const token = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1] ?? '';
      const expiry = this.tokens.get(token);
      if (!expiry || expiry < Date.now())
        return c.json(
          errorBody(
            401,
            'authentication.required',
            'No authentication bearer token specified in authorization header.',
          ),
          401,
        );
      const scripted = this.script.take(path);
      if (scripted) return answer(scripted, c.req.raw.signal);
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return c.json(
          errorBody(400, 'bad.request', 'The request could not be understood by the server due to malformed syntax.'),
          400,
        );
      }
      const parsed = (
        endpoint === 'message' ? InboundMessage : endpoint === 'structured' ? StructuredResponse : Receipt
      ).safeParse(json);
      if (!parsed.success)
        return c.json(
          errorBody(
            400,
            'invalid.property',
            parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          ),
          400,
        );
      const id = crypto.randomUUID().replaceAll('-', '');
      this.calls.push({
        endpoint,
        integrationId: c.req.param('integrationId'),
        token,
        body: json as Record<string, unknown>,
        id,
        at: Date.now(),
      });
      const body = json as { channel: { from: { id: string }; time: string; messageId?: string }; text?: string };
      let conversationId: string | undefined;
      if (endpoint !== 'receipt') {
        conversationId = this.conversationsByCustomer.get(body.channel.from.id) ?? crypto.randomUUID();
        this.conversationsByCustomer.set(body.channel.from.id, conversationId);
      }
      return c.json({
        ...(c.req.query('prefetchConversationId') === 'true' && conversationId ? { conversationId } : {}),
        id,
        channel: {
          id: c.req.param('integrationId'),
          platform: 'Open',
          type: 'Private',
          messageId: body.channel.messageId,
          to: { id: c.req.param('integrationId') },
          from: body.channel.from,
          time: body.channel.time,
        },
        type: endpoint === 'message' ? 'Text' : 'Structured',
        text: body.text,
        direction: 'Inbound',
      });
    });
}
