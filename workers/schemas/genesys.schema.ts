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
export const GenesysMessageResponse = z.looseObject({ id: z.string().min(1) });

export const GenesysTokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});
export type GenesysTokenResponse = z.infer<typeof GenesysTokenResponse>;
