/**
 * Names shared by everything that addresses a conversation: its Durable Object's name, and
 * WhatsApp's customer-service window.
 */

/** The name of a conversation's Durable Object: one per tenant and customer WhatsApp id. */
export function conversationName(tenantId: string, waId: string): string {
  return `${tenantId}:${waId}`;
}

/** WhatsApp's customer-service window: free-form replies are allowed this long after the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 3600_000;
