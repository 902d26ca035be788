/**
 * Meta's WhatsApp webhook envelope (Graph API "whatsapp_business_account" object).
 *
 * Parsed permissively: the envelope and every message keep unknown fields (`looseObject`) so a
 * field Meta adds tomorrow reaches the transformer instead of failing validation; only the fields
 * routing depends on are strict. Message bodies are validated per type in the transformer.
 */
import { z } from 'zod';

export const WaContact = z.looseObject({
  wa_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});
export type WaContact = z.infer<typeof WaContact>;

/** One inbound WhatsApp message; `type` decides which sibling object carries the content. */
export const WaMessage = z.looseObject({
  id: z.string().min(1),
  from: z.string().min(1),
  timestamp: z.string().regex(/^\d+$/, 'unix seconds as a string'),
  type: z.string().min(1),
});
export type WaMessage = z.infer<typeof WaMessage> & Record<string, unknown>;

export const WaError = z.looseObject({
  code: z.number(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});
export type WaError = z.infer<typeof WaError>;

export const WaStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: z.string().regex(/^\d+$/),
  recipient_id: z.string().min(1),
  errors: z.array(WaError).optional(),
});
export type WaStatus = z.infer<typeof WaStatus>;

export const WaChangeValue = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: z
    .looseObject({ phone_number_id: z.string().min(1), display_phone_number: z.string().optional() })
    .optional(),
  contacts: z.array(WaContact).optional(),
  messages: z.array(WaMessage).optional(),
  statuses: z.array(WaStatus).optional(),
  errors: z.array(WaError).optional(),
});
export type WaChangeValue = z.infer<typeof WaChangeValue>;

export const WaWebhook = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z
    .array(
      z.looseObject({
        id: z.string(),
        changes: z.array(z.looseObject({ field: z.string(), value: WaChangeValue })),
      }),
    )
    .min(1),
});
export type WaWebhook = z.infer<typeof WaWebhook>;

/** Meta's GET subscription handshake. */
export const WaVerifyQuery = z.object({
  'hub.mode': z.literal('subscribe'),
  'hub.verify_token': z.string().min(1),
  'hub.challenge': z.string().min(1),
});
