/**
 * What agent messages become on WhatsApp, checked against Meta's own example requests: every
 * request the planner builds has the keys and JSON types of Meta's example of the same type, and
 * nothing else. Optional keys that the examples leave out are allowed only where the type's
 * reference page documents them (quoted below).
 */
import { describe, expect, it } from 'vitest';
import { planOutbound, splitText, type OutboundPlan, type WaRequest } from './outbound.translate';
import { readMarkBody } from '../clients/whatsapp.client';
import textExample from '../../test/fixtures/meta/send/req_send_text_message.json';
import textPreviewExample from '../../test/fixtures/meta/send/req_send_text_message_with_preview_url.json';
import replyTextExample from '../../test/fixtures/meta/send/req_send_reply_to_text_message.json';
import imageExample from '../../test/fixtures/meta/send/req_send_image_message_by_url.json';
import replyImageExample from '../../test/fixtures/meta/send/req_send_reply_to_image_message_by_url.json';
import videoExample from '../../test/fixtures/meta/send/req_send_video_message_by_url.json';
import audioExample from '../../test/fixtures/meta/send/req_send_audio_message_by_url.json';
import documentExample from '../../test/fixtures/meta/send/req_send_document_message_by_url.json';
import replyDocumentExample from '../../test/fixtures/meta/send/req_send_reply_to_document_message_by_url.json';
import buttonsExample from '../../test/fixtures/meta/send/req_send_reply_button.json';
import listExample from '../../test/fixtures/meta/send/req_send_list_message.json';
import templateTextExample from '../../test/fixtures/meta/send/req_send_message_template_text.json';
import templateMediaExample from '../../test/fixtures/meta/send/req_send_message_template_media.json';
import templateInteractiveExample from '../../test/fixtures/meta/send/req_send_message_template_interactive.json';
import markReadExample from '../../test/fixtures/meta/send/req_mark_as_read.json';
import typingExample from '../../test/fixtures/meta/send/req_typing_indicator_with_read.json';
import type { GcOutboundMessage } from '../schemas/genesys.schema';

// ===== Structure of Meta's examples

type Shape =
  | { kind: 'object'; keys: Map<string, Shape> }
  | { kind: 'array'; element: Shape | null }
  | { kind: 'primitive'; types: Set<string> };

function shapeOf(value: unknown): Shape {
  if (Array.isArray(value))
    return { kind: 'array', element: value.map(shapeOf).reduce<Shape | null>((a, b) => (a ? merge(a, b) : b), null) };
  if (value !== null && typeof value === 'object')
    return { kind: 'object', keys: new Map(Object.entries(value).map(([k, v]) => [k, shapeOf(v)])) };
  return { kind: 'primitive', types: new Set([value === null ? 'null' : typeof value]) };
}

function merge(a: Shape, b: Shape): Shape {
  if (a.kind === 'object' && b.kind === 'object') {
    const keys = new Map(a.keys);
    for (const [k, v] of b.keys) keys.set(k, keys.has(k) ? merge(keys.get(k)!, v) : v);
    return { kind: 'object', keys };
  }
  if (a.kind === 'array' && b.kind === 'array')
    return { kind: 'array', element: a.element && b.element ? merge(a.element, b.element) : (a.element ?? b.element) };
  if (a.kind === 'primitive' && b.kind === 'primitive')
    return { kind: 'primitive', types: new Set([...a.types, ...b.types]) };
  throw new Error('examples disagree on a shape');
}

/** Paths (dotted, `[]` for array elements) where `value` leaves the shape: extra keys or other types. */
function violations(value: unknown, shape: Shape, path = ''): string[] {
  const actual = shapeOf(value);
  if (shape.kind === 'primitive')
    return actual.kind === 'primitive' && [...actual.types].every((t) => shape.types.has(t))
      ? []
      : [`${path}: ${JSON.stringify(value)}`];
  if (shape.kind === 'array') {
    if (!Array.isArray(value)) return [`${path}: not an array`];
    return shape.element ? value.flatMap((v) => violations(v, shape.element!, `${path}[]`)) : [];
  }
  if (actual.kind !== 'object') return [`${path}: not an object`];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    shape.keys.has(k)
      ? violations(v, shape.keys.get(k)!, path ? `${path}.${k}` : k)
      : [`${path ? `${path}.` : ''}${k}: not in Meta's example`],
  );
}

const examples = (...list: unknown[]) => list.map(shapeOf).reduce(merge);
// Documented keys the examples of that type leave out:
// - every message: "context … Required if replying to any message in the conversation" ({message_id}).
// - image: "caption … Media asset caption text. Maximum 1024 characters" (Image messages).
// - document: "filename … Document filename, with extension" (Document messages).
// - template header: "image", "video" or "document" media objects; a document header names its file.
const documented = {
  context: { message_id: 'wamid' },
  image: { link: 'https://x', caption: 'c' },
  document: { link: 'https://x', caption: 'c', filename: 'f.pdf' },
  template: {
    components: [
      {
        parameters: [
          { type: 'video', video: { link: 'https://x' } },
          { type: 'document', document: { link: 'https://x', filename: 'f.pdf' } },
        ],
      },
    ],
  },
};
const SHAPES: Record<string, Shape> = {
  text: examples(textExample, textPreviewExample, replyTextExample),
  image: examples(imageExample, replyImageExample, { image: documented.image, context: documented.context }),
  video: examples(videoExample, { context: documented.context }),
  audio: examples(audioExample, { context: documented.context }),
  document: examples(documentExample, replyDocumentExample, { document: documented.document }),
  interactive: examples(buttonsExample, listExample, { context: documented.context }),
  template: examples(templateTextExample, templateMediaExample, templateInteractiveExample, {
    template: documented.template,
  }),
  read: examples(markReadExample, typingExample),
};

function expectMetaShape(request: Record<string, unknown>): void {
  const shape = SHAPES[request.status === 'read' ? 'read' : (request.type as string)];
  expect(shape, `no Meta example for type ${String(request.type)}`).toBeDefined();
  expect(violations(request, shape!)).toEqual([]);
}

// ===== Planning

const TO = '447700900123';
const FILES = 'https://api-downloads.mypurecloud.ie/api/v2/downloads';

function message(fields: Partial<GcOutboundMessage>): GcOutboundMessage {
  return { id: 'g1', channel: { to: { id: `+${TO}`, idType: 'Phone' } }, type: 'Text', ...fields };
}

function plan(fields: Partial<GcOutboundMessage>, replyToWamid?: string): OutboundPlan {
  return planOutbound({
    message: message(fields),
    to: TO,
    ...(replyToWamid ? { replyToWamid } : {}),
    allowMediaUrl: (url) => url.startsWith('https://api-downloads.'),
  });
}

function requests(fields: Partial<GcOutboundMessage>, replyToWamid?: string): WaRequest[] {
  const p = plan(fields, replyToWamid);
  if (p.kind !== 'send') throw new Error(`expected a send, got ${JSON.stringify(p)}`);
  return p.requests;
}

const attachment = (fields: Record<string, unknown>) => ({
  contentType: 'Attachment',
  attachment: { mediaType: 'Image', url: `${FILES}/a`, ...fields },
});
const quick = (text: string, payload?: string) => ({
  contentType: 'QuickReply',
  quickReply: { text, ...(payload !== undefined ? { payload } : {}) },
});

describe('every request has the structure of Meta’s example of its type', () => {
  const cases: Array<[string, Partial<GcOutboundMessage>, string?]> = [
    ['text', { text: 'hello' }],
    ['text with a link, quoting the customer', { text: 'see https://example.com' }, 'wamid.C'],
    ['image with caption', { text: 'label', content: [attachment({ mime: 'image/png' })] }],
    ['quoted image', { content: [attachment({ mime: 'image/jpeg' })] }, 'wamid.C'],
    ['video', { text: 'tour', content: [attachment({ mediaType: 'Video', mime: 'video/mp4' })] }],
    ['audio and its text', { text: 'listen', content: [attachment({ mediaType: 'Audio', mime: 'audio/ogg' })] }],
    [
      'document',
      {
        text: 'invoice',
        content: [attachment({ mediaType: 'File', mime: 'application/pdf', filename: 'invoice.pdf' })],
      },
    ],
    ['GIF as a document', { content: [attachment({ mime: 'image/gif', filename: 'a.gif' })] }, 'wamid.C'],
    ['buttons', { type: 'Structured', text: 'Pick', content: [quick('Yes', 'y'), quick('No', 'n')] }],
    [
      'list',
      {
        type: 'Structured',
        text: 'Pick',
        content: Array.from({ length: 5 }, (_, i) => quick(`A long option title ${i}`, `p${i}`)),
      },
    ],
    [
      'template with header media, body and buttons',
      {
        content: [
          {
            contentType: 'Notification',
            template: {
              id: 'ns@t',
              language: 'en_US',
              header: {
                type: 'Media',
                media: { mediaType: 'File', url: `${FILES}/h`, mime: 'application/pdf', filename: 'terms.pdf' },
              },
              body: { parameters: [{ name: '1', text: 'Ana' }] },
              buttons: [
                { type: 'QuickReply', text: 'OK', index: 0, payload: 'ok' },
                { type: 'Url', text: 'Track', index: 1, parameters: [{ name: '1', text: 'A-1042' }] },
                { type: 'PhoneNumber', text: 'Call', index: 2, phoneNumber: '+15550100' },
              ],
            },
          },
        ],
      },
    ],
  ];
  for (const [name, fields, replyTo] of cases) {
    it(name, () => {
      for (const request of requests(fields, replyTo)) expectMetaShape(request);
    });
  }

  it('read marks and typing indicators', () => {
    expectMetaShape(readMarkBody('wamid.X', false));
    expectMetaShape(readMarkBody('wamid.X', true));
  });

  it('a request with a key Meta does not define is caught (the check can fail)', () => {
    expect(
      violations(
        { ...(requests({ text: 'hi' })[0] as object), text: { body: 'hi', preview_url: false, markdown: true } },
        SHAPES.text!,
      ),
    ).toEqual(["text.markdown: not in Meta's example"]);
    expect(violations({ ...(requests({ text: 'hi' })[0] as object), to: 447700 }, SHAPES.text!)).toEqual([
      'to: 447700',
    ]);
  });
});

describe('text', () => {
  it('longer than 4096 characters is split on word boundaries, nothing lost', () => {
    const text = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(' ');
    const parts = requests({ text }).map((r) => (r.text as { body: string }).body);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join(' ')).toBe(text);
    expect(splitText('x'.repeat(5000))).toEqual(['x'.repeat(4096), 'x'.repeat(904)]);
  });
});

describe('attachments', () => {
  it('JPEG and PNG up to 5 MB are images; GIF, BMP, WebP and larger images are documents named with an extension', () => {
    const kinds = (fields: Record<string, unknown>) =>
      requests({ content: [attachment(fields)] }).map((r) => [r.type, (r[r.type] as { filename?: string }).filename]);
    expect(kinds({ mime: 'image/jpeg' })).toEqual([['image', undefined]]);
    expect(kinds({ mime: 'image/png', contentSizeBytes: 5 * 1024 * 1024 })).toEqual([['image', undefined]]);
    expect(kinds({ mime: 'image/png', contentSizeBytes: 5 * 1024 * 1024 + 1, filename: 'big.png' })).toEqual([
      ['document', 'big.png'],
    ]);
    expect(kinds({ mime: 'image/gif' })).toEqual([['document', 'image.gif']]);
    expect(kinds({ mime: 'image/bmp', filename: 'scan.bmp' })).toEqual([['document', 'scan.bmp']]);
    expect(kinds({ mime: 'image/webp' })).toEqual([['document', 'image.webp']]);
    expect(kinds({ filename: 'photo.JPG' })).toEqual([['image', undefined]]);
  });

  it('video and audio outside Meta’s table go as documents; files over 100 MB are refused with InvalidMediaContentLength', () => {
    const kind = (fields: Record<string, unknown>) => requests({ content: [attachment(fields)] })[0]!.type;
    expect(kind({ mediaType: 'Video', mime: 'video/mp4' })).toBe('video');
    expect(kind({ mediaType: 'Video', mime: 'video/quicktime' })).toBe('document');
    expect(kind({ mediaType: 'Video', mime: 'video/mp4', contentSizeBytes: 17 * 1024 * 1024 })).toBe('document');
    expect(kind({ mediaType: 'Audio', mime: 'audio/ogg; codecs=opus' })).toBe('audio');
    expect(kind({ mediaType: 'Audio', mime: 'audio/wav' })).toBe('document');
    expect(kind({ mediaType: 'File', mime: 'application/zip' })).toBe('document');
    expect(
      plan({
        content: [attachment({ mediaType: 'File', mime: 'application/zip', contentSizeBytes: 101 * 1024 * 1024 })],
      }),
    ).toMatchObject({ kind: 'refuse', code: 'InvalidMediaContentLength' });
  });

  it('the text rides as the first caption it fits; too long for a caption, it follows the media whole', () => {
    const short = requests({
      text: 'label',
      content: [attachment({ mediaType: 'Audio', mime: 'audio/mpeg' }), attachment({ mime: 'image/png' })],
    });
    expect(short.map((r) => [r.type, (r[r.type] as { caption?: string }).caption])).toEqual([
      ['audio', undefined],
      ['image', 'label'],
    ]);
    const long = 'y'.repeat(1025);
    const withLong = requests({ text: long, content: [attachment({ mime: 'image/png' })] });
    expect(withLong.map((r) => r.type)).toEqual(['image', 'text']);
    expect((withLong[1]!.text as { body: string }).body).toBe(long);
    expect(
      requests({ text: 'only audio', content: [attachment({ mediaType: 'Audio', mime: 'audio/mpeg' })] }).map(
        (r) => r.type,
      ),
    ).toEqual(['audio', 'text']);
  });

  it('links to hosts the tenant does not trust are refused', () => {
    expect(plan({ content: [attachment({ url: 'https://169.254.169.254/x', mime: 'image/png' })] })).toMatchObject({
      kind: 'refuse',
      code: 'MediaTypeNotAllowed',
    });
  });
});

describe('quick replies', () => {
  it('ids never exceed what WhatsApp allows and stay unique; payloads that fit are kept as they are', () => {
    const [buttons] = requests({
      type: 'Structured',
      text: 'Pick',
      content: [quick('A', 'x'.repeat(300)), quick('B', 'same'), quick('C', 'same')],
    });
    const ids = (buttons!.interactive as any).action.buttons.map((b: any) => b.reply.id);
    expect(ids).toEqual(['qr-1', 'qr-2', 'qr-3']);
    const [kept] = requests({ type: 'Structured', text: 'Pick', content: [quick('A', 'track'), quick('B', 'cancel')] });
    expect((kept!.interactive as any).action.buttons.map((b: any) => b.reply.id)).toEqual(['track', 'cancel']);
  });

  it('a text longer than the interactive body goes first as text, so nothing is cut', () => {
    const text = 'z'.repeat(1500);
    const out = requests({ type: 'Structured', text, content: [quick('Yes', 'y')] });
    // Reply buttons take a body of at most 1024 characters.
    expect(out.map((r) => r.type)).toEqual(['text', 'interactive']);
    expect((out[0]!.text as { body: string }).body).toBe(text);
    expect((out[1]!.interactive as any).body.text).toBe('Please choose an option:');
  });

  it('more than 10 options, or titles over 72 characters, become numbered text', () => {
    const many = requests({
      type: 'Structured',
      text: 'Pick',
      content: Array.from({ length: 11 }, (_, i) => quick(`O${i + 1}`)),
    });
    expect((many[0]!.text as { body: string }).body.split('\n')).toEqual([
      'Pick',
      ...Array.from({ length: 11 }, (_, i) => `${i + 1}. O${i + 1}`),
    ]);
    const wordy = requests({ type: 'Structured', text: 'Pick', content: [quick('w'.repeat(80))] });
    expect(wordy[0]!.type).toBe('text');
  });
});

describe('templates', () => {
  const notification = (template: Record<string, unknown>) => ({
    content: [{ contentType: 'Notification', template }],
  });

  it('"namespace@name" sends the name; a BCP 47 language becomes WhatsApp’s underscore form', () => {
    const p = plan(
      notification({ id: '0b1c2d3e_ns@order_update', language: 'es-MX', body: { parameters: [{ text: 'Ana' }] } }),
    );
    expect(p).toMatchObject({
      kind: 'send',
      needsWindow: false,
      template: { name: 'order_update', language: 'es_MX' },
    });
    expect((p as Extract<OutboundPlan, { kind: 'send' }>).requests[0]!.template).toEqual({
      name: 'order_update',
      language: { code: 'es_MX' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
    });
    expect((requests(notification({ id: 'plain_name' }))[0]!.template as { name: string }).name).toBe('plain_name');
  });

  it('a text header with parameters, URL buttons with their suffix; phone buttons need nothing', () => {
    const [request] = requests(
      notification({
        id: 'ns@t',
        header: { type: 'Text', text: 'Order {{1}}', parameters: [{ text: 'A-1' }] },
        buttons: [
          { type: 'Url', index: 0, parameters: [{ text: 'A-1' }] },
          { type: 'PhoneNumber', index: 1, phoneNumber: '+1555' },
        ],
      }),
    );
    expect((request!.template as { components: unknown[] }).components).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'A-1' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-1' }] },
    ]);
  });

  it('no name, an empty parameter or an untrusted header link are refused before WhatsApp is called', () => {
    expect(plan(notification({ language: 'en_US' }))).toMatchObject({
      kind: 'refuse',
      code: 'InvalidMessageStructure',
    });
    expect(plan(notification({ id: 'ns@t', body: { parameters: [{ name: '2', text: ' ' }] } }))).toMatchObject({
      kind: 'refuse',
      message: expect.stringContaining('parameter 2'),
    });
    expect(
      plan(
        notification({
          id: 'ns@t',
          header: { type: 'Media', media: { mediaType: 'Image', url: 'https://evil.example/x.png' } },
        }),
      ),
    ).toMatchObject({ kind: 'refuse' });
  });
});
