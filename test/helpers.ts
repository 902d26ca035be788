/** Shared test vocabulary: seed a tenant, sign and post webhooks like Meta does, wait for delivery. */
import { env, exports } from 'cloudflare:workers';
import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { expect, vi } from 'vitest';
import { createTenant, type NewTenant } from '../workers/db/tenants.repo';
import worker from '../workers/index';
import type { WaMessageItem } from '../durable-objects/conversation.types';
import { hmacSha256, toBase64, toHex } from '../workers/lib/crypto';
import type { FakeNetwork } from './fakes/network';
import textFixture from './fixtures/meta/text.json';

export interface SeededTenant extends NewTenant {
  id: string;
}

let counter = 0;
function uniqueDigits(): string {
  counter++;
  return `${Date.now() % 1_000_000_000}${String(counter).padStart(4, '0')}${Math.floor(Math.random() * 1000)}`;
}

/** Creates a tenant with fresh ids (or the fields given) and registers its Genesys OAuth client with the fake. */
export async function seedTenant(
  net: FakeNetwork | undefined,
  overrides: Partial<Pick<NewTenant, 'name' | 'slug'>> & {
    whatsapp?: Partial<NewTenant['whatsapp']>;
    genesys?: Partial<NewTenant['genesys']>;
  } = {},
): Promise<SeededTenant> {
  const n = uniqueDigits();
  const input: NewTenant = {
    name: `Tenant ${n}`,
    slug: `t${n}`,
    whatsapp: {
      phoneNumberId: `1${n}`,
      wabaId: `2${n}`,
      accessToken: `wa-token-${n}`,
      appSecret: `app-secret-${n}`,
      verifyToken: `verify-${n}`,
      ...overrides.whatsapp,
    },
    genesys: {
      region: 'mypurecloud.ie',
      clientId: `client-${n}`,
      clientSecret: `client-secret-${n}`,
      integrationId: crypto.randomUUID(),
      outboundWebhookSecret: `outbound-secret-${n}`,
      ...overrides.genesys,
    },
    ...(overrides.name ? { name: overrides.name } : {}),
    ...(overrides.slug ? { slug: overrides.slug } : {}),
  };
  const id = await createTenant(env, input);
  net?.genesys.registerClient(input.genesys.clientId, input.genesys.clientSecret);
  net?.genesys.integrations.set(input.genesys.integrationId, {
    name: input.name,
    webhookUrl: `https://bridge.test/webhooks/genesys/${id}`,
    secret: input.genesys.outboundWebhookSecret,
  });
  net?.meta.addNumber(input.whatsapp.wabaId, input.whatsapp.phoneNumberId, input.whatsapp.accessToken);
  return { id, ...input };
}

export async function metaSignature(body: string | Uint8Array, appSecret: string): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return `sha256=${toHex(await hmacSha256(appSecret, bytes as Uint8Array<ArrayBuffer>))}`;
}

/** A Meta fixture re-addressed to a tenant's phone number, with optional message overrides. */
export function webhookFor(
  fixture: unknown,
  tenant: SeededTenant,
  message: Record<string, unknown> = {},
): Record<string, unknown> {
  const copy = structuredClone(fixture) as {
    entry: Array<{
      changes: Array<{ value: { metadata: { phone_number_id: string }; messages?: Array<Record<string, unknown>> } }>;
    }>;
  };
  for (const entry of copy.entry) {
    for (const change of entry.changes) {
      change.value.metadata.phone_number_id = tenant.whatsapp.phoneNumberId;
      if (change.value.messages) change.value.messages = change.value.messages.map((m) => ({ ...m, ...message }));
    }
  }
  return copy as unknown as Record<string, unknown>;
}

export async function postWebhook(
  body: string | Record<string, unknown>,
  options: { secret?: string; signature?: string | null; host?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.signature !== null)
    headers['x-hub-signature-256'] = options.signature ?? (await metaSignature(raw, options.secret ?? ''));
  return exports.default.fetch(
    new Request(`https://${options.host ?? 'bridge.test'}/webhooks/whatsapp`, { method: 'POST', headers, body: raw }),
  );
}

export function uniqueWamid(): string {
  return `wamid.TEST${crypto.randomUUID().replaceAll('-', '')}`;
}

/** A customer's text message as Meta posts it to the webhook, from `from` (contact and sender). */
export function customerText(
  tenant: SeededTenant,
  from: string,
  body: string,
  timestamp: number | string = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const webhook = webhookFor(textFixture, tenant, {
    id: uniqueWamid(),
    from,
    timestamp: String(timestamp),
    text: { body },
  }) as any;
  webhook.entry[0].changes[0].value.contacts[0].wa_id = from;
  return webhook as Record<string, unknown>;
}

/** The operator token's header: the platform credential of the test Worker. */
export const OPERATOR: Record<string, string> = { authorization: 'Bearer test-operator-token' };

/**
 * One admin API request, as a client sends it: with `headers` (the operator's unless given; `{}`
 * for none), `body` as JSON when given, to `https://bridge.test` or `host`. Answers the status,
 * headers, raw text and parsed JSON (undefined when the body is empty or not JSON).
 */
export async function adminApi(
  method: string,
  path: string,
  headers: Record<string, string> = OPERATOR,
  body?: unknown,
  options: { host?: string } = {},
): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await exports.default.fetch(
    new Request(`https://${options.host ?? 'bridge.test'}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** X-Hub-Signature-256 as Genesys computes it: base64, not hex. */
export async function genesysSignature(body: string, secret: string): Promise<string> {
  return `sha256=${toBase64(await hmacSha256(secret, new TextEncoder().encode(body) as Uint8Array<ArrayBuffer>))}`;
}

export async function postGenesys(
  tenant: SeededTenant,
  message: unknown,
  options: { secret?: string; signature?: string } = {},
): Promise<Response> {
  const raw = JSON.stringify(message);
  const signature =
    options.signature ?? (await genesysSignature(raw, options.secret ?? tenant.genesys.outboundWebhookSecret));
  return exports.default.fetch(
    new Request(`https://bridge.test/webhooks/genesys/${tenant.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body: raw,
    }),
  );
}

/** An agent's message as Genesys posts it to the outbound webhook. */
export function agentMessage(
  tenant: SeededTenant,
  waId: string,
  fields: Record<string, unknown> = {},
): Record<string, any> {
  const id = crypto.randomUUID().replaceAll('-', '');
  return {
    id,
    channel: {
      id: tenant.genesys.integrationId,
      platform: 'Open',
      type: 'Private',
      to: { id: `+${waId}`, idType: 'Phone' },
      from: { nickname: 'Agent', id: tenant.genesys.integrationId, idType: 'Opaque' },
      time: new Date().toISOString(),
      messageId: id,
    },
    type: 'Text',
    direction: 'Outbound',
    originatingEntity: 'Human',
    conversationId: crypto.randomUUID(),
    ...fields,
  };
}

/** A WhatsApp status webhook for a message we sent, signed like Meta does. */
export function statusWebhook(
  tenant: SeededTenant,
  wamid: string,
  waId: string,
  status: string,
  errors?: unknown[],
): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: tenant.whatsapp.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: tenant.whatsapp.phoneNumberId },
              statuses: [
                {
                  id: wamid,
                  status,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  recipient_id: waId,
                  ...(errors ? { errors } : {}),
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** How long end-to-end tests wait for something to happen downstream (queues, alarms, fakes). */
export const WAIT = { timeout: 15_000, interval: 50 };

let customers = 0;
/** A customer number no other test uses. */
export function newCustomer(): string {
  customers++;
  // Unique within a test file even when many are made in one millisecond.
  return `4477${String(Date.now() % 100000).padStart(5, '0')}${String(customers % 1000).padStart(3, '0')}`;
}

/** The customer writes now, which opens the 24-hour window; resolves once Genesys has it. Answers the wamid. */
export async function customerWrites(
  net: FakeNetwork,
  tenant: SeededTenant,
  waId: string,
  text = 'hello',
): Promise<string> {
  const wamid = uniqueWamid();
  const message = {
    ...textFixture.entry[0]!.changes[0]!.value.messages[0]!,
    id: wamid,
    from: waId,
    timestamp: String(Math.floor(Date.now() / 1000)),
    text: { body: text },
  };
  // Straight to the customer's conversation object, as the inbound queue consumer hands it over:
  // the webhook and queue are specified by the inbound suites; here the customer only opens the window.
  const item = { ...customerMessageItem(tenant, waId, message), contactName: 'Sheena Nelson' };
  expect(await env.CONVERSATION.getByName(`${tenant.id}:${waId}`).acceptInbound([item])).toMatchObject({
    accepted: [wamid],
  });
  await vi.waitFor(
    () =>
      expect(
        net.genesys
          .callsFor(tenant.genesys.integrationId)
          .some((c) => (c.body.channel as { messageId: string }).messageId === wamid),
      ).toBe(true),
    WAIT,
  );
  return wamid;
}

/** The agent sends a message (Genesys signs and posts it); answers the message as posted. */
export async function agentSays(
  tenant: SeededTenant,
  waId: string,
  fields: Record<string, unknown>,
): Promise<Record<string, any>> {
  const message = agentMessage(tenant, waId, fields);
  expect((await postGenesys(tenant, message)).status).toBe(200);
  return message;
}

/** The stored state of one customer message in its conversation object (read straight from its storage). */
export async function customerMessageState(
  tenantId: string,
  waId: string,
  wamid: string,
): Promise<{ state: string; genesysId: string | null; attempts: number; nextAttemptAt: number } | undefined> {
  return runInDurableObject(env.CONVERSATION.getByName(`${tenantId}:${waId}`), (_instance, state) => {
    const row = state.storage.sql
      .exec<{ state: string; genesys_id: string | null; attempts: number; next_attempt_at: number }>(
        'SELECT state, genesys_id, attempts, next_attempt_at FROM messages WHERE wamid = ?',
        wamid,
      )
      .toArray()[0];
    return row
      ? { state: row.state, genesysId: row.genesys_id, attempts: row.attempts, nextAttemptAt: row.next_attempt_at }
      : undefined;
  });
}

/** One Cron Trigger tick at `now`, as the runtime fires it, awaited with everything it started. */
export async function cronTick(now = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: now, cron: '*/15 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** The real D1 binding, counting the statements the bridge prepares on it (each one a read or a write). */
export function countingD1(): { DB: D1Database; statements: () => number; reset: () => void } {
  let statements = 0;
  const DB = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare')
        return (sql: string) => {
          statements++;
          return target.prepare(sql);
        };
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    DB,
    statements: () => statements,
    reset: () => {
      statements = 0;
    },
  };
}

/** A conversation's timeline, as the dashboard reads it. */
export const timelineOf = (tenantId: string, waId: string) =>
  env.CONVERSATION.getByName(`${tenantId}:${waId}`).timeline();

/** A customer's message as the inbound queue consumer hands it to the conversation object. */
export function customerMessageItem(
  tenant: SeededTenant,
  waId: string,
  message: WaMessageItem['message'],
): WaMessageItem {
  return {
    v: 1,
    kind: 'wa_message',
    tenantId: tenant.id,
    phoneNumberId: tenant.whatsapp.phoneNumberId,
    receivedAt: Date.now(),
    waId,
    message,
  };
}
