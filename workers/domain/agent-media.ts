/**
 * Which WhatsApp message type carries an agent's attachment. Pure.
 *
 * Genesys lets agents attach any image, video, audio or file and tells us its MIME type and size;
 * WhatsApp takes each message type only for some types and sizes (Meta's "Supported media types"
 * table). What WhatsApp cannot show as an image, video or audio still reaches the customer as a
 * document with its filename (documents take any type up to 100 MB), so no agent send is refused
 * for a type we could carry. The bridge never fetches agent media: WhatsApp fetches the link.
 */

export type WaMediaKind = 'image' | 'video' | 'audio' | 'document';

const MB = 1024 * 1024;

/** Meta's table, per message type: accepted MIME types and the size limit. */
const NATIVE: Record<Exclude<WaMediaKind, 'document'>, { mimes: Set<string>; maxBytes: number }> = {
  image: { mimes: new Set(['image/jpeg', 'image/png']), maxBytes: 5 * MB },
  video: { mimes: new Set(['video/mp4', 'video/3gpp']), maxBytes: 16 * MB },
  audio: { mimes: new Set(['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg']), maxBytes: 16 * MB },
};
const DOCUMENT_MAX_BYTES = 100 * MB;

const EXTENSION_MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  mp4: 'video/mp4',
  '3gp': 'video/3gpp',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  aac: 'audio/aac',
  amr: 'audio/amr',
  pdf: 'application/pdf',
};

export interface AgentAttachment {
  mediaType: string;
  url?: string;
  mime?: string;
  filename?: string;
  contentSizeBytes?: number;
}

type MediaChoice =
  | { ok: true; kind: WaMediaKind; filename?: string }
  | { ok: false; code: 'InvalidMediaContentLength'; message: string };

function mimeOf(attachment: AgentAttachment): string | undefined {
  const given = attachment.mime?.split(';')[0]?.trim().toLowerCase();
  if (given) return given;
  const extension = attachment.filename?.split('.').pop()?.toLowerCase();
  return extension ? EXTENSION_MIME[extension] : undefined;
}

function extensionFor(mime: string | undefined): string {
  if (!mime) return 'bin';
  const known = Object.entries(EXTENSION_MIME).find(([, m]) => m === mime)?.[0];
  // `image/svg+xml` → `svg`: the subtype before any structured-syntax suffix.
  return (
    known ??
    (mime
      .split('/')[1]
      ?.split('+')[0]
      ?.replace(/[^a-z0-9]/gi, '') ||
      'bin')
  );
}

/** "The WhatsApp client will use an appropriate file type icon based on the extension." */
function documentName(attachment: AgentAttachment, mime: string | undefined): string {
  if (attachment.filename) return attachment.filename;
  return `${attachment.mediaType.toLowerCase() === 'file' ? 'file' : attachment.mediaType.toLowerCase()}.${extensionFor(mime)}`;
}

/** Picks the WhatsApp type for one attachment: its own kind when WhatsApp takes it, else a document. */
export function chooseMediaKind(attachment: AgentAttachment): MediaChoice {
  const mime = mimeOf(attachment);
  const size = attachment.contentSizeBytes;
  const wanted = attachment.mediaType.toLowerCase();
  if (wanted === 'image' || wanted === 'video' || wanted === 'audio') {
    const rule = NATIVE[wanted];
    if (mime && rule.mimes.has(mime) && (size === undefined || size <= rule.maxBytes))
      return { ok: true, kind: wanted };
  }
  if (size !== undefined && size > DOCUMENT_MAX_BYTES) {
    return {
      ok: false,
      code: 'InvalidMediaContentLength',
      message: `Not sent: the attachment is ${(size / MB).toFixed(1)} MB and WhatsApp takes files up to 100 MB.`,
    };
  }
  return { ok: true, kind: 'document', filename: documentName(attachment, mime) };
}
