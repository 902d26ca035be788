/**
 * GET /media/:token — where Genesys fetches a customer's WhatsApp media. The token is ours
 * (lib/media-token.ts); the WhatsApp access token never leaves the Worker. Bytes are streamed,
 * not buffered, so a 100 MB document costs no memory.
 */
import { Hono } from 'hono';
import { config, type AppEnv } from '../env';
import { AppError, UpstreamError } from '../domain/errors';
import { verifyMediaToken } from '../auth/media-url';
import { log } from '../lib/log';
import { mediaHeaders } from '../domain/media-disposition';
import { loadTenant } from '../db/tenants.repo';
import { downloadMedia, getMediaInfo, isTrustedMediaUrl } from '../clients/whatsapp.client';

export const mediaRoutes = new Hono<AppEnv>().get('/:token', async (c) => {
  const claims = await verifyMediaToken(c.env, c.req.param('token'));
  if (!claims) throw new AppError('invalid_media_token', 401, 'media link is invalid or has expired');
  const tenant = await loadTenant(c.env, claims.tid);
  if (!tenant) throw new AppError('invalid_media_token', 401, 'media link is invalid or has expired');
  const cfg = config(c.env);
  try {
    const info = await getMediaInfo(cfg, claims.mid, tenant.whatsapp.accessToken);
    if (!isTrustedMediaUrl(cfg, info.url)) {
      log.error('media.untrusted_host', { tenantId: tenant.id, mediaId: claims.mid });
      throw new AppError('media_unavailable', 502, 'WhatsApp returned a media location the bridge does not trust');
    }
    const upstream = await downloadMedia(cfg, info.url, tenant.whatsapp.accessToken);
    const headers = new Headers({
      ...mediaHeaders(info.mime_type || claims.mime, `whatsapp-${claims.mid}`),
      'cache-control': 'private, max-age=300',
    });
    const length = upstream.headers.get('content-length');
    if (length) headers.set('content-length', length);
    return new Response(upstream.body, { status: 200, headers });
  } catch (err) {
    if (err instanceof AppError) throw err;
    const detail = err instanceof UpstreamError ? err.failure.code : 'unexpected';
    log.warn('media.unavailable', { tenantId: tenant.id, mediaId: claims.mid, code: detail });
    // WhatsApp keeps media for 30 days; a 404 there is final for Genesys too.
    const gone = err instanceof UpstreamError && err.failure.kind === 'permanent';
    throw new AppError(
      gone ? 'not_found' : 'media_unavailable',
      gone ? 404 : 502,
      gone ? 'the media no longer exists on WhatsApp' : 'WhatsApp media could not be fetched; retry later',
    );
  }
});
