import { describe, expect, it } from 'vitest';
import { trimPayload } from './trim-payload';

/** A notice as the inbound queue carries it: Meta's history sync for a number, about 200 KB. */
function largeNotice() {
  const messages = Array.from({ length: 1200 }, (_, i) => ({
    from: '447700900123',
    id: `wamid.HISTORY${i}`,
    timestamp: '1739321024',
    type: 'text',
    text: { body: `message number ${i} of a long history, with some words to make it realistic` },
  }));
  return {
    v: 1,
    kind: 'wa_notice',
    tenantId: 'tenant-1',
    phoneNumberId: '106540352242922',
    receivedAt: 1739321024000,
    field: 'history',
    errors: [{ code: 131000, title: 'Something went wrong', message: 'Something went wrong' }],
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      history: [{ metadata: { phase: 0, chunk_order: 1, progress: 55 }, threads: [{ id: '447700900123', messages }] }],
    },
  };
}

describe('trimPayload', () => {
  it('stores a small payload whole, unmarked', () => {
    const small = { kind: 'wa_notice', field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } };
    expect(JSON.parse(trimPayload(small, 8192))).toEqual(small);
  });

  it('trims a 200 KB notice to the cap, marked, keeping its ids, type and error', () => {
    const notice = largeNotice();
    const original = JSON.stringify(notice).length;
    expect(original).toBeGreaterThan(190_000);

    const stored = trimPayload(notice, 8192);
    expect(stored.length).toBeLessThanOrEqual(8192);
    const parsed = JSON.parse(stored);
    expect(parsed._trimmed).toEqual({ originalChars: original });
    expect(parsed).toMatchObject({
      kind: 'wa_notice',
      tenantId: 'tenant-1',
      phoneNumberId: '106540352242922',
      field: 'history',
      errors: [{ code: 131000, title: 'Something went wrong' }],
      value: { metadata: { phone_number_id: '106540352242922' } },
    });
    // the first items of a long list are kept, and the list says how many were left out
    const thread = parsed.value.history[0].threads[0];
    expect(thread.id).toBe('447700900123');
    expect(thread.messages[0].id).toBe('wamid.HISTORY0');
    expect(thread.messages.at(-1)).toMatch(/^… \d+ more$/);
  });

  it('trims a long JSON string like the object it encodes, and plain text by its start', () => {
    const text = JSON.stringify(largeNotice());
    expect(JSON.parse(trimPayload(text, 8192))).toMatchObject({ kind: 'wa_notice', field: 'history' });
    const plain = JSON.parse(trimPayload('x'.repeat(50_000), 1000));
    expect(plain._trimmed).toEqual({ originalChars: 50_000 });
    expect(plain.value).toMatch(/^x+…$/);
  });

  it('always answers valid JSON within the cap, however the payload is shaped', () => {
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key${i}`, 'v'.repeat(100)]));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 500; i++) deep = { nested: deep, pad: 'p'.repeat(50) };
    for (const payload of [wide, deep, Array.from({ length: 10_000 }, (_, i) => i)]) {
      const stored = trimPayload(payload, 2000);
      expect(stored.length).toBeLessThanOrEqual(2000);
      expect(JSON.parse(stored)._trimmed.originalChars).toBe(JSON.stringify(payload).length);
    }
  });
});
