/**
 * WhatsApp media messages (image, video, audio, document, sticker) as Genesys attachments. Pure.
 * The media stays at WhatsApp: Genesys gets the caller's signed URL to the bridge's media route.
 */
import { z } from 'zod';
import type { WaMessage } from '../schemas/whatsapp.schema';
import type { GenesysAttachment, MediaType } from '../schemas/genesys.schema';

/** Types whose content is a media object Meta hands us by id. */
export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type WaMediaKind = (typeof MEDIA_TYPES)[number];

const MediaObject = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().min(1),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

/** The media object of a message, when it has one. Pure, so the caller can sign a URL before translating. */
export function mediaOf(message: WaMessage): { kind: WaMediaKind; id: string; mime: string } | undefined {
  if (!(MEDIA_TYPES as readonly string[]).includes(message.type)) return undefined;
  const parsed = MediaObject.safeParse(message[message.type]);
  return parsed.success
    ? { kind: message.type as WaMediaKind, id: parsed.data.id, mime: parsed.data.mime_type }
    : undefined;
}

const MEDIA_GENESYS_TYPE: Record<WaMediaKind, MediaType> = {
  image: 'Image',
  sticker: 'Image',
  video: 'Video',
  audio: 'Audio',
  document: 'File',
};

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'application/pdf': 'pdf',
};

/** `audio/ogg; codecs=opus` → `audio/ogg`: Genesys wants a bare MIME type. */
function bareMime(mime: string): string {
  return mime.split(';')[0]!.trim().toLowerCase();
}

/** The attachment (and caption) of a media message, or why it cannot become one. */
export function mediaBody(
  kind: WaMediaKind,
  content: unknown,
  mediaUrl: string | undefined,
): { text?: string; attachment: GenesysAttachment } | { code: string; detail: string } {
  const media = MediaObject.safeParse(content);
  if (!media.success) return { code: 'invalid_media', detail: `${kind} message without media id or mime_type` };
  if (!mediaUrl) return { code: 'media_url_missing', detail: 'no signed media URL was provided' };
  const mime = bareMime(media.data.mime_type);
  const extension = EXTENSIONS[mime] ?? mime.split('/')[1] ?? 'bin';
  const label = kind === 'audio' && media.data.voice ? 'voice' : kind;
  return {
    text: media.data.caption,
    attachment: {
      mediaType: MEDIA_GENESYS_TYPE[kind],
      url: mediaUrl,
      mime,
      filename: media.data.filename ?? `${label}-${media.data.id}.${extension}`,
      ...(media.data.sha256 ? { sha256: media.data.sha256 } : {}),
    },
  };
}
