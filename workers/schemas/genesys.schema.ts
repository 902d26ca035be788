/**
 * Genesys Cloud Open Messaging shapes the bridge sends and receives.
 * Request types follow the platform SDK models (OpenInboundNormalizedMessage & co.);
 * responses are parsed with zod because they cross a trust edge.
 */
import { z } from 'zod';

export type MediaType = 'Image' | 'Video' | 'Audio' | 'File';

export interface GenesysFrom {
  id: string;
  idType: 'Phone' | 'Email' | 'Opaque';
  nickname?: string;
}

export interface GenesysAttachment {
  mediaType: MediaType;
  url: string;
  mime: string;
  filename?: string;
  sha256?: string;
}

/** POST /api/v2/conversations/messages/{integrationId}/inbound/open/message */
export interface OpenInboundMessage {
  channel: { messageId: string; from: GenesysFrom; time: string };
  text?: string;
  content?: Array<{ contentType: 'Attachment'; attachment: GenesysAttachment }>;
}

/** POST /api/v2/conversations/messages/{integrationId}/inbound/open/structured/response */
export interface OpenInboundStructuredResponse {
  channel: { messageId: string; from: GenesysFrom; time: string };
  buttonResponse: { type: 'Button' | 'QuickReply'; text: string; payload: string };
  /** Genesys id of the agent's message the customer answered. */
  originatingMessageId: string;
}

export type GenesysInboundRequest =
  | { endpoint: 'message'; body: OpenInboundMessage }
  | { endpoint: 'structured'; body: OpenInboundStructuredResponse };

/** What Genesys answers to an inbound message; only the id matters to us. */
export const GenesysMessageResponse = z.looseObject({ id: z.string().min(1), conversationId: z.string().optional() });

export const GenesysTokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});
export type GenesysTokenResponse = z.infer<typeof GenesysTokenResponse>;

// ===== What Genesys POSTs to the outbound webhook (outboundNotificationWebhookUrl)

const GcAttachment = z.looseObject({
  id: z.string().optional(),
  mediaType: z.string(),
  url: z.string().optional(),
  mime: z.string().optional(),
  filename: z.string().optional(),
  text: z.string().optional(),
  contentSizeBytes: z.number().nonnegative().optional(),
});
const GcQuickReply = z.looseObject({ text: z.string(), payload: z.string().optional(), action: z.string().optional() });
const GcTemplateParameter = z.looseObject({ id: z.string().optional(), name: z.string().optional(), text: z.string() });
/**
 * ConversationContentNotificationTemplate (platform SDK): `id` is "The messaging provider template
 * ID. For WhatsApp, 'namespace@name'"; header (Text or Media), body, buttons and footer.
 */
const GcTemplate = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  language: z.string().optional(),
  header: z
    .looseObject({
      type: z.string().optional(),
      text: z.string().optional(),
      media: GcAttachment.optional(),
      parameters: z.array(GcTemplateParameter).optional(),
    })
    .optional(),
  body: z.looseObject({ text: z.string().optional(), parameters: z.array(GcTemplateParameter).optional() }).optional(),
  buttons: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        text: z.string().optional(),
        index: z.number().int().nonnegative().optional(),
        payload: z.string().optional(),
        url: z.string().optional(),
        phoneNumber: z.string().optional(),
        parameters: z.array(GcTemplateParameter).optional(),
      }),
    )
    .optional(),
  footer: z.looseObject({ text: z.string().optional() }).optional(),
});
export const GcContent = z.looseObject({
  contentType: z.string(),
  attachment: GcAttachment.optional(),
  quickReply: GcQuickReply.optional(),
  buttonResponse: z
    .looseObject({ text: z.string(), payload: z.string().optional(), type: z.string().optional() })
    .optional(),
  template: GcTemplate.optional(),
});
export type GcContent = z.infer<typeof GcContent>;

export const GcOutboundMessage = z.looseObject({
  id: z.string().min(1),
  channel: z.looseObject({
    id: z.string().optional(),
    platform: z.string().optional(),
    messageId: z.string().optional(),
    to: z.looseObject({ id: z.string().min(1), idType: z.string().optional() }),
    from: z.looseObject({ id: z.string().optional(), nickname: z.string().optional() }).optional(),
    time: z.string().optional(),
    metadata: z.looseObject({ replyToId: z.string().optional(), replyToMessageId: z.string().optional() }).optional(),
  }),
  type: z.string().min(1),
  text: z.string().optional(),
  content: z.array(GcContent).optional(),
  events: z
    .array(
      z.looseObject({
        eventType: z.string(),
        typing: z.looseObject({ type: z.string(), duration: z.number().optional() }).optional(),
      }),
    )
    .optional(),
  status: z.string().optional(),
  direction: z.string().optional(),
  conversationId: z.string().optional(),
  originatingEntity: z.string().optional(),
});
export type GcOutboundMessage = z.infer<typeof GcOutboundMessage>;

/**
 * POST …/{integrationId}/inbound/open/receipt: how a WhatsApp delivery status reaches the agent.
 * "There are 2 supported receipt statuses for this endpoint: Delivered | Failed"; `channel.to` is
 * the original message's `to` (id and idType), as the page's examples say.
 */
export interface OpenInboundReceipt {
  id: string;
  channel: { to: { id: string; idType?: string }; time: string };
  status: 'Delivered' | 'Failed';
  direction: 'Outbound';
  isFinalReceipt: true;
  reasons?: Array<{ code: string; message: string }>;
}
