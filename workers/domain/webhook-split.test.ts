import { describe, expect, it } from 'vitest';
import { WaWebhook } from '../schemas/whatsapp.schema';
import { chunkForQueue, splitWebhook } from './webhook-split';
import text from '../../test/fixtures/meta/text.json';
import failedStatus from '../../test/fixtures/meta/status_failed_131049.json';
import appErrors from '../../test/fixtures/meta/errors_value_level_130429.json';

const tenantOf = (phoneNumberId: string) => `tenant-of-${phoneNumberId}`;

describe('one queue message per message, status and notice', () => {
  it('a text becomes one message with its customer, contact name and tenant', () => {
    const [item, ...rest] = splitWebhook(WaWebhook.parse(text), tenantOf, 42);
    expect(rest).toEqual([]);
    expect(item).toMatchObject({
      v: 1,
      kind: 'wa_message',
      tenantId: 'tenant-of-106540352242922',
      waId: '16505551234',
      contactName: 'Sheena Nelson',
      receivedAt: 42,
    });
  });

  it('statuses and value-level errors are kept, each on its own', () => {
    expect(splitWebhook(WaWebhook.parse(failedStatus), tenantOf, 0).map((i) => i.kind)).toEqual(['wa_status']);
    expect(splitWebhook(WaWebhook.parse(appErrors), tenantOf, 0).map((i) => i.kind)).toEqual(['wa_notice']);
  });

  it('several entries and changes keep their order', () => {
    const double = structuredClone(text) as typeof text;
    double.entry.push(structuredClone(text.entry[0]!));
    expect(splitWebhook(WaWebhook.parse(double), tenantOf, 0)).toHaveLength(2);
  });
});

describe('sendBatch chunks', () => {
  it('at most 100 messages and 240 000 bytes per chunk, order kept', () => {
    const items = Array.from({ length: 250 }, (_, i) => ({ body: i, size: 1000 }));
    expect(chunkForQueue(items).map((c) => c.length)).toEqual([100, 100, 50]);
    const big = Array.from({ length: 5 }, (_, i) => ({ body: i, size: 100_000 }));
    expect(chunkForQueue(big)).toEqual([[0, 1], [2, 3], [4]]);
  });
});
