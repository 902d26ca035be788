/**
 * A fake Meta Graph API at the HTTP boundary, for what the inbound path calls: GET /{version}/{media-id}
 * (answers a download URL, as Graph does) and the download itself, both requiring the access token.
 */
import { Hono } from 'hono';
import { Script, answer } from './scripted';

export class FakeMeta {
  readonly script = new Script();
  readonly media = new Map<string, { bytes: Uint8Array; mime: string; token: string }>();
  mediaRequests = 0;
  /** Phone number id → the access token allowed to act for it. */
  readonly phoneNumbers = new Map<string, string>();

  addMedia(id: string, bytes: Uint8Array, mime: string, token: string): void {
    this.media.set(id, { bytes, mime, token });
  }

  readonly graph = new Hono()
    .get('/download/:id', (c) => {
      const media = this.media.get(c.req.param('id'));
      if (!media || c.req.header('authorization') !== `Bearer ${media.token}`) return c.json({ error: { message: 'Unauthorized', code: 190 } }, 401);
      return new Response(media.bytes, { headers: { 'content-type': media.mime, 'content-length': String(media.bytes.byteLength) } });
    })
    .get('/:version/:mediaId', async (c) => {
      this.mediaRequests++;
      const scripted = this.script.take(c.req.path);
      if (scripted) return answer(scripted, c.req.raw.signal);
      const id = c.req.param('mediaId');
      const token = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1];
      const phoneToken = this.phoneNumbers.get(id);
      if (phoneToken !== undefined) {
        if (token !== phoneToken) return c.json({ error: { message: 'Error validating access token: Session has expired', type: 'OAuthException', code: 190, error_subcode: 463 } }, 401);
        return c.json({ id, display_phone_number: '+1 555-078-3881', verified_name: 'Fake Business', quality_rating: 'GREEN' });
      }
      const media = this.media.get(id);
      if (!media) return c.json({ error: { message: `Unsupported get request. Object with ID '${id}' does not exist`, type: 'GraphMethodException', code: 100, error_subcode: 33 } }, 400);
      if (token !== media.token) return c.json({ error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } }, 401);
      return c.json({
        messaging_product: 'whatsapp',
        url: `https://graph.fake/download/${id}`,
        mime_type: media.mime,
        sha256: 'fake',
        file_size: media.bytes.byteLength,
        id,
      });
    });
}
