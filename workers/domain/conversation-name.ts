/** The name of a conversation's Durable Object: one per tenant and customer WhatsApp id. */
export function conversationName(tenantId: string, waId: string): string {
  return `${tenantId}:${waId}`;
}
