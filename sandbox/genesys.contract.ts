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
