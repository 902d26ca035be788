/**
 * What the two people in the sandbox send, as the vendors would deliver it: the customer's WhatsApp
 * message (a webhook `messages[]` entry) and the agent's Genesys Open Messaging outbound message.
 */
import demo from './demo-tenant.json';
import { TEMPLATES, now, unix, type AgentItem, type PhoneItem } from './simulator.state';

export type CustomerKind = 'text' | 'image' | 'tap';
export type AgentKind = 'text' | 'image' | 'buttons' | 'template' | 'typing';

/** The customer's message as Meta puts it in a webhook, and how the phone shows it. */
export function customerMessage(
  kind: CustomerKind,
  input: { text?: string; replyTo?: string; buttonId?: string; title?: string },
): { wamid: string; message: Record<string, unknown>; item: PhoneItem } {
  const wamid = `wamid.SIM${crypto.randomUUID().replaceAll('-', '')}`;
  const base = { from: demo.customer.waId, id: wamid, timestamp: unix() };
  let message: Record<string, unknown>;
  const item: PhoneItem = { id: wamid, from: 'customer', ticks: 'pending', at: now() };
  if (kind === 'text') {
    message = { ...base, type: 'text', text: { body: input.text ?? '' } };
    item.text = input.text;
  } else if (kind === 'image') {
    message = {
      ...base,
      type: 'image',
      image: { id: 'sim-customer-photo', mime_type: 'image/png', sha256: 'sim', caption: input.text || undefined },
    };
    item.imageUrl = '/assets/customer.png';
    item.text = input.text;
  } else {
    message = {
      ...base,
      type: 'interactive',
      context: { from: demo.displayPhoneNumber.replace(/\D/g, ''), id: input.replyTo },
      interactive: { type: 'button_reply', button_reply: { id: input.buttonId, title: input.title } },
    };
    item.text = input.title;
  }
  return { wamid, message, item };
}

/** The agent's message as Genesys posts it to the outbound webhook, and how the desktop shows it. */
export function agentMessage(
  kind: AgentKind,
  input: { text?: string; origin: string },
  genesysConversationId: string | undefined,
): { message: Record<string, unknown>; item: AgentItem } {
  const id = crypto.randomUUID().replaceAll('-', '');
  const message: Record<string, unknown> = {
    id,
    channel: {
      id: demo.genesys.integrationId,
      platform: 'Open',
      type: 'Private',
      to: { id: `+${demo.customer.waId}`, idType: 'Phone' },
      from: { nickname: 'Agent Alex', id: demo.genesys.integrationId, idType: 'Opaque' },
      time: new Date().toISOString(),
      messageId: id,
    },
    type: 'Text',
    direction: 'Outbound',
    originatingEntity: 'Human',
    ...(genesysConversationId ? { conversationId: genesysConversationId } : {}),
  };
  const item: AgentItem = { id, from: 'agent', at: now() };
  if (kind === 'text') {
    message.text = item.text = input.text;
  } else if (kind === 'image') {
    message.text = item.text = input.text || 'Your shipping label';
    item.imageUrl = '/assets/agent.png';
    message.content = [
      {
        contentType: 'Attachment',
        attachment: {
          mediaType: 'Image',
          url: `${input.origin}/assets/agent.png`,
          mime: 'image/png',
          filename: 'label.png',
        },
      },
    ];
  } else if (kind === 'buttons') {
    message.type = 'Structured';
    message.text = item.text = input.text || 'What would you like to do?';
    const options = ['Track order', 'Talk to agent', 'Cancel'];
    message.content = options.map((o) => ({
      contentType: 'QuickReply',
      quickReply: { text: o, payload: o.toLowerCase().replaceAll(' ', '-'), action: 'Message' },
    }));
    item.text += ` [${options.join(' | ')}]`;
  } else if (kind === 'template') {
    item.text = `Template order_update (${demo.customer.name}, A-1042)`;
    // Genesys names WhatsApp templates "namespace@name".
    message.content = [
      {
        contentType: 'Notification',
        template: {
          id: 'sandbox_namespace@order_update',
          language: 'en_US',
          // ConversationNotificationTemplateBody: "text: Body text. For WhatsApp, ignored." The
          // bridge sends the template by name and shows this text (filled in) in the timeline.
          body: {
            text: TEMPLATES.find((t) => t.name === 'order_update')?.components[0]?.text,
            parameters: [
              { id: '1', text: demo.customer.name },
              { id: '2', text: 'A-1042' },
            ],
          },
        },
      },
    ];
  } else {
    message.type = 'Event';
    message.events = [{ eventType: 'Typing', typing: { type: 'On', duration: 5000 } }];
  }
  return { message, item };
}

/** A WhatsApp webhook for the demo number carrying `value` (messages, contacts or statuses), as Meta sends it. */
export function webhookEnvelope(value: Record<string, unknown>) {
  const metadata = {
    display_phone_number: demo.displayPhoneNumber.replace(/\D/g, ''),
    phone_number_id: demo.whatsapp.phoneNumberId,
  };
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: demo.whatsapp.wabaId,
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, ...value } }],
      },
    ],
  };
}
