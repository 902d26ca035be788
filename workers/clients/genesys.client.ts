/**
 * Thin typed client for Genesys Cloud: the OAuth client-credentials grant and the Open Messaging
 * inbound endpoints. Hosts come from the tenant's region unless GENESYS_API_BASE /
 * GENESYS_LOGIN_BASE override them (tests, sandbox, benchmark).
 */
import type { Config } from '../env';
import { z } from 'zod';
import {
  GenesysMessageResponse,
  GenesysTokenResponse,
  type GenesysInboundRequest,
  type OpenInboundReceipt,
} from '../schemas/genesys.schema';
import { callJson } from './http';

export function genesysApiBase(cfg: Config, region: string): string {
  return cfg.GENESYS_API_BASE ?? `https://api.${region}`;
}

export function genesysLoginBase(cfg: Config, region: string): string {
  return cfg.GENESYS_LOGIN_BASE ?? `https://login.${region}`;
}

/** POST https://login.{region}/oauth/token with HTTP Basic client credentials. */
export function requestToken(
  cfg: Config,
  creds: { region: string; clientId: string; clientSecret: string },
): Promise<GenesysTokenResponse> {
  return callJson(
    `${genesysLoginBase(cfg, creds.region)}/oauth/token`,
    {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${creds.clientId}:${creds.clientSecret}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    },
    { service: 'genesys_login', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: GenesysTokenResponse },
  );
}

const INBOUND_PATH: Record<GenesysInboundRequest['endpoint'], string> = {
  message: 'inbound/open/message',
  structured: 'inbound/open/structured/response',
};

/** Delivers a customer's message to the tenant's Open Messaging integration; answers Genesys' message id. */
export async function sendInbound(
  cfg: Config,
  target: { region: string; integrationId: string; token: string },
  request: GenesysInboundRequest,
): Promise<{ id: string; conversationId?: string }> {
  // prefetchConversationId: Genesys answers the conversation id, which the agent widget looks up by.
  const url = `${genesysApiBase(cfg, target.region)}/api/v2/conversations/messages/${encodeURIComponent(target.integrationId)}/${INBOUND_PATH[request.endpoint]}${request.endpoint === 'message' ? '?prefetchConversationId=true' : ''}`;
  return callJson(
    url,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(request.body),
    },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: GenesysMessageResponse },
  );
}

export const OpenIntegration = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  outboundNotificationWebhookUrl: z.string().optional(),
  status: z.string().optional(),
  createStatus: z.string().optional(),
});
export type OpenIntegration = z.infer<typeof OpenIntegration>;

/** GET /api/v2/conversations/messaging/integrations/open/{integrationId} */
export function getIntegration(
  cfg: Config,
  target: { region: string; token: string },
  integrationId: string,
): Promise<OpenIntegration> {
  return callJson(
    `${genesysApiBase(cfg, target.region)}/api/v2/conversations/messaging/integrations/open/${encodeURIComponent(integrationId)}`,
    { headers: { authorization: `Bearer ${target.token}` } },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: OpenIntegration },
  );
}

/** POST /api/v2/conversations/messaging/integrations/open: Genesys calls `webhookUrl`, signing with `secret`. */
export function createIntegration(
  cfg: Config,
  target: { region: string; token: string },
  request: { name: string; webhookUrl: string; secret: string },
): Promise<OpenIntegration> {
  return callJson(
    `${genesysApiBase(cfg, target.region)}/api/v2/conversations/messaging/integrations/open`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: request.name,
        outboundNotificationWebhookUrl: request.webhookUrl,
        outboundNotificationWebhookSignatureSecretToken: request.secret,
      }),
    },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: OpenIntegration },
  );
}

/** POST …/{integrationId}/inbound/open/receipt: a WhatsApp delivery status of an agent's message. */
export async function sendReceipt(
  cfg: Config,
  target: { region: string; integrationId: string; token: string },
  receipt: OpenInboundReceipt,
): Promise<void> {
  await callJson(
    `${genesysApiBase(cfg, target.region)}/api/v2/conversations/messages/${encodeURIComponent(target.integrationId)}/inbound/open/receipt`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(receipt),
    },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: z.unknown() },
  );
}

// ===== Calls made with an agent's own token (the agent widget) or to learn the org

const Me = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  organization: z.looseObject({ id: z.string() }).optional(),
});
const Organization = z.looseObject({ id: z.string(), name: z.string().optional() });

/** GET /api/v2/users/me?expand=organization: who holds this token, in which org. */
export function getMe(cfg: Config, region: string, token: string) {
  return callJson(
    `${genesysApiBase(cfg, region)}/api/v2/users/me?expand=organization`,
    { headers: { authorization: `Bearer ${token}` } },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: Me },
  );
}

/** GET /api/v2/organizations/me: the org a (client-credentials) token belongs to. */
export function getOrganization(cfg: Config, region: string, token: string) {
  return callJson(
    `${genesysApiBase(cfg, region)}/api/v2/organizations/me`,
    { headers: { authorization: `Bearer ${token}` } },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: Organization },
  );
}

/** GET /api/v2/conversations/{id}: succeeds only when the token's user may see the conversation. */
export function getConversation(cfg: Config, region: string, token: string, conversationId: string) {
  return callJson(
    `${genesysApiBase(cfg, region)}/api/v2/conversations/${encodeURIComponent(conversationId)}`,
    { headers: { authorization: `Bearer ${token}` } },
    { service: 'genesys', timeoutMs: cfg.UPSTREAM_TIMEOUT_MS, schema: z.looseObject({ id: z.string() }) },
  );
}
