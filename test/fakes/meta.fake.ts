/**
 * A fake Meta Graph API at the HTTP boundary: sends (POST /{phone-number-id}/messages, checked
 * against the shared contract in sandbox/meta-send.contract.ts and meta-checks.contract.ts), approved templates, media lookups
 * and downloads, all requiring the access token of the number, and the numbers of each WhatsApp
 * Business Account (sandbox/meta-accounts.contract.ts).
 */
import { Hono } from 'hono';
import { SendRequest, graphError } from '../../sandbox/meta-send.contract';
import {
  checkLinkedMedia,
  checkTemplate,
  type ApprovedTemplate,
  type WaMediaType,
} from '../../sandbox/meta-checks.contract';
import { wabaPhoneNumbers, type WabaAccount } from '../../sandbox/meta-accounts.contract';
import { Script, answer } from './scripted';

export interface SentMessage {
  phoneNumberId: string;
  body: Record<string, any>;
  wamid: string;
}

export class FakeMeta {
  readonly script = new Script();
  readonly media = new Map<string, { bytes: Uint8Array; mime: string; token: string }>();
  mediaRequests = 0;
  /** Phone number id → the access token allowed to act for it. */
  readonly phoneNumbers = new Map<string, string>();
  /** WhatsApp Business Account id → its numbers and the tokens that may read it. */
  readonly wabas = new Map<string, WabaAccount>();
  /** Accepted sends (messages) and read/typing marks, in order. */
  readonly sent: SentMessage[] = [];
  readonly reads: Array<{ phoneNumberId: string; messageId: string; typing: boolean }> = [];
  /** Every send request with its answer status, failures included. */
  readonly sendRequests: Array<{ phoneNumberId: string; status: number }> = [];
  /** Templates approved in every account of this fake (name + language). */
  readonly templates: ApprovedTemplate[] = [
    {
      name: 'order_update',
      language: 'en_US',
      components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way' }],
    },
    { name: 'follow_up', language: 'en_US', components: [{ type: 'BODY', text: 'Can we help with anything else?' }] },
  ];
  /**
   * Assets behind links the bridge hands WhatsApp (WhatsApp fetches them itself). A link listed here
   * is checked against Meta's supported-media table; other links are taken as fetchable and valid.
   */
  readonly hosted = new Map<string, { mime: string; bytes: number }>();

  sentTo(phoneNumberId: string): SentMessage[] {
    return this.sent.filter((m) => m.phoneNumberId === phoneNumberId);
  }

  static error = graphError;

  /** A number of the WhatsApp Business Account `wabaId`, usable (and the account readable) with `token`. */
  addNumber(wabaId: string, phoneNumberId: string, token: string): void {
    this.phoneNumbers.set(phoneNumberId, token);
    const account = this.wabas.get(wabaId) ?? { numbers: [], tokens: [] };
    if (!account.numbers.some((n) => n.id === phoneNumberId))
      account.numbers.push({
        id: phoneNumberId,
        display_phone_number: '+1 555-078-3881',
        verified_name: 'Fake Business',
      });
    if (!account.tokens.includes(token)) account.tokens.push(token);
    this.wabas.set(wabaId, account);
  }

  private knownToken = (token: string) =>
    [...this.phoneNumbers.values()].includes(token) || [...this.wabas.values()].some((w) => w.tokens.includes(token));

  addMedia(id: string, bytes: Uint8Array, mime: string, token: string): void {
    this.media.set(id, { bytes, mime, token });
  }

  readonly graph = new Hono()
    .post('/:version/:phoneNumberId/messages', async (c) => {
      const phoneNumberId = c.req.param('phoneNumberId');
      const res = await this.send(c.req.raw, phoneNumberId);
      this.sendRequests.push({ phoneNumberId, status: res.status });
      return res;
    })
    .get('/:version/:wabaId/message_templates', (c) => {
      const token = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1];
      if (!token || ![...this.phoneNumbers.values()].includes(token))
        return c.json(graphError(190, 'Error validating access token'), 401);
      return c.json({
        data: this.templates.map((t) => ({ ...t, status: 'APPROVED', category: 'UTILITY' })),
        paging: { cursors: { before: 'a', after: 'b' } },
      });
    })
    .get('/:version/:wabaId/phone_numbers', (c) => {
      const scripted = this.script.take(c.req.path);
      if (scripted) return answer(scripted, c.req.raw.signal);
      const wabaId = c.req.param('wabaId');
      const { status, body } = wabaPhoneNumbers(
        wabaId,
        c.req.header('authorization') ?? null,
        this.wabas.get(wabaId),
        this.knownToken,
      );
      return c.json(body, status);
    })
    .get('/download/:id', (c) => {
      const media = this.media.get(c.req.param('id'));
      if (!media || c.req.header('authorization') !== `Bearer ${media.token}`)
        return c.json({ error: { message: 'Unauthorized', code: 190 } }, 401);
      return new Response(media.bytes, {
        headers: { 'content-type': media.mime, 'content-length': String(media.bytes.byteLength) },
      });
    })
    .get('/:version/:mediaId', async (c) => {
      this.mediaRequests++;
      const scripted = this.script.take(c.req.path);
      if (scripted) return answer(scripted, c.req.raw.signal);
      const id = c.req.param('mediaId');
      const token = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1];
      const phoneToken = this.phoneNumbers.get(id);
      if (phoneToken !== undefined) {
        if (token !== phoneToken)
          return c.json(
            {
              error: {
                message: 'Error validating access token: Session has expired',
                type: 'OAuthException',
                code: 190,
                error_subcode: 463,
              },
            },
            401,
          );
        return c.json({
          id,
          display_phone_number: '+1 555-078-3881',
          verified_name: 'Fake Business',
          quality_rating: 'GREEN',
        });
      }
      const media = this.media.get(id);
      if (!media)
        return c.json(
          {
            error: {
              message: `Unsupported get request. Object with ID '${id}' does not exist`,
              type: 'GraphMethodException',
              code: 100,
              error_subcode: 33,
            },
          },
          400,
        );
      if (token !== media.token)
        return c.json({ error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } }, 401);
      return c.json({
        messaging_product: 'whatsapp',
        url: `https://graph.fake/download/${id}`,
        mime_type: media.mime,
        sha256: 'fake',
        file_size: media.bytes.byteLength,
        id,
      });
    });

  private async send(request: Request, phoneNumberId: string): Promise<Response> {
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const token = request.headers.get('authorization')?.match(/^Bearer (.+)$/)?.[1];
    const expected = this.phoneNumbers.get(phoneNumberId);
    if (!expected)
      return json(
        FakeMeta.error(100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`),
        400,
      );
    if (token !== expected) return json(FakeMeta.error(190, 'Error validating access token: Session has expired'), 401);
    const scripted = this.script.take(`/messages/${phoneNumberId}`);
    if (scripted) return answer(scripted, request.signal);
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json(FakeMeta.error(100, '(#100) Invalid parameter', 'body is not JSON'), 400);
    }
    const parsed = SendRequest.safeParse(body);
    if (!parsed.success)
      return json(
        FakeMeta.error(
          100,
          '(#100) Invalid parameter',
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        ),
        400,
      );
    const data = parsed.data as Record<string, any>;
    if (data.status === 'read') {
      this.reads.push({ phoneNumberId, messageId: data.message_id, typing: !!data.typing_indicator });
      return json({ success: true });
    }
    if (data.type === 'template') {
      const problem = checkTemplate(data.template, this.templates);
      if (problem) return json(FakeMeta.error(problem.code, problem.message, problem.details), 400);
    }
    const media = data[data.type] as { link?: string } | undefined;
    const asset = media?.link ? this.hosted.get(media.link) : undefined;
    const mediaProblem = asset ? checkLinkedMedia(data.type as WaMediaType, asset) : null;
    // Error code table, 131053: "Unable to upload the media used in the message."
    if (mediaProblem) return json(FakeMeta.error(131053, 'Media upload error', mediaProblem), 400);
    const wamid = `wamid.FAKE${crypto.randomUUID().replaceAll('-', '')}`;
    this.sent.push({ phoneNumberId, body: data, wamid });
    return json({
      messaging_product: 'whatsapp',
      contacts: [{ input: data.to, wa_id: data.to }],
      messages: [{ id: wamid }],
    });
  }
}
