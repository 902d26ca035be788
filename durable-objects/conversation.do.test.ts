/**
 * The conversation object on its own, through its RPC surface and its alarm (run with
 * runDurableObjectAlarm rather than polling for it): deduplication, and delivery after the
 * reorder hold.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { useFakeNetwork } from '../test/fakes/network';
import { agentMessage, customerMessageState, newCustomer, seedTenant, uniqueWamid, WAIT } from '../test/helpers';
import textFixture from '../test/fixtures/meta/text.json';
import { conversationName } from '../workers/domain/conversation';
import type { WaMessageItem } from './conversation.do';

const net = useFakeNetwork();
const REORDER_MS = Number(env.INBOUND_REORDER_MS);

function customerText(tenantId: string, waId: string, wamid = uniqueWamid()): WaMessageItem {
  const message = {
    ...textFixture.entry[0]!.changes[0]!.value.messages[0]!,
    id: wamid,
    from: waId,
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  return {
    v: 1,
    kind: 'wa_message',
    tenantId,
    phoneNumberId: '1',
    receivedAt: Date.now(),
    waId,
    message,
  } as WaMessageItem;
}

describe('conversation object', () => {
  it('keeps each WhatsApp message once and delivers it when its alarm runs after the reorder hold', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const stub = env.CONVERSATION.getByName(conversationName(tenant.id, waId));
    const item = customerText(tenant.id, waId);
    expect(await stub.acceptInbound([item])).toEqual({ accepted: [item.message.id], duplicates: [] });
    expect(await stub.acceptInbound([item])).toEqual({ accepted: [], duplicates: [item.message.id] });
    // Due once the hold has passed since the webhook arrived.
    const dueAt = await runInDurableObject(
      stub,
      (_instance, state) =>
        state.storage.sql.exec<{ due_at: number }>('SELECT due_at FROM messages WHERE wamid = ?', item.message.id).one()
          .due_at,
    );
    expect(dueAt).toBe(item.receivedAt + REORDER_MS);
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now()) + 20));
    // Run it now, unless the runtime's own alarm already is (then that run delivers it).
    await runDurableObjectAlarm(stub);
    await vi.waitFor(
      () =>
        expect(
          net.genesys
            .callsFor(tenant.genesys.integrationId)
            .map((c) => (c.body.channel as { messageId: string }).messageId),
        ).toEqual([item.message.id]),
      WAIT,
    );
    expect(await customerMessageState(tenant.id, waId, item.message.id)).toMatchObject({
      state: 'delivered',
      attempts: 1,
    });
  });

  it('its timeline only shows agent attachment links the bridge would hand WhatsApp (never javascript:)', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const stub = env.CONVERSATION.getByName(conversationName(tenant.id, waId));
    const attach = (url: string) => ({
      content: [{ contentType: 'Attachment', attachment: { mediaType: 'Image', url, mime: 'image/png' } }],
    });
    const evil = agentMessage(tenant, waId, attach('javascript:alert(document.domain)'));
    const fine = agentMessage(tenant, waId, attach('https://api-downloads.mypurecloud.ie/api/v2/downloads/x'));
    const item = (message: Record<string, unknown>) => ({
      v: 1 as const,
      kind: 'gc_message' as const,
      tenantId: tenant.id,
      receivedAt: Date.now(),
      message: message as never,
    });
    await stub.acceptOutbound([item(evil), item(fine)]);
    // No 24-hour window: both are refused with Failed receipts; the timeline still lists them.
    await vi.waitFor(() => expect(net.genesys.receiptsFor(tenant.genesys.integrationId)).toHaveLength(2), WAIT);
    const entries = await stub.timeline();
    expect(entries.find((e) => e.id === evil.id)?.media).toBeUndefined();
    expect(entries.find((e) => e.id === fine.id)?.media).toEqual({
      url: 'https://api-downloads.mypurecloud.ie/api/v2/downloads/x',
      mime: 'image/png',
    });
  });
});
