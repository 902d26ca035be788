/**
 * The Genesys Open Messaging outbound webhook: POST /webhooks/genesys/:tenantId.
 *
 * Genesys signs each body with the integration's secret: X-Hub-Signature-256 = "sha256=" +
 * BASE64(HMAC-SHA256(raw body)) — base64, unlike Meta's hex. During a secret rotation the
 * previous secret is accepted too. Genesys waits 10 s, retries about 5 times, and a non-2xx fails
 * the whole chat, so this route only verifies, queues and answers; a message that later cannot be
 * sent reaches the agent as a Failed receipt instead of an HTTP error.
 *
 * A stranger learns nothing about which tenant ids exist: an unknown id in the URL is refused
 * exactly like a forged signature (and logged, for the operator).
 */
import { Hono } from 'hono';
import { webhookBodyLimit } from '../middleware/webhook-body-limit.middleware';
import type { AppEnv } from '../env';
import { AppError, fieldIssues } from '../domain/errors';
import { fromBase64, hmacSha256Verify } from '../lib/crypto';
import { log } from '../lib/log';
import { loadTenant } from '../db/tenants.repo';
import { enforceTenantBudget, webhookLimiter } from '../lib/tenant-budget';
import { GcOutboundMessage } from '../schemas/genesys.schema';

const SIGNATURE = /^sha256=([A-Za-z0-9+/]{43}=)$/;
const TENANT_ID = /^[0-9a-f-]{36}$/i;

export const genesysRoutes = new Hono<AppEnv>().post('/:tenantId', webhookBodyLimit(), async (c) => {
  const tenantId = c.req.param('tenantId');
  const header = c.req.header('x-hub-signature-256');
  if (!header) throw new AppError('missing_signature', 401, 'X-Hub-Signature-256 header is required');
  const signature = SIGNATURE.exec(header.trim())?.[1];
  const mac = signature ? fromBase64(signature) : null;
  if (!mac) throw new AppError('invalid_signature', 401, 'X-Hub-Signature-256 must be sha256=<base64 HMAC-SHA256>');

  const forged = () => new AppError('invalid_signature', 401, 'X-Hub-Signature-256 does not match the body');
  const tenant = TENANT_ID.test(tenantId) ? await loadTenant(c.env, tenantId) : null;
  if (!tenant) {
    log.warn('webhook.genesys.refused', {
      reason: 'unknown_tenant',
      tenantId: TENANT_ID.test(tenantId) ? tenantId : '(not a tenant id)',
    });
    throw forged();
  }
  const raw = await c.req.arrayBuffer();
  // The previous secret only until its grace ends, even if this tenant was read before that.
  const previous =
    (tenant.genesys.previousOutboundWebhookSecretUntil ?? 0) > Date.now()
      ? tenant.genesys.previousOutboundWebhookSecret
      : undefined;
  const secrets = [tenant.genesys.outboundWebhookSecret, previous].filter((s): s is string => !!s);
  let genuine = false;
  for (const secret of secrets) if (!genuine && (await hmacSha256Verify(secret, raw, mac))) genuine = true;
  if (!genuine) {
    log.warn('webhook.genesys.refused', { reason: 'bad_signature', tenantId });
    throw forged();
  }
  await enforceTenantBudget(webhookLimiter(c.env, tenant.whatsapp.messagesPerSecond), `genesys:${tenantId}`);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new AppError('malformed_json', 400, 'body is not valid UTF-8 JSON');
  }
  const message = GcOutboundMessage.safeParse(json);
  if (!message.success)
    throw new AppError('invalid_body', 400, 'not a Genesys Open Messaging message', fieldIssues(message.error.issues));

  try {
    await c.env.OUTBOUND_QUEUE.send(
      { v: 1, kind: 'gc_message', tenantId, receivedAt: Date.now(), message: message.data },
      { contentType: 'json' },
    );
  } catch (err) {
    log.error('webhook.genesys.enqueue_failed', { tenantId, error: err instanceof Error ? err.message : String(err) });
    throw new AppError('enqueue_failed', 503, 'could not queue the message; retry later');
  }
  return c.json({ received: 1 }, 200);
});
