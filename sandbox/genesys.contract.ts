/**
 * What Genesys Cloud's Open Messaging inbound endpoints accept, as zod: the contract the test fakes
 * and the sandbox simulator enforce. Sources: the platform SDK models (OpenInboundNormalizedMessage,
 * OpenInboundStructuredResponseMessage, OpenInboundNormalizedReceipt), the Developer Center page
 * "Inbound open receipt messages", and the receipt codes of "WhatsApp delivery receipts".
 */
import { z } from 'zod';

const From = z.object({
  id: z.string().min(1),
  idType: z.enum(['Email', 'Phone', 'Opaque']),
  nickname: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
});
const Channel = z.object({
  messageId: z.string().optional(),
  from: From,
  time: z.iso.datetime(),
  metadata: z.unknown().optional(),
});
const Attachment = z.object({
  mediaType: z.enum(['Image', 'Video', 'Audio', 'File']),
  url: z.url(),
  mime: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/),
  filename: z.string().optional(),
  sha256: z.string().optional(),
  text: z.string().optional(),
});
export const GenesysInboundMessage = z
  .strictObject({
    channel: Channel,
    text: z.string().max(10_000).optional(),
    content: z
      .array(z.object({ contentType: z.literal('Attachment'), attachment: Attachment }))
      .max(10)
      .optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .refine((m) => m.text !== undefined || (m.content?.length ?? 0) > 0, 'text or content is required');
export const GenesysStructuredResponse = z.strictObject({
  channel: Channel,
  buttonResponse: z.object({
    type: z.enum(['Button', 'QuickReply']),
    text: z.string().min(1),
    payload: z.string().min(1),
    id: z.string().optional(),
  }),
  originatingMessageId: z.string().min(1),
});

/**
 * The receipt codes Genesys documents ("WhatsApp delivery receipts": MessageExpired, RateLimited,
 * MessageNotAllowed, GeneralError, UnsupportedMessage, UnknownMessage, InvalidMessageStructure,
 * InvalidDestination, ServerError, MediaTypeNotAllowed, InvalidMediaContentLength, RecipientOptedOut).
 */
export const GENESYS_REASON_CODES = [
  'MessageExpired',
  'RateLimited',
  'MessageNotAllowed',
  'GeneralError',
  'UnsupportedMessage',
  'UnknownMessage',
  'InvalidMessageStructure',
  'InvalidDestination',
  'ServerError',
  'MediaTypeNotAllowed',
  'InvalidMediaContentLength',
  'RecipientOptedOut',
] as const;

/**
 * POST …/inbound/open/receipt. "There are 2 supported receipt statuses for this endpoint:
 * Delivered | Failed" (Inbound open receipt messages). The body follows the page's examples and
 * the SDK's OpenInboundNormalizedReceipt: id, channel {to {id, idType}, time}, status, direction
 * "Outbound", isFinalReceipt, and reasons [{code, message}] on a failure.
 */
export const GenesysReceipt = z.strictObject({
  id: z.string().min(1),
  channel: z.strictObject({
    to: z.strictObject({ id: z.string().min(1), idType: z.string().optional() }),
    time: z.iso.datetime(),
  }),
  status: z.enum(['Delivered', 'Failed']),
  direction: z.literal('Outbound').optional(),
  isFinalReceipt: z.boolean().optional(),
  reasons: z
    .array(z.strictObject({ code: z.enum(GENESYS_REASON_CODES).optional(), message: z.string().min(1) }))
    .min(1)
    .optional(),
});

/** Genesys' error body (ErrorBody model). */
export function genesysError(status: number, code: string, message: string) {
  return { status, code, message, messageWithParams: message, contextId: crypto.randomUUID(), details: [], errors: [] };
}

/**
 * Genesys' request budget: per OAuth token, over a minute. "We only allow 300 requests per minute on
 * a single OAuth Client token. Once you hit that limit you get a 429 and you have to wait the amount
 * of time in seconds in the Retry-After call header returned on the call before using that OAuth
 * Client token for any other API calls." (Genesys Developer Engagement, developer.genesys.cloud forum
 * "What is the rate limit on NotificationsApi?"); "The rate limiting is applied on a per-token basis"
 * (Genesys, community forum "How are rate limits enforced?"). Counted here over a sliding window,
 * the strictest reading of "per minute"; the window is a parameter so a fake can share the bridge's
 * GENESYS_WINDOW_MS.
 */
export const GENESYS_REQUESTS_PER_TOKEN = 300;

/** Genesys' 429 body, as the forum thread above quotes it. */
export function genesysRateLimited(retryAfterSeconds: number) {
  return genesysError(
    429,
    'too.many.requests.retry.after',
    `Rate limit exceeded the maximum. Retry the request in [${retryAfterSeconds}] seconds`,
  );
}

/** Requests per token over a sliding window: admits a request, or says how many seconds to wait. */
export class TokenRateLimit {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly limit = GENESYS_REQUESTS_PER_TOKEN,
  ) {}

  admit(token: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const times = (this.seen.get(token) ?? []).filter((t) => t > now - this.windowMs);
    this.seen.set(token, times);
    if (times.length >= this.limit)
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000)) };
    times.push(now);
    return { ok: true };
  }
}
