/**
 * Meta's webhook endpoint: GET answers the subscription handshake, POST takes notifications.
 *
 * The POST path is the hottest code in the product and does no upstream I/O. In order:
 * size cap (before buffering) → signature header → whose app secret signs it (the tenant of the
 * Host, else of each change's metadata.phone_number_id) → X-Hub-Signature-256 over the raw bytes →
 * schema → one queue message per item → 200. Any refusal is a 4xx and nothing is enqueued; a queue
 * outage is a 503, so Meta retries (it does for days; the conversation object deduplicates).
 *
 * Strangers learn nothing about who is a tenant: an unknown host or phone number id is refused
 * exactly like a forged signature (and logged, for the operator), and the handshake answers an
 * unknown host exactly like a wrong verify token.
 *
 * A body a known tenant's secret did not sign is counted for the `signature_failures` alert, in
 * memory and reported in batches (lib/signature-failures.ts): never a write per forged request.
 */
import { Hono } from 'hono';
import { webhookBodyLimit } from '../middleware/webhook-body-limit.middleware';
import type { AppEnv, Env } from '../env';
import { AppError, fieldIssues } from '../domain/errors';
import { fromHex, hmacSha256Verify, timingSafeEqual } from '../lib/crypto';
import { tenantIdForHost } from '../db/tenant-host.repo';
import { log } from '../lib/log';
import { loadTenant, tenantIdByPhoneNumberId, tenantIdsByVerifyToken, type Tenant } from '../db/tenants.repo';
import { recordFailure } from '../db/records.repo';
import { WaVerifyQuery, WaWebhook } from '../schemas/whatsapp.schema';
import type { InboundQueueMessage } from '../schemas/queue.schema';
import { enforceTenantBudget, webhookLimiter } from '../lib/tenant-budget';
import { countSignatureFailure } from '../lib/signature-failures';
import { chunkForQueue, MAX_QUEUE_MESSAGE_BYTES, splitWebhook } from '../domain/webhook-split';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

function phoneNumberIdsOf(json: unknown): string[] | null {
  const entries = (json as { entry?: unknown })?.entry;
  if (!Array.isArray(entries)) return null;
  const ids = new Set<string>();
  for (const entry of entries) {
    const changes = (entry as { changes?: unknown })?.changes;
    if (!Array.isArray(changes)) return null;
    for (const change of changes) {
      const id = (change as { value?: { metadata?: { phone_number_id?: unknown } } })?.value?.metadata?.phone_number_id;
      if (typeof id !== 'string' || id.length === 0) return null;
      ids.add(id);
    }
  }
  return ids.size > 0 ? [...ids] : null;
}

/** The one answer to a body no tenant signed, whatever the reason (unknown host or number, wrong secret). */
function refused(reason: 'unknown_host' | 'unknown_phone_number_id' | 'bad_signature', fields: Record<string, string>) {
  log.warn('webhook.whatsapp.refused', { reason, ...fields });
  return new AppError('invalid_signature', 401, 'X-Hub-Signature-256 does not match the body');
}

/** The tenant whose app secret signed `raw`, or null (no such tenant, or not its signature). */
async function signedBy(
  env: Env,
  tenantId: string,
  raw: ArrayBuffer,
  signature: Uint8Array<ArrayBuffer>,
): Promise<Tenant | null> {
  const tenant = await loadTenant(env, tenantId);
  return tenant && (await hmacSha256Verify(tenant.whatsapp.appSecret, raw, signature)) ? tenant : null;
}

function parseJson(raw: ArrayBuffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new AppError('malformed_json', 400, 'body is not valid UTF-8 JSON');
  }
}

export const whatsappRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const query = WaVerifyQuery.safeParse(c.req.query());
    if (!query.success)
      throw new AppError(
        'invalid_body',
        400,
        'expected hub.mode=subscribe, hub.verify_token and hub.challenge',
        fieldIssues(query.error.issues),
      );
    const offered = query.data['hub.verify_token'];
    const host = new URL(c.req.url).hostname;
    const hostTenant = await tenantIdForHost(c.env, host);
    let matched = false;
    if (hostTenant) {
      const tenant = await loadTenant(c.env, hostTenant);
      matched = !!tenant && timingSafeEqual(tenant.whatsapp.verifyToken, offered);
    } else if (hostTenant === undefined) {
      // Looked up by hash: an equality on sha256(token) reveals nothing about near misses.
      matched = (await tenantIdsByVerifyToken(c.env, offered)).length > 0;
    }
    if (!matched) {
      log.warn('webhook.whatsapp.verification_refused', {
        reason: hostTenant === null ? 'unknown_host' : 'wrong_verify_token',
        host,
        ...(hostTenant ? { tenantId: hostTenant } : {}),
      });
      throw new AppError('verification_failed', 403, 'hub.verify_token does not match this tenant');
    }
    return c.text(query.data['hub.challenge'], 200);
  })
  .post('/', webhookBodyLimit(), async (c) => {
    const env = c.env;
    // The reorder hold of customer messages counts from here, so it overlaps the queue's wait.
    const receivedAt = Date.now();
    const raw = await c.req.arrayBuffer();

    const header = c.req.header('x-hub-signature-256');
    if (!header) throw new AppError('missing_signature', 401, 'X-Hub-Signature-256 header is required');
    const signatureHex = SIGNATURE.exec(header.trim())?.[1];
    if (!signatureHex)
      throw new AppError('invalid_signature', 401, 'X-Hub-Signature-256 must be sha256=<64 hex digits>');
    const signature = fromHex(signatureHex)!;

    // Which tenant(s) this notification belongs to. One Meta app may serve several numbers.
    const host = new URL(c.req.url).hostname;
    const hostTenant = await tenantIdForHost(env, host);
    const tenantByPhone = new Map<string, string>();
    const signers = new Map<string, Tenant>();
    let json: unknown;
    if (hostTenant === null) throw refused('unknown_host', { host });
    if (hostTenant) {
      // The host names the tenant: its signature is checked before the body is even parsed.
      const signer = await signedBy(env, hostTenant, raw, signature);
      if (!signer) {
        await countSignatureFailure(env, hostTenant);
        throw refused('bad_signature', { host, tenantId: hostTenant });
      }
      signers.set(signer.id, signer);
      json = parseJson(raw);
      const phoneNumberIds = phoneNumberIdsOf(json);
      if (!phoneNumberIds)
        throw new AppError('invalid_body', 400, 'every entry[].changes[] needs value.metadata.phone_number_id');
      for (const phoneNumberId of phoneNumberIds) {
        // Said only to the tenant that signed: whether the number is someone else's or no one's stays unsaid.
        if ((await tenantIdByPhoneNumberId(env, phoneNumberId)) !== hostTenant)
          throw new AppError('tenant_mismatch', 403, `phone_number_id ${phoneNumberId} is not this tenant's number`);
        tenantByPhone.set(phoneNumberId, hostTenant);
      }
    } else {
      json = parseJson(raw);
      const phoneNumberIds = phoneNumberIdsOf(json);
      if (!phoneNumberIds)
        throw new AppError('invalid_body', 400, 'every entry[].changes[] needs value.metadata.phone_number_id');
      for (const phoneNumberId of phoneNumberIds) {
        const tenantId = await tenantIdByPhoneNumberId(env, phoneNumberId);
        if (!tenantId) throw refused('unknown_phone_number_id', { phoneNumberId });
        tenantByPhone.set(phoneNumberId, tenantId);
      }
      // Every tenant named in the body must have signed it: the HMAC covers the raw bytes as sent.
      for (const tenantId of new Set(tenantByPhone.values())) {
        const signer = await signedBy(env, tenantId, raw, signature);
        if (!signer) {
          await countSignatureFailure(env, tenantId);
          throw refused('bad_signature', { tenantId });
        }
        signers.set(signer.id, signer);
      }
    }

    // Budgets are spent only by genuine traffic: a forger cannot exhaust a tenant's. Each is sized
    // to what the tenant's number can make Meta send (domain/webhook-budget.ts).
    for (const tenant of signers.values())
      await enforceTenantBudget(webhookLimiter(env, tenant.whatsapp.messagesPerSecond), `whatsapp:${tenant.id}`);

    const webhook = WaWebhook.safeParse(json);
    if (!webhook.success)
      throw new AppError(
        'invalid_body',
        400,
        'not a WhatsApp Business Account webhook',
        fieldIssues(webhook.error.issues),
      );

    // Each customer message carries its tenant's reorder hold, counted from `receivedAt`.
    const items = splitWebhook(webhook.data, (id) => tenantByPhone.get(id)!, receivedAt).map((item) =>
      item.kind === 'wa_message' ? { ...item, holdMs: signers.get(item.tenantId)!.inboundReorderMs } : item,
    );
    await enqueue(env, items);
    log.info('webhook.whatsapp.accepted', { items: items.length, tenants: new Set(tenantByPhone.values()).size });
    return c.json({ received: items.length }, 200);
  });

async function enqueue(env: Env, items: InboundQueueMessage[]): Promise<void> {
  const sized: Array<{ body: InboundQueueMessage; size: number }> = [];
  for (const body of items) {
    const size = new TextEncoder().encode(JSON.stringify(body)).byteLength;
    if (size > MAX_QUEUE_MESSAGE_BYTES) {
      // Too big for a queue message: record it where an operator sees it rather than drop it.
      await recordFailure(env, {
        tenantId: body.tenantId,
        direction: 'inbound',
        externalId: body.kind === 'wa_message' ? body.message.id : undefined,
        code: 'item_too_large',
        detail: `item of ${size} bytes exceeds the ${MAX_QUEUE_MESSAGE_BYTES}-byte queue message limit`,
        payload: body,
      });
      continue;
    }
    sized.push({ body, size });
  }
  try {
    for (const chunk of chunkForQueue(sized))
      await env.INBOUND_QUEUE.sendBatch(chunk.map((body) => ({ body, contentType: 'json' as const })));
  } catch (err) {
    log.error('webhook.whatsapp.enqueue_failed', { error: err instanceof Error ? err.message : String(err) });
    throw new AppError('enqueue_failed', 503, 'could not queue the notification; retry later');
  }
}
