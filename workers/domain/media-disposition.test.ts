import { describe, expect, it } from 'vitest';
import { mediaHeaders } from './media-disposition';

describe('serving customer media from the bridge origin', () => {
  it('raster images, audio and video play inline; never sniffed; sandboxed either way', () => {
    for (const mime of ['image/jpeg', 'image/png', 'audio/ogg; codecs=opus', 'video/mp4']) {
      const headers = mediaHeaders(mime, 'x');
      expect(headers['content-disposition'], mime).toBeUndefined();
      expect(headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
      });
    }
  });

  it('HTML, SVG, PDF and anything else download as attachments with a safe filename', () => {
    for (const mime of ['text/html', 'image/svg+xml', 'application/pdf', 'application/octet-stream']) {
      expect(mediaHeaders(mime, 'a "b".html')['content-disposition'], mime).toBe('attachment; filename="a__b_.html"');
    }
  });
});
