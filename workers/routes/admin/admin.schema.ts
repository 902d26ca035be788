/**
 * Request and response bodies of the admin API (zod, with OpenAPI metadata). Credentials are
 * write-only: request schemas accept them, response schemas only ever carry masked forms.
 */
import { z } from '@hono/zod-openapi';
import { GENESYS_REGION_DOMAINS, isGenesysRegion } from '../../domain/genesys-regions';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_body' }),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

const slug = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'lowercase letters, digits and dashes; it becomes <slug>.<base domain>',
  )
  .openapi({ example: 'acme' });

const secret = (example: string) => z.string().min(8, 'at least 8 characters').max(4096).openapi({ example });

/** A Genesys Cloud region domain (the platform SDK's list, domain/genesys-regions.ts), e.g. mypurecloud.com or euw2.pure.cloud. */
const region = z
  .string()
  .refine(isGenesysRegion, `a Genesys Cloud region domain: ${GENESYS_REGION_DOMAINS.join(', ')}`)
  .openapi({ example: 'mypurecloud.ie', enum: [...GENESYS_REGION_DOMAINS] });

export const WhatsappInput = z
  .object({
    phoneNumberId: z
      .string()
      .regex(/^\d{5,20}$/, 'digits only (Meta phone number id)')
      .openapi({ example: '106540352242922' }),
    wabaId: z.string().regex(/^\d{5,20}$/, 'digits only (WhatsApp Business Account id)'),
    accessToken: secret('EAAG…'),
    appSecret: secret('app secret from the Meta app dashboard'),
    verifyToken: z.string().min(8).max(200),
    messagesPerSecond: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: "The number's throughput; Meta's default is 80." }),
  })
  .openapi('WhatsappCredentials');

export const GenesysInput = z
  .object({
    region,
    clientId: z.string().min(8).max(200),
    clientSecret: secret('OAuth client secret'),
    /** Empty until the integration exists; POST …/genesys/integration creates it. */
    integrationId: z.string().max(100).default(''),
    outboundWebhookSecret: z.string().min(16).max(4096).optional(),
  })
  .openapi('GenesysCredentials');

export const TenantCreate = z
  .object({
    name: z.string().min(1).max(200),
    slug,
    whatsapp: WhatsappInput,
    genesys: GenesysInput,
  })
  .openapi('TenantCreate');

/**
 * Meta's out-of-order deliveries land within moments of each other; holding every message longer
 * than this would only add latency.
 */
export const MAX_INBOUND_REORDER_MS = 10_000;

const GenesysReceiptsSetting = z.enum(['all', 'failed']).openapi({
  description:
    'Which receipts agent messages get in Genesys: `all` (Delivered, or Failed with the reason) or `failed` (Failed only; each delivered message then costs no Genesys call).',
  example: 'all',
});

export const TenantPatch = z
  .object({
    name: z.string().min(1).max(200).optional(),
    status: z.enum(['active', 'suspended']).optional(),
    markRead: z
      .boolean()
      .optional()
      .openapi({ description: 'Mark customer messages read on WhatsApp once an agent answers or types.' }),
    genesysReceipts: GenesysReceiptsSetting.optional(),
    inboundReorderMs: z.number().int().min(0).max(MAX_INBOUND_REORDER_MS).nullable().optional().openapi({
      description:
        "How long each customer message is held, counted from the webhook's arrival, so that an earlier message Meta delivers late still reaches the agent first. 0 forwards at once (order then holds only within one delivery); `null` goes back to the deployment's default (INBOUND_REORDER_MS, 500 ms).",
      example: 500,
    }),
  })
  .openapi('TenantPatch');

export const WebhookSetup = z
  .object({
    whatsapp: z.object({
      callbackUrl: z
        .string()
        .openapi({ description: 'Paste into the Meta app dashboard (WhatsApp > Configuration > Callback URL).' }),
      tenantCallbackUrl: z.string().nullable(),
      verifyToken: z.string().openapi({ description: 'Paste as the Verify token next to the callback URL.' }),
    }),
    genesys: z.object({ outboundWebhookUrl: z.string(), integrationId: z.string() }),
  })
  .openapi('WebhookSetup');

const Masked = z.string().openapi({ example: '••••1a2b' });

export const TenantView = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    markRead: z.boolean(),
    genesysReceipts: GenesysReceiptsSetting,
    inboundReorderMs: z
      .number()
      .openapi({ description: "The reorder hold in effect: the tenant's own, else the deployment's default." }),
    whatsapp: z.object({
      phoneNumberId: z.string(),
      wabaId: z.string(),
      accessToken: Masked,
      appSecret: Masked,
      verifyToken: Masked,
      credentialStatus: z.enum(['ok', 'broken']),
      messagesPerSecond: z.number(),
    }),
    genesys: z.object({
      region: z.string(),
      clientId: z.string(),
      clientSecret: Masked,
      integrationId: z.string(),
      outboundWebhookSecret: Masked,
    }),
  })
  .openapi('Tenant');

export const GenesysClientCreate = z
  .object({
    clientId: z.string().min(8).max(200),
    clientSecret: secret('OAuth client secret'),
    label: z.string().min(1).max(100).optional().openapi({ example: 'second client' }),
  })
  .openapi('GenesysClientCreate');

export const GenesysClientView = z
  .object({
    id: z.string().openapi({ description: "`default` for the client of the tenant's Genesys credentials" }),
    clientId: z.string(),
    clientSecret: Masked,
    label: z.string().nullable(),
    isDefault: z.boolean(),
    usage: z
      .object({
        windowMs: z.number().openapi({ description: 'The sliding window the budget counts over (GENESYS_WINDOW_MS)' }),
        budget: z.number().openapi({ description: 'Requests per window (GENESYS_REQUESTS_PER_MINUTE)' }),
        used: z.number().openapi({
          description: 'Permits counted in the current window; a leased permit counts until spent or given back',
        }),
      })
      .openapi({ description: "This client's own budget: Genesys counts requests per token" }),
    token: z.object({
      state: z.enum(['none', 'valid', 'expired']),
      expiresAt: z.number().nullable(),
    }),
  })
  .openapi('GenesysClient');

export const ConnectionCheck = z
  .object({
    whatsapp: z.object({ ok: z.boolean(), detail: z.string() }),
    genesys: z.object({ ok: z.boolean(), detail: z.string() }),
  })
  .openapi('ConnectionCheck');

export const ApiKeyCreate = z
  .object({ name: z.string().min(1).max(100), role: z.enum(['tenant-admin', 'viewer']).default('viewer') })
  .openapi('ApiKeyCreate');
export const ApiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.string(),
    prefix: z.string(),
    createdAt: z.number(),
    revokedAt: z.number().nullable(),
  })
  .openapi('ApiKey');

export const UserCreate = z
  .object({
    email: z.email(),
    password: z.string().min(12, 'at least 12 characters').max(200),
    role: z.enum(['platform-admin', 'tenant-admin', 'viewer']),
    tenantId: z.string().nullable().default(null),
  })
  .openapi('UserCreate');
export const UserView = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.string(),
    tenantId: z.string().nullable(),
    createdAt: z.number(),
  })
  .openapi('User');

export const Login = z.object({ email: z.email(), password: z.string().min(1).max(200) }).openapi('Login');

export const HostnameCreate = z
  .object({
    hostname: z
      .string()
      .regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'a DNS hostname'),
  })
  .openapi('HostnameCreate');

export const HostnameView = z
  .object({
    hostname: z.string(),
    /** Cloudflare's status of the hostname; it routes to the tenant only while `active`. */
    status: z.string().openapi({ example: 'pending' }),
    routing: z.boolean(),
    /** Cloudflare's status of its certificate (`initializing`, `pending_validation`, …, `active`). */
    sslStatus: z.string().nullable().openapi({ example: 'pending_validation' }),
    /** What the tenant's customer publishes: the CNAME that sends traffic, TXT records for ownership and certificate. */
    records: z.array(
      z.object({
        type: z.enum(['CNAME', 'TXT', 'HTTP']),
        name: z.string(),
        value: z.string(),
        purpose: z.enum(['traffic', 'ownership', 'certificate']),
      }),
    ),
    /** What Cloudflare still objects to, e.g. "custom hostname does not CNAME to this zone." */
    verificationErrors: z.array(z.string()),
    /** When Cloudflare was last asked (epoch ms), and the error code of that request if it failed. */
    checkedAt: z.number().nullable(),
    checkError: z.string().nullable(),
    createdAt: z.number(),
  })
  .openapi('HostnameView');

export const ConversationView = z
  .object({
    waId: z.string(),
    contactName: z.string().nullable(),
    genesysConversationId: z.string().nullable(),
    lastMessageAt: z.number(),
    lastDirection: z.string(),
    messagesIn: z
      .number()
      .openapi({ description: 'Customer messages delivered to Genesys (timeline entries of kind message)' }),
    messagesOut: z.number().openapi({
      description:
        "Agent messages delivered to WhatsApp (kind message; the agent's typing and receipts are not counted)",
    }),
    windowClosesAt: z.number().nullable(),
  })
  .openapi('Conversation');

export const TimelineView = z
  .object({
    conversation: ConversationView,
    entries: z.array(
      z.object({
        id: z.string(),
        direction: z.enum(['inbound', 'outbound']),
        at: z.number(),
        kind: z.enum(['message', 'typing', 'receipt', 'event']).openapi({
          description:
            'Only `message` entries are messages (what messagesIn/messagesOut count once delivered); typing and receipts are signals',
        }),
        type: z.string().openapi({
          description:
            'text, image, video, audio, document, buttons, template, button_reply, list_reply, location, contacts, reaction…',
        }),
        label: z.string().openapi({
          description:
            'The entry as a person would describe it: "Tapped: Yes", a template with its parameters filled in, "📷 Photo: caption"',
        }),
        text: z.string().optional(),
        state: z.string(),
        receipt: z.string().optional(),
        error: z.string().optional(),
        hasMedia: z.boolean(),
      }),
    ),
  })
  .openapi('Timeline');

export const MetricsView = z
  .object({
    hours: z.array(
      z.object({
        hour: z.number(),
        inbound: z.number(),
        outbound: z.number(),
        failed: z.number(),
        avgLatencyMs: z.number().nullable(),
        /** Upper bounds of the latency buckets holding the 50th and 95th percentile (both directions). */
        p50LatencyMs: z.number().nullable(),
        p95LatencyMs: z.number().nullable(),
      }),
    ),
    /** Messages the tenant's conversations hold back right now, per direction, and the oldest one's age. */
    backlog: z.object({
      inbound: z.object({ count: z.number(), oldestAgeMs: z.number().nullable() }),
      outbound: z.object({ count: z.number(), oldestAgeMs: z.number().nullable() }),
    }),
  })
  .openapi('Metrics');

export const AuditEntryView = z
  .object({
    id: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    detail: z.string(),
    createdAt: z.number(),
  })
  .openapi('AuditEntry');

// ===== Paging and search

/**
 * `limit` and `cursor` of every list (README "Paging and search"). A list answers `nextCursor`;
 * passing it back as `cursor` reads the next page, and `null` means there is none.
 */
export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' }, description: 'Rows per page, 1–200 (default 50)', example: 50 }),
  cursor: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .openapi({
      param: { name: 'cursor', in: 'query' },
      description:
        "The previous page's `nextCursor`, unchanged. A cursor is bound to its list and tenant; any other is `400 invalid_cursor`.",
    }),
});

/** A page of `item`: the rows, and the cursor of the next page (`null` on the last one). */
export const Page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null: no more' }),
  });

const Direction = z.enum(['inbound', 'outbound']);

/** A free-text search term, trimmed; empty means none. */
const searchTerm = (description: string) =>
  z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((v) => (v ? v : undefined))
    .openapi({ param: { name: 'q', in: 'query' }, description });

/** GET /tenants: a page, narrowed by part of the name or slug. */
export const TenantQuery = PageQuery.extend({
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: 'q', in: 'query' }, description: 'Part of the name or slug (case-insensitive)' }),
});

export const ConversationQuery = PageQuery.extend({
  q: searchTerm(
    'Digits (a leading `+` is ignored): conversations whose customer number starts with them; anything else: contact names containing it (case-insensitive for ASCII)',
  ),
  window: z
    .enum(['open', 'closed'])
    .optional()
    .openapi({
      param: { name: 'window', in: 'query' },
      description: "`open`: the customer wrote in the last 24 hours (WhatsApp's service window); `closed`: not",
    }),
  backlog: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .openapi({
      param: { name: 'backlog', in: 'query' },
      description: '`true`: only conversations holding messages back now; `false`: only those holding none',
    }),
});

export const RecordQuery = PageQuery.extend({
  q: searchTerm(
    'A customer number (digits, leading `+` ignored; matches as a prefix) or a message id (the wamid or Genesys message id, whole)',
  ),
  direction: Direction.optional().openapi({
    param: { name: 'direction', in: 'query' },
    description: 'inbound: customer to Genesys; outbound: agent to WhatsApp',
  }),
  code: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: 'code', in: 'query' }, description: 'The error code, whole', example: 'genesys_404' }),
});

export const AuditQuery = PageQuery.extend({
  action: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({
      param: { name: 'action', in: 'query' },
      description:
        'An action or a dotted prefix of one: `deadletter` finds `deadletter.replay` and `deadletter.replay.bulk`',
      example: 'tenant.update',
    }),
  actor: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({
      param: { name: 'actor', in: 'query' },
      description: 'The actor, whole: `operator`, `user:<id>`, `apikey:<id>` or `agent:<id>`',
    }),
});

/** A message that failed for good; `payload` is the stored JSON (customer content: tenant-scoped). */
export const FailureView = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    externalId: z.string().nullable(),
    /** The customer, when known (null on rows older than its column). */
    waId: z.string().nullable(),
    code: z.string(),
    detail: z.string(),
    payload: z.string(),
    createdAt: z.number(),
  })
  .openapi('Failure');

/** A failure as lists show it: everything but the payload (GET …/failures/{failureId} has it). */
export const FailureSummary = FailureView.omit({ payload: true }).openapi('FailureSummary');

/** A message parked after its last retry, replayable until `replayedAt`. */
export const DeadLetterView = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    queue: z.string(),
    externalId: z.string().nullable(),
    waId: z.string().nullable(),
    errorCode: z.string(),
    errorDetail: z.string(),
    attempts: z.number(),
    payload: z.string(),
    replayedAt: z.number().nullable(),
    createdAt: z.number(),
  })
  .openapi('DeadLetter');

/** A dead letter as lists show it: everything but the payload (GET …/dead-letters/{id} has it). */
export const DeadLetterSummary = DeadLetterView.omit({ payload: true }).openapi('DeadLetterSummary');

const DeadLetterFilter = z
  .object({
    q: z.string().trim().min(1).max(200).optional(),
    direction: Direction.optional(),
    code: z.string().min(1).max(100).optional(),
  })
  .strict()
  .openapi({ description: 'As the list query parameters of the same names' });

/** Which dead letters to replay: named ones, or up to `limit` not yet replayed matching `filter` (newest first). */
export const BulkReplay = z
  .union([
    z.object({ ids: z.array(z.string().min(1).max(100)).min(1).max(100) }).strict(),
    z.object({ filter: DeadLetterFilter, limit: z.number().int().min(1).max(100).default(100) }).strict(),
  ])
  .openapi('BulkReplay');

export const BulkReplayResult = z
  .object({
    replayed: z.number().openapi({ description: 'How many were put back on their queue' }),
    skipped: z.array(
      z.object({
        id: z.string(),
        reason: z.enum(['not_found', 'already_replayed', 'not_replayable']).openapi({
          description:
            '`not_found`: no such dead letter of this tenant; `already_replayed`: replayed before (see `replayedAt`); `not_replayable`: it holds no item the bridge can send again',
        }),
      }),
    ),
  })
  .openapi('BulkReplayResult');

const BacklogDirection = z.object({
  count: z.number(),
  oldestAt: z.number().nullable().openapi({ description: 'When the oldest waiting message arrived (epoch ms)' }),
  oldestAgeMs: z.number().nullable(),
});

const BacklogPair = z.object({ inbound: BacklogDirection, outbound: BacklogDirection });

/** One tenant's backlog in the platform-wide view. */
export const TenantBacklogView = BacklogPair.extend({ tenantId: z.string(), name: z.string() }).openapi(
  'TenantBacklog',
);

/** GET /metrics/backlog: a page of tenants, and the totals over every tenant (not just this page). */
export const PlatformBacklogView = Page(TenantBacklogView).extend({ totals: BacklogPair }).openapi('PlatformBacklog');

/** The erasure of a deleted tenant's data (DELETE /tenants/{id}), with what it has erased so far. */
export const OffboardingView = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    status: z.enum(['pending', 'running', 'done', 'failed']).openapi({
      description: '`failed`: the last run stopped on `error`; the next cron run takes the job up again',
    }),
    requestedBy: z.string(),
    conversationsErased: z.number(),
    rowsDeleted: z.number(),
    kvKeysDeleted: z.number(),
    tenantGateErased: z.boolean(),
    failures: z.number(),
    error: z.string().nullable(),
    createdAt: z.number(),
    updatedAt: z.number(),
    finishedAt: z.number().nullable(),
  })
  .openapi('Offboarding');

/** What erasing one customer removed. */
export const CustomerErasureView = z
  .object({
    customer: z.string().openapi({ description: 'The number masked to its last four digits' }),
    conversationErased: z.literal(true),
    conversations: z.number(),
    failures: z.number(),
    deadLetters: z.number(),
  })
  .openapi('CustomerErasure');

export const AlertChannelCreate = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .openapi({
        description:
          'Where notices are POSTed (a Slack or Teams incoming webhook, or your own receiver); https outside development',
        example: 'https://hooks.slack.com/services/T000/B000/XXXX',
      }),
    label: z.string().min(1).max(100).optional().openapi({ example: 'ops channel' }),
  })
  .openapi('AlertChannelCreate');

export const AlertChannelView = z
  .object({
    id: z.string(),
    url: Masked.openapi({ description: 'Origin only: a webhook URL is itself a secret' }),
    secret: Masked.openapi({
      description: 'The signing secret; shown whole only in the answer that creates the channel',
    }),
    label: z.string().nullable(),
    createdAt: z.number(),
  })
  .openapi('AlertChannel');

export const AlertChannelCreated = AlertChannelView.extend({
  secret: z
    .string()
    .openapi({ description: 'The signing secret, shown this once (README "Alerts" says how to verify)' }),
}).openapi('AlertChannelCreated');

export const AlertView = z
  .object({
    id: z.string(),
    type: z.string().openapi({
      description:
        'whatsapp_credential, genesys_auth, dead_letters, signature_failures, backlog or webhook_silent (README "Alerts")',
    }),
    state: z.enum(['open', 'resolved']),
    detail: z.string(),
    openedAt: z.number(),
    resolvedAt: z.number().nullable(),
    deliveries: z.array(
      z.object({
        channelId: z.string(),
        notice: z.enum(['firing', 'resolved']),
        status: z.enum(['pending', 'sent', 'failed']).openapi({
          description: '`pending`: retried on the next tick; `failed`: given up after ALERT_DELIVERY_MAX_ATTEMPTS',
        }),
        attempts: z.number(),
        lastError: z.string().nullable(),
        sentAt: z.number().nullable(),
      }),
    ),
  })
  .openapi('Alert');

export const AlertTestResult = z.object({ ok: z.boolean(), error: z.string().nullable() }).openapi('AlertTestResult');
