import { describe, expect, it } from 'vitest';
import { chooseMediaKind } from './agent-media';

const MB = 1024 * 1024;

describe("an agent attachment's WhatsApp type (Meta's supported-media table)", () => {
  it('keeps its own kind when WhatsApp takes that type and size', () => {
    expect(chooseMediaKind({ mediaType: 'Image', mime: 'image/png', contentSizeBytes: 5 * MB })).toEqual({
      ok: true,
      kind: 'image',
    });
    expect(chooseMediaKind({ mediaType: 'Video', mime: 'video/3gpp' })).toEqual({ ok: true, kind: 'video' });
    expect(chooseMediaKind({ mediaType: 'Audio', mime: 'audio/amr' })).toEqual({ ok: true, kind: 'audio' });
  });

  it('otherwise a document named with an extension, up to 100 MB', () => {
    expect(chooseMediaKind({ mediaType: 'Image', mime: 'image/svg+xml' })).toEqual({
      ok: true,
      kind: 'document',
      filename: 'image.svg',
    });
    expect(
      chooseMediaKind({ mediaType: 'Video', mime: 'video/mp4', contentSizeBytes: 16 * MB + 1, filename: 'tour.mp4' }),
    ).toEqual({ ok: true, kind: 'document', filename: 'tour.mp4' });
    expect(chooseMediaKind({ mediaType: 'File' })).toEqual({ ok: true, kind: 'document', filename: 'file.bin' });
    expect(chooseMediaKind({ mediaType: 'File', contentSizeBytes: 100 * MB + 1 })).toMatchObject({
      ok: false,
      code: 'InvalidMediaContentLength',
    });
  });

  it('without a MIME type, the file extension decides', () => {
    expect(chooseMediaKind({ mediaType: 'Image', filename: 'scan.jpeg' })).toEqual({ ok: true, kind: 'image' });
    expect(chooseMediaKind({ mediaType: 'Image', filename: 'anim.gif' })).toEqual({
      ok: true,
      kind: 'document',
      filename: 'anim.gif',
    });
  });
});
