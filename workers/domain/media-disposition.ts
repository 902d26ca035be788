/**
 * How the media route serves a customer's file from the bridge's own origin. Customers choose what
 * they send, so an HTML page or an SVG (an `image/*` that runs script) must never render inline
 * there: only raster images, audio and video do; anything else is a download. Pure.
 */
const INLINE = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'audio/aac',
  'audio/amr',
  'audio/mpeg',
  'audio/mp4',
  'audio/ogg',
  'video/mp4',
  'video/3gpp',
]);

/** Response headers for serving media of `mime` (named `filename` when downloaded). */
export function mediaHeaders(mime: string, filename: string): Record<string, string> {
  const bare = mime.split(';')[0]!.trim().toLowerCase();
  const safeName = filename.replace(/[^\w.-]/g, '_');
  return {
    'content-type': mime,
    'x-content-type-options': 'nosniff',
    // Even if a browser renders it, the page gets no script, no origin and no requests.
    'content-security-policy': "sandbox; default-src 'none'",
    ...(INLINE.has(bare) ? {} : { 'content-disposition': `attachment; filename="${safeName}"` }),
  };
}
