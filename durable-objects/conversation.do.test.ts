/**
 * The conversation object on its own, through its RPC surface and its alarm (run with
 * runDurableObjectAlarm rather than polling for it): deduplication, and delivery after the
 * reorder hold.
 */
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { useFakeNetwork } from '../test/fakes/network';
import { customerMessageState, newCustomer, seedTenant, uniqueWamid } from '../test/helpers';
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
    await new Promise((r) => setTimeout(r, REORDER_MS + 20));
    await runDurableObjectAlarm(stub);
    expect(
      net.genesys
        .callsFor(tenant.genesys.integrationId)
        .map((c) => (c.body.channel as { messageId: string }).messageId),
    ).toEqual([item.message.id]);
    expect(await customerMessageState(tenant.id, waId, item.message.id)).toMatchObject({
      state: 'delivered',
      attempts: 1,
    });
  });
});
