import { describe, expect, it } from 'vitest';
import type { ActivityMessage } from '../schemas/queue.schema';
import { foldActivity } from './activity-fold';

const idle = { inbound: { count: 0, oldestAt: null }, outbound: { count: 0, oldestAt: null } };

function report(fields: Partial<ActivityMessage>): ActivityMessage {
  return {
    v: 1,
    kind: 'activity',
    tenantId: 't1',
    waId: '447700900001',
    reportedAt: 1000,
    contactName: null,
    genesysConversationId: null,
    lastMessageAt: 1000,
    lastDirection: 'inbound',
    lastCustomerMessageAt: null,
    messagesIn: 0,
    messagesOut: 0,
    hours: [],
    backlog: idle,
    ...fields,
  };
}

describe('folding conversation reports', () => {
  it('sums one conversation’s reports into one index row, newest facts and backlog winning', () => {
    const waiting = { inbound: { count: 2, oldestAt: 1500 }, outbound: { count: 0, oldestAt: null } };
    const { conversations } = foldActivity([
      report({ reportedAt: 3000, lastMessageAt: 2900, lastDirection: 'outbound', messagesOut: 1, backlog: idle }),
      report({
        reportedAt: 2000,
        lastMessageAt: 1900,
        messagesIn: 3,
        contactName: 'Ana',
        lastCustomerMessageAt: 1800,
        backlog: waiting,
      }),
    ]);
    expect(conversations).toEqual([
      expect.objectContaining({
        messagesIn: 3,
        messagesOut: 1,
        lastMessageAt: 2900,
        lastDirection: 'outbound',
        contactName: 'Ana',
        lastCustomerMessageAt: 1800,
        backlog: idle,
        backlogAt: 3000,
      }),
    ]);
  });

  it('adds hours and latency buckets across conversations and tenants separately', () => {
    const hour = {
      hour: 0,
      direction: 'inbound' as const,
      delivered: 2,
      failed: 1,
      latencySumMs: 300,
      buckets: [[250, 2]] as Array<[number, number]>,
    };
    const { hours, buckets } = foldActivity([
      report({ waId: 'a', hours: [hour] }),
      report({
        waId: 'b',
        hours: [
          {
            ...hour,
            buckets: [
              [250, 1],
              [1000, 1],
            ],
          },
        ],
      }),
      report({ tenantId: 't2', hours: [hour] }),
    ]);
    expect(hours).toEqual([
      { tenantId: 't1', hour: 0, direction: 'inbound', delivered: 4, failed: 2, latencySumMs: 600 },
      { tenantId: 't2', hour: 0, direction: 'inbound', delivered: 2, failed: 1, latencySumMs: 300 },
    ]);
    expect(buckets.filter((b) => b.tenantId === 't1').map((b) => [b.leMs, b.count])).toEqual([
      [250, 3],
      [1000, 1],
    ]);
  });
});
