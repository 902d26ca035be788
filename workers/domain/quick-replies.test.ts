import { describe, expect, it } from 'vitest';
import { layoutQuickReplies, restoreTap } from './quick-replies';

describe('quick-reply layout', () => {
  it('up to 3 short, distinct titles are buttons; more (up to 10) or longer titles are a list; beyond that, numbered text', () => {
    expect(layoutQuickReplies([{ text: 'Yes' }, { text: 'No' }]).kind).toBe('button');
    expect(layoutQuickReplies([{ text: 'Same' }, { text: 'Same' }]).kind).toBe('list');
    expect(layoutQuickReplies(Array.from({ length: 4 }, (_, i) => ({ text: `O${i}` }))).kind).toBe('list');
    expect(layoutQuickReplies([{ text: 'A title of twenty-one' }]).kind).toBe('list');
    expect(layoutQuickReplies(Array.from({ length: 11 }, (_, i) => ({ text: `O${i}` }))).kind).toBe('text');
  });

  it('button ids are at most 256 characters, row ids at most 200, and never collide', () => {
    const long = (n: number) => 'p'.repeat(n);
    expect(
      layoutQuickReplies([
        { text: 'A', payload: long(256) },
        { text: 'B', payload: long(257) },
      ]).options.map((o) => o.id),
    ).toEqual([long(256), 'qr-2']);
    const rows = layoutQuickReplies(
      Array.from({ length: 4 }, (_, i) => ({ text: `O${i}`, payload: i === 0 ? long(200) : long(201) })),
    );
    expect(rows.options.map((o) => o.id)).toEqual([long(200), 'qr-2', 'qr-3', 'qr-4']);
    // A payload that happens to look like a stand-in cannot steal another option's tap.
    expect(
      layoutQuickReplies([
        { text: 'A', payload: 'qr-2' },
        { text: 'B', payload: long(300) },
      ]).options.map((o) => o.id),
    ).toEqual(['qr-1', 'qr-2']);
    // Leading or trailing spaces are not allowed in ids.
    expect(layoutQuickReplies([{ text: 'A', payload: ' padded ' }]).options[0]!.id).toBe('qr-1');
  });

  it('a tap restores the agent’s full text and payload; unknown ids restore nothing', () => {
    const replies = [
      { text: 'Delivery option number three', payload: `x:${'y'.repeat(300)}` },
      { text: 'Pickup', payload: 'pickup' },
    ];
    expect(restoreTap(replies, 'qr-1')).toEqual(replies[0]);
    expect(restoreTap(replies, 'pickup')).toEqual({ text: 'Pickup', payload: 'pickup' });
    expect(restoreTap(replies, 'qr-9')).toBeUndefined();
    expect(restoreTap([{ text: 'No payload' }], 'No payload')).toEqual({ text: 'No payload', payload: 'No payload' });
  });
});
