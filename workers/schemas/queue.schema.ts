/**
 * Bodies of the bridge's queue messages. Versioned (`v`) so a deploy never misreads a message
 * enqueued by the previous version. Queues cap one message at 128 KB; the webhook route splits
 * Meta's batches so each message carries one WhatsApp item.
 */
import { z } from 'zod';
import { WaError, WaMessage, WaStatus } from './whatsapp.schema';
import { GcOutboundMessage } from './genesys.schema';

const base = { v: z.literal(1), tenantId: z.string().min(1), phoneNumberId: z.string().min(1), receivedAt: z.number() };

export const InboundQueueMessage = z.discriminatedUnion('kind', [
  /** A customer's message, with the profile name Meta sent alongside it. */
  z.object({
    ...base,
    kind: z.literal('wa_message'),
    waId: z.string().min(1),
    contactName: z.string().optional(),
    message: WaMessage,
    /**
     * The tenant's reorder hold when the webhook arrived: the message is not forwarded before
     * `receivedAt + holdMs`. Absent on items enqueued by earlier releases (INBOUND_REORDER_MS then).
     */
    holdMs: z.number().int().nonnegative().optional(),
    /** Set by an operator's replay: lets a dead or failed message through deduplication once more. */
    replay: z.boolean().optional(),
  }),
  /** A delivery status of a message we sent on the agent's behalf. */
  z.object({ ...base, kind: z.literal('wa_status'), waId: z.string().min(1), status: WaStatus }),
  /** App-level errors, or a webhook field the bridge does not act on: recorded, never dropped. */
  z.object({
    ...base,
    kind: z.literal('wa_notice'),
    field: z.string(),
    errors: z.array(WaError).optional(),
    value: z.unknown(),
  }),
]);
export type InboundQueueMessage = z.infer<typeof InboundQueueMessage>;

/** An agent's message, receipt or event from the Genesys outbound webhook. */
export const OutboundQueueMessage = z.object({
  v: z.literal(1),
  kind: z.literal('gc_message'),
  tenantId: z.string().min(1),
  receivedAt: z.number(),
  message: GcOutboundMessage,
  replay: z.boolean().optional(),
  /**
   * Who sent it: an agent through Genesys (the default), or the agent widget (a template sent
   * from the widget has no Genesys message, so no receipt goes back).
   */
  origin: z.enum(['genesys', 'widget']).optional(),
});
export type OutboundQueueMessage = z.infer<typeof OutboundQueueMessage>;

/** Any item a dead letter may hold, to replay it on the queue it came from. */
export const ReplayableItem = z.union([InboundQueueMessage, OutboundQueueMessage]);

/** What lands in the dead-letter queue: the original item plus why it could not be delivered. */
export const DeadLetterMessage = z.object({
  v: z.literal(1),
  kind: z.literal('dead_letter'),
  tenantId: z.string(),
  queue: z.string(),
  externalId: z.string().optional(),
  errorCode: z.string(),
  errorDetail: z.string(),
  attempts: z.number().int(),
  item: z.unknown(),
});
export type DeadLetterMessage = z.infer<typeof DeadLetterMessage>;

const Backlog = z.object({ count: z.number().int().nonnegative(), oldestAt: z.number().nullable() });

/**
 * What a conversation object reports of itself, at most every few seconds (queue `activity`): its
 * delivery outcomes since the last report, summed per hour and direction with a latency histogram
 * (`[bucket bound ms, count]`), and what it holds back now. The consumer folds a batch of these
 * into one D1 transaction: the conversation index and the hourly metrics.
 */
export const ActivityMessage = z.object({
  v: z.literal(1),
  kind: z.literal('activity'),
  tenantId: z.string().min(1),
  waId: z.string().min(1),
  reportedAt: z.number(),
  contactName: z.string().nullable(),
  genesysConversationId: z.string().nullable(),
  /** The newest outcome (or, with none yet, the oldest message waiting), and its direction. */
  lastMessageAt: z.number(),
  lastDirection: z.enum(['inbound', 'outbound']),
  lastCustomerMessageAt: z.number().nullable(),
  messagesIn: z.number().int().nonnegative(),
  messagesOut: z.number().int().nonnegative(),
  hours: z.array(
    z.object({
      hour: z.number(),
      direction: z.enum(['inbound', 'outbound']),
      delivered: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      latencySumMs: z.number().nonnegative(),
      buckets: z.array(z.tuple([z.number(), z.number().int().positive()])),
    }),
  ),
  backlog: z.object({ inbound: Backlog, outbound: Backlog }),
});
export type ActivityMessage = z.infer<typeof ActivityMessage>;
