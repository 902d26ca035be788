/**
 * The queue consumers on their own: each message is acked or retried explicitly, a broken item
 * is recorded and acked (never a retry loop), dead letters land in D1. Batches are built with
 * createMessageBatch and judged with getQueueResult (which reports retries without their delay;
 * the delay comes from the retry policy, tested in domain/retry.test.ts).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import worker from '../index';
import { TenantGateDO } from '../../durable-objects/tenant-gate.do';
import type { Env } from '../env';
import { listDeadLetters, listFailures } from '../db/records.repo';
import { useFakeNetwork } from '../../test/fakes/network';
import { agentMessage, newCustomer, seedTenant, uniqueWamid } from '../../test/helpers';
import textFixture from '../../test/fixtures/meta/text.json';

const net = useFakeNetwork();

async function run(queue: string, bodies: unknown[], withEnv: Env = env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, withEnv);
  return { ids: batch.messages.map((m) => m.id), result: await getQueueResult(batch, ctx) };
}

function customerMessage(tenantId: string, waId: string) {
  const message = {
    ...textFixture.entry[0]!.changes[0]!.value.messages[0]!,
    id: uniqueWamid(),
    from: waId,
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  return { v: 1, kind: 'wa_message', tenantId, phoneNumberId: '1', receivedAt: Date.now(), waId, message };
}

describe('inbound consumer', () => {
  it('acks every message once its conversation object has it, and records a malformed item instead of retrying it', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const { ids, result } = await run('inbound', [
      customerMessage(tenant.id, waId),
      customerMessage(tenant.id, waId),
      { v: 1, kind: 'nonsense', tenantId: tenant.id },
    ]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    expect(await listFailures(env, tenant.id)).toMatchObject([{ code: 'invalid_queue_message' }]);
    // The conversation object delivers them on its own; let it finish while the fakes are up.
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(2), {
      timeout: 10_000,
    });
  });

  it('a value-level error notice is recorded and acked', async () => {
    const tenant = await seedTenant(net);
    const notice = {
      v: 1,
      kind: 'wa_notice',
      tenantId: tenant.id,
      phoneNumberId: '1',
      receivedAt: Date.now(),
      field: 'errors',
      errors: [{ code: 130429, title: 'Rate limit hit' }],
      value: null,
    };
    const { ids, result } = await run('inbound', [notice]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await listFailures(env, tenant.id)).toMatchObject([
      { code: 'whatsapp_error', detail: '130429: Rate limit hit' },
    ]);
  });
});

describe("inbound consumer and the number's WhatsApp budget", () => {
  it("customer messages spend the number's budget too (Meta counts them), one gate call per batch", async () => {
    const tenant = await seedTenant(net, { whatsapp: { messagesPerSecond: 2 } });
    const quiet = await seedTenant(net, { whatsapp: { messagesPerSecond: 2 } });
    const debits = vi.spyOn(TenantGateDO.prototype, 'debitWhatsapp');
    const [a, b] = [newCustomer(), newCustomer()];
    const first = customerMessage(tenant.id, a);
    await run('inbound', [first, first, customerMessage(tenant.id, a), customerMessage(tenant.id, b)]);
    // Three new messages (one was a duplicate), one call for the whole batch, which also notes the arrival.
    expect(debits.mock.calls).toEqual([[3, 2, expect.any(Number)]]);
    debits.mockRestore();

    // At 2 messages per second, the next send of this number waits; a number without traffic does not.
    expect(await env.TENANT_GATE.getByName(tenant.id).acquireWhatsapp(1, 2)).toMatchObject({ ok: false });
    expect(await env.TENANT_GATE.getByName(quiet.id).acquireWhatsapp(1, 2)).toEqual({ ok: true });
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(3), {
      timeout: 10_000,
    });
  });
});

/**
 * Conversation objects whose first `failures` calls to `acceptInbound` fail (with `error`), as when
 * an object restarts mid-call; every later call, on any stub, reaches the real object.
 */
function restartingConversations(
  failures: number,
  error: Error = new Error('Durable Object reset because its code was updated.'),
) {
  let left = failures;
  const CONVERSATION = {
    getByName: (name: string) => {
      const stub = env.CONVERSATION.getByName(name);
      return {
        acceptInbound: (items: Parameters<typeof stub.acceptInbound>[0]) =>
          left-- > 0 ? Promise.reject(error) : stub.acceptInbound(items),
        recordStatus: (item: Parameters<typeof stub.recordStatus>[0]) => stub.recordStatus(item),
      };
    },
  };
  return { ...env, CONVERSATION } as unknown as Env;
}

describe('inbound consumer and a conversation object that restarts', () => {
  it('hands the messages over again at once through a fresh stub: acked, not left to the queue’s delay (later messages would overtake them)', async () => {
    const tenant = await seedTenant(net);
    const waId = newCustomer();
    const { ids, result } = await run(
      'inbound',
      [customerMessage(tenant.id, waId), customerMessage(tenant.id, waId)],
      restartingConversations(1),
    );
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(result.retryMessages).toEqual([]);
    await vi.waitFor(() => expect(net.genesys.callsFor(tenant.genesys.integrationId)).toHaveLength(2), {
      timeout: 10_000,
    });
  });

  it('retries only that conversation’s messages through the queue when the fresh stub fails too, or the object is overloaded', async () => {
    const overloaded = Object.assign(new Error('Durable Object is overloaded.'), { overloaded: true });
    for (const conversations of [restartingConversations(2), restartingConversations(1, overloaded)]) {
      const tenant = await seedTenant(net);
      const { ids, result } = await run('inbound', [customerMessage(tenant.id, newCustomer())], conversations);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toEqual(ids.map((msgId) => ({ msgId })));
    }
  });
});

describe('outbound consumer', () => {
  it('acks agent messages handed to their conversation; an item without a customer number is recorded and acked', async () => {
    const tenant = await seedTenant(net);
    const good = {
      v: 1,
      kind: 'gc_message',
      tenantId: tenant.id,
      receivedAt: Date.now(),
      message: agentMessage(tenant, newCustomer(), { text: 'hi' }),
    };
    const noNumber = {
      ...good,
      message: { ...good.message, id: 'x', channel: { ...good.message.channel, to: { id: 'no-digits' } } },
    };
    const { ids, result } = await run('outbound', [good, noNumber]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(await listFailures(env, tenant.id)).toMatchObject([
      { code: 'invalid_queue_message', detail: 'no customer number in channel.to.id' },
    ]);
  });
});

describe('dead-letter consumers', () => {
  it('store what a conversation gave up on, with its reason, and what the queue itself gave up on', async () => {
    const tenant = await seedTenant(net);
    const item = customerMessage(tenant.id, newCustomer());
    const wrapped = {
      v: 1,
      kind: 'dead_letter',
      tenantId: tenant.id,
      queue: 'inbound',
      externalId: item.message.id,
      errorCode: 'genesys_503',
      errorDetail: 'down',
      attempts: 8,
      item,
    };
    const { ids, result } = await run('inbound-dlq', [wrapped, item]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    const stored = await listDeadLetters(env, tenant.id);
    expect(stored.map((d) => d.errorCode).sort()).toEqual(['genesys_503', 'queue_retries_exhausted']);
  });
});
