/**
 * How a tenant appears in admin responses: credentials masked, never returned (the trust rule of
 * the admin API), plus the URLs an operator pastes into Meta and Genesys.
 */
import type { z } from '@hono/zod-openapi';
import { config, type Env } from '../../env';
import { toBase64 } from '../../lib/crypto';
import { tenantUrl } from '../../domain/tenant-host';
import type { Tenant } from '../../db/tenants.repo';
import type { TenantView, WebhookSetup } from './admin.schema';

/** Shows that a secret is set and lets a person tell two apart, without revealing it. */
export function mask(secret: string): string {
  return secret.length >= 16 ? `••••${secret.slice(-4)}` : '••••';
}

export function view(t: Tenant): z.infer<typeof TenantView> {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    status: t.status,
    markRead: t.markRead,
    genesysReceipts: t.genesysReceipts,
    inboundReorderMs: t.inboundReorderMs,
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

export function setup(env: Env, t: Tenant): z.infer<typeof WebhookSetup> {
  const cfg = config(env);
  const base = cfg.PUBLIC_BASE_URL;
  return {
    whatsapp: {
      callbackUrl: `${base}/webhooks/whatsapp`,
      tenantCallbackUrl: cfg.BASE_DOMAIN ? tenantUrl(base, cfg.BASE_DOMAIN, t.slug, '/webhooks/whatsapp') : null,
      verifyToken: t.whatsapp.verifyToken,
    },
    genesys: { outboundWebhookUrl: `${base}/webhooks/genesys/${t.id}`, integrationId: t.genesys.integrationId },
  };
}

export function randomSecret(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32))).replace(/[+/=]/g, '');
}
