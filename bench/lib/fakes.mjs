// The bench's Meta Graph API and Genesys Cloud, one local HTTP server. They answer like the real
// APIs: requests are checked against the contracts the test fakes and the sandbox simulator share
// (sandbox/*.contract.ts, each rule quoting the vendor's documentation), and refused the same way.
// On top of that, what the bench needs to measure:
//  - Genesys' rate limit, per token, as a sliding window (see `genesysLimit` below);
//  - WhatsApp's delivery statuses: every accepted send is followed by `sent`, `delivered` and `read`
//    status webhooks, each its own POST signed with the number's app secret, as Meta sends them;
//  - the time each message reaches the other side, and every Genesys call with its answer.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SlidingWindow } from './stats.mjs';

/**
 * Bundles the shared contracts (TypeScript) for Node with the project's esbuild, so the bench's fakes
 * enforce exactly what the tests' fakes enforce.
 */
export async function loadContracts(root, outDir) {
  const esbuild = await import('esbuild');
  const outfile = path.join(outDir, 'contracts.mjs');
  await esbuild.build({
    stdin: {
      contents: [
        "export { GenesysInboundMessage, GenesysReceipt, GenesysStructuredResponse, genesysError } from './sandbox/genesys.contract.ts';",
        "export { SendRequest, graphError } from './sandbox/meta-send.contract.ts';",
        "export { wabaPhoneNumbers } from './sandbox/meta-accounts.contract.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    logLevel: 'silent',
  });
  return import(pathToFileURL(outfile).href);
}

const hmacHex = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const unix = () => String(Math.floor(Date.now() / 1000));

/** When the statuses of a send are reported, after Meta's 200 (ms). */
const STATUS_DELAYS = { sent: 50, delivered: 150, read: 300 };

export class Fakes {
  constructor(contracts) {
    this.c = contracts;
    /** OAuth clients: clientId → { secret, limit: { budget, windowMs } | null }. */
    this.clients = new Map();
    /** Issued tokens: token → { clientId, expiresAt, window: SlidingWindow | null }. */
    this.tokens = new Map();
    /** WhatsApp numbers: phoneNumberId → { wabaId, accessToken, appSecret, bridge }. */
    this.numbers = new Map();
    /** Every Genesys API call: { at, token, clientId, integrationId, endpoint, status, id? }. */
    this.genesysCalls = [];
    /** When a customer's message reached Genesys, by wamid. */
    this.genesysArrivals = new Map();
    /** When an agent's message reached WhatsApp, by its text. */
    this.whatsappArrivals = new Map();
    /** Status webhooks posted to the bridge: { status, answer } (answer = HTTP status or error text). */
    this.statusPosts = [];
    this.pendingStatusPosts = 0;
    /** Requests no rule of this fake answers (the bench reports them; a real API would 404). */
    this.unexpected = [];
    /** Status webhooks sent again because wrangler dev's proxy dropped them (see run.mjs). */
    this.devProxyRetries = 0;
  }

  /** An OAuth client of a Genesys org. `limit` null: a client whose limit Genesys raised (support case). */
  addClient(clientId, secret, limit) {
    this.clients.set(clientId, { secret, limit });
  }

  addNumber(phoneNumberId, { wabaId, accessToken, appSecret, bridge }) {
    this.numbers.set(phoneNumberId, { wabaId, accessToken, appSecret, bridge });
  }

  listen(port) {
    this.server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let answer;
        try {
          answer = this.route(req, raw);
        } catch (err) {
          answer = { status: 500, body: { error: String(err) } };
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
        answer.after?.();
      });
    });
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', resolve));
  }

  close() {
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    return closed;
  }

  route(req, raw) {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'POST' && url.pathname === '/login/oauth/token') return this.token(req, raw);
    const genesys =
      /^\/genesys\/api\/v2\/conversations\/messages\/([^/]+)\/inbound\/open\/(message|receipt|structured\/response)$/.exec(
        url.pathname,
      );
    if (req.method === 'POST' && genesys) return this.genesysInbound(req, raw, genesys[1], genesys[2], url);
    const waba = /^\/graph\/v[\d.]+\/(\d+)\/phone_numbers$/.exec(url.pathname);
    if (req.method === 'GET' && waba) return this.phoneNumbers(req, waba[1]);
    const send = /^\/graph\/v[\d.]+\/(\d+)\/messages$/.exec(url.pathname);
    if (req.method === 'POST' && send) return this.whatsappSend(req, raw, send[1]);
    this.unexpected.push(`${req.method} ${url.pathname}`);
    return url.pathname.startsWith('/graph/')
      ? { status: 400, body: this.c.graphError(100, `Unsupported ${req.method.toLowerCase()} request.`) }
      : { status: 404, body: this.c.genesysError(404, 'not.found', 'The requested resource was not found.') };
  }

  // ===== Genesys

  /**
   * POST https://login.{region}/oauth/token, client credentials grant: HTTP Basic client id and
   * secret, form body `grant_type=client_credentials` (platform-client-sdk loginClientCredentialsGrant);
   * answers access_token, token_type, expires_in (86400 s by default, "Token validity ... default
   * 86400"). An unknown client gets OAuth's `invalid_client`.
   */
  token(req, raw) {
    if (new URLSearchParams(raw).get('grant_type') !== 'client_credentials')
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [clientId, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const client = this.clients.get(clientId);
    if (!client || client.secret !== secret)
      return { status: 401, body: { error: 'invalid_client', description: 'client not found' } };
    const token = `bench-${randomUUID()}`;
    this.tokens.set(token, {
      clientId,
      expiresAt: Date.now() + 86_400_000,
      window: client.limit ? new SlidingWindow(client.limit.budget, client.limit.windowMs) : null,
    });
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: 86_400 } };
  }

  /**
   * The Open Messaging inbound endpoints (message, receipt, structured response).
   *
   * Rate limit, Genesys' "client.credentials.token.rate.per.minute — The maximum number of requests
   * per client credentials grant token per minute — 300" (Developer Center, Organization limits,
   * Platform API). Enforced here per token as a sliding window of `limit.windowMs`, the strictest
   * reading (no burst at a fixed window's edge; a refused request counts too). Above it the Platform
   * API answers "429 — Rate limit exceeded the maximum. Retry the request in [%s] seconds" (the 429
   * row of every operation in the platform SDKs' API docs; error code too.many.requests.retry.after)
   * with a Retry-After header, in seconds.
   */
  genesysInbound(req, raw, integrationId, kind, url) {
    const at = Date.now();
    const endpoint = kind === 'structured/response' ? 'structured' : kind;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const held = this.tokens.get(token);
    const record = (status, extra = {}) =>
      this.genesysCalls.push({ at, token, clientId: held?.clientId, integrationId, endpoint, status, ...extra });
    if (!held || held.expiresAt < at) {
      record(401);
      return {
        status: 401,
        body: this.c.genesysError(
          401,
          'authentication.required',
          'No authentication bearer token specified in authorization header.',
        ),
      };
    }
    const admitted = held.window?.admit(at) ?? { ok: true };
    if (!admitted.ok) {
      record(429, { earlyByMs: admitted.retryAfterMs });
      const seconds = Math.max(1, Math.ceil(admitted.retryAfterMs / 1000));
      return {
        status: 429,
        headers: { 'retry-after': String(seconds) },
        body: this.c.genesysError(
          429,
          'too.many.requests.retry.after',
          `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`,
        ),
      };
    }
    let json;
    try {
      json = JSON.parse(raw);
    } catch {
      record(400);
      return {
        status: 400,
        body: this.c.genesysError(
          400,
          'bad.request',
          'The request could not be understood by the server due to malformed syntax.',
        ),
      };
    }
    const schema = {
      message: this.c.GenesysInboundMessage,
      receipt: this.c.GenesysReceipt,
      structured: this.c.GenesysStructuredResponse,
    }[endpoint];
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      record(400);
      return {
        status: 400,
        body: this.c.genesysError(
          400,
          'invalid.property',
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        ),
      };
    }
    const id = randomUUID().replaceAll('-', '');
    if (endpoint === 'receipt') {
      record(200, { receiptFor: json.id, receiptStatus: json.status });
      return { status: 200, body: { id, channel: json.channel, status: json.status, direction: 'Outbound' } };
    }
    record(200, { wamid: json.channel.messageId });
    if (json.channel.messageId && !this.genesysArrivals.has(json.channel.messageId))
      this.genesysArrivals.set(json.channel.messageId, at);
    return {
      status: 200,
      body: {
        ...(url.searchParams.get('prefetchConversationId') === 'true' ? { conversationId: randomUUID() } : {}),
        id,
        channel: {
          id: integrationId,
          platform: 'Open',
          type: 'Private',
          messageId: json.channel.messageId,
          to: { id: integrationId },
          from: json.channel.from,
          time: json.channel.time,
        },
        type: endpoint === 'message' ? 'Text' : 'Structured',
        text: json.text,
        direction: 'Inbound',
      },
    };
  }

  // ===== Meta

  /** GET /{waba-id}/phone_numbers (asked before a tenant's number is saved): the shared contract. */
  phoneNumbers(req, wabaId) {
    const numbers = [...this.numbers].filter(([, n]) => n.wabaId === wabaId);
    const account = numbers.length
      ? {
          numbers: numbers.map(([id]) => ({
            id,
            display_phone_number: `+1 555 ${id.slice(-7)}`,
            verified_name: 'Bench',
          })),
          tokens: numbers.map(([, n]) => n.accessToken),
        }
      : undefined;
    const known = (token) => [...this.numbers.values()].some((n) => n.accessToken === token);
    const answer = this.c.wabaPhoneNumbers(wabaId, req.headers.authorization ?? null, account, known);
    return { status: answer.status, body: answer.body };
  }

  /**
   * POST /{phone-number-id}/messages, checked against the shared send contract. A message is
   * answered `{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}` (Cloud API
   * reference, "Send message" response); a read mark `{success: true}`.
   */
  whatsappSend(req, raw, phoneNumberId) {
    const number = this.numbers.get(phoneNumberId);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!number || token !== number.accessToken)
      return { status: 401, body: this.c.graphError(190, 'Invalid OAuth access token') };
    let json;
    try {
      json = JSON.parse(raw);
    } catch {
      return { status: 400, body: this.c.graphError(100, 'Invalid parameter') };
    }
    const parsed = this.c.SendRequest.safeParse(json);
    if (!parsed.success)
      return {
        status: 400,
        body: this.c.graphError(100, 'Invalid parameter', parsed.error.issues.map((i) => i.message).join('; ')),
      };
    if (json.status === 'read') return { status: 200, body: { success: true } };
    const wamid = `wamid.BENCH${randomUUID().replaceAll('-', '')}`;
    if (json.text?.body && !this.whatsappArrivals.has(json.text.body))
      this.whatsappArrivals.set(json.text.body, Date.now());
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: json.to, wa_id: json.to }],
        messages: [{ id: wamid }],
      },
      after: () => {
        for (const status of ['sent', 'delivered', 'read'])
          setTimeout(() => this.postStatus(phoneNumberId, number, wamid, json.to, status), STATUS_DELAYS[status]);
      },
    };
  }

  /**
   * One status webhook, as Meta posts it: the `statuses` shape of the Cloud API webhook reference
   * (id, status, timestamp, recipient_id, conversation, pricing — see
   * /work/shared/protocols/meta/webhooks/status_*.json), a service conversation since the customer
   * wrote first, signed X-Hub-Signature-256 = sha256=HMAC-SHA256(app secret, raw body) in hex.
   */
  async postStatus(phoneNumberId, number, wamid, recipient, status) {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: number.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: `1555${phoneNumberId.slice(-7)}`, phone_number_id: phoneNumberId },
                statuses: [
                  {
                    id: wamid,
                    status,
                    timestamp: unix(),
                    recipient_id: recipient,
                    conversation: { id: `bench${recipient}`, origin: { type: 'service' } },
                    pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    this.pendingStatusPosts++;
    try {
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${number.bridge}/webhooks/whatsapp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': hmacHex(number.appSecret, body) },
          body,
        });
        const text = await res.text();
        // wrangler dev's proxy lost the request before the Worker answered: Meta would send it again.
        if (res.status === 503 && text.startsWith('Your worker restarted mid-request') && attempt < 3) {
          this.devProxyRetries++;
          continue;
        }
        this.statusPosts.push({ status, answer: res.status });
        break;
      }
    } catch (err) {
      this.statusPosts.push({ status, answer: String(err) });
    } finally {
      this.pendingStatusPosts--;
    }
  }
}
