/**
 * What a stranger learns from the bridge's unauthenticated doors, in workerd: nothing about which
 * phone numbers, tenant ids, slugs or subdomains exist. An unknown one is refused exactly like a
 * known one with a forged signature (or a wrong verify token, or a refused agent token), byte for
 * byte; nothing is queued; D1 is read only to find the secret that would have signed; and the
 * refusal is logged with the id it named, so an operator can still see a misconfigured sender.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { env } from 'cloudflare:workers';
import { app } from '../workers/app';
import type { Env } from '../workers/env';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import { agentMessage, countingD1, genesysSignature, metaSignature, seedTenant, webhookFor } from './helpers';

const net = useFakeNetwork();

afterEach(() => vi.restoreAllMocks());

/** The real bindings, with the queues recording what is sent and D1 counting its statements. */
function strangerEnv() {
  const queued: unknown[] = [];
  const queue = {
    async send(body: unknown) {
      queued.push(body);
    },
    async sendBatch(messages: Iterable<{ body: unknown }>) {
      for (const m of messages) queued.push(m.body);
    },
  };
  const { DB, statements } = countingD1();
  return {
    env: { ...env, DB, INBOUND_QUEUE: queue, OUTBOUND_QUEUE: queue } as unknown as Env,
    queued,
    d1Statements: statements,
  };
}

/** Everything a client sees of an answer. */
async function seen(res: Response) {
  return { status: res.status, headers: [...res.headers], body: await res.text() };
}

/** The JSON log lines written at warn level while `run` ran. */
async function warnings(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));
  await run();
  vi.restoreAllMocks();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function postMeta(target: ReturnType<typeof strangerEnv>, raw: string, signature: string, host = 'bridge.test') {
  return app.request(
    `https://${host}/webhooks/whatsapp`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body: raw,
    },
    target.env,
  );
}

describe('the WhatsApp webhook, to a stranger', () => {
  it('an unknown phone number id and a known one with a forged signature get byte-identical answers; nothing is queued', async () => {
    const tenant = await seedTenant(net);
    const known = JSON.stringify(webhookFor(textFixture, tenant));
    const unknownBody = structuredClone(textFixture);
    unknownBody.entry[0]!.changes[0]!.value.metadata.phone_number_id = '999000999000';
    const unknown = JSON.stringify(unknownBody);
    const target = strangerEnv();

    let forgedAnswer: Awaited<ReturnType<typeof seen>> | undefined;
    let unknownAnswer: Awaited<ReturnType<typeof seen>> | undefined;
    const logged = await warnings(async () => {
      forgedAnswer = await seen(await postMeta(target, known, await metaSignature(known, 'a-guess')));
      unknownAnswer = await seen(await postMeta(target, unknown, await metaSignature(unknown, 'a-guess')));
    });

    expect(unknownAnswer).toEqual(forgedAnswer);
    expect(forgedAnswer!.status).toBe(401);
    expect(JSON.parse(forgedAnswer!.body)).toEqual({
      error: { code: 'invalid_signature', message: 'X-Hub-Signature-256 does not match the body' },
    });
    expect(target.queued).toEqual([]);
    expect(logged).toEqual([
      expect.objectContaining({ event: 'webhook.whatsapp.refused', reason: 'bad_signature', tenantId: tenant.id }),
      expect.objectContaining({
        event: 'webhook.whatsapp.refused',
        reason: 'unknown_phone_number_id',
        phoneNumberId: '999000999000',
      }),
    ]);
    expect(JSON.stringify(logged)).not.toContain(tenant.whatsapp.appSecret);
  });

  it('an unknown subdomain and a tenant subdomain with a forged signature get byte-identical answers', async () => {
    const tenant = await seedTenant(net);
    const raw = JSON.stringify(webhookFor(textFixture, tenant));
    const signature = await metaSignature(raw, 'a-guess');
    const target = strangerEnv();

    const known = await seen(await postMeta(target, raw, signature, `${tenant.slug}.bridge.test`));
    const unknown = await seen(await postMeta(target, raw, signature, `nobody${Date.now()}.bridge.test`));

    expect(unknown).toEqual(known);
    expect(known.status).toBe(401);
    expect(target.queued).toEqual([]);
  });

  it("on a tenant's subdomain the signature is checked before the body is parsed or any number looked up", async () => {
    const tenant = await seedTenant(net);
    const host = `${tenant.slug}.bridge.test`;
    const target = strangerEnv();
    await postMeta(target, JSON.stringify(webhookFor(textFixture, tenant)), await metaSignature('{}', 'warm-up'), host);
    const before = target.d1Statements();

    const notJson = '{"object": "whatsapp_business_account", ';
    const res = await postMeta(target, notJson, await metaSignature(notJson, 'a-guess'), host);

    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    // The tenant named by the host is remembered from the first request: no D1 read at all.
    expect(target.d1Statements()).toBe(before);
    expect(target.queued).toEqual([]);
  });

  it('a stranger naming a made-up number costs one D1 read (to find whose secret would sign), not one per try', async () => {
    const target = strangerEnv();
    const body = structuredClone(textFixture);
    body.entry[0]!.changes[0]!.value.metadata.phone_number_id = `9${Date.now()}`;
    const raw = JSON.stringify(body);
    const signature = await metaSignature(raw, 'a-guess');
    await postMeta(target, '{}', signature); // the platform's own host is looked up once and remembered
    const before = target.d1Statements();

    for (let i = 0; i < 5; i++) expect((await postMeta(target, raw, signature)).status).toBe(401);

    expect(target.d1Statements() - before).toBe(1);
    expect(target.queued).toEqual([]);
  });

  it("a tenant that signed a body naming another tenant's number, or no tenant's, is told the number is not its own", async () => {
    const tenant = await seedTenant(net);
    const other = await seedTenant(net);
    const target = strangerEnv();
    const host = `${tenant.slug}.bridge.test`;
    const othersNumber = JSON.stringify(webhookFor(textFixture, other));
    const noOnesBody = structuredClone(textFixture);
    noOnesBody.entry[0]!.changes[0]!.value.metadata.phone_number_id = '999000999001';
    const noOnesNumber = JSON.stringify(noOnesBody);

    const toOther = await postMeta(
      target,
      othersNumber,
      await metaSignature(othersNumber, tenant.whatsapp.appSecret),
      host,
    );
    const toNoOne = await postMeta(
      target,
      noOnesNumber,
      await metaSignature(noOnesNumber, tenant.whatsapp.appSecret),
      host,
    );

    expect(toOther.status).toBe(403);
    expect(await toOther.json()).toMatchObject({ error: { code: 'tenant_mismatch' } });
    expect(toNoOne.status).toBe(403);
    expect(await toNoOne.json()).toMatchObject({ error: { code: 'tenant_mismatch' } });
    expect(target.queued).toEqual([]);
  });
});

describe("Meta's subscription handshake, to a stranger", () => {
  it('an unknown subdomain and a wrong verify token on a known one get byte-identical answers', async () => {
    const tenant = await seedTenant(net);
    const target = strangerEnv();
    const verify = (host: string) =>
      app.request(
        `https://${host}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=42&hub.verify_token=a-guess`,
        {},
        target.env,
      );

    const logged = await warnings(async () => {
      const known = await seen(await verify(`${tenant.slug}.bridge.test`));
      const unknown = await seen(await verify(`nobody${Date.now()}.bridge.test`));
      expect(unknown).toEqual(known);
      expect(known.status).toBe(403);
      expect(JSON.parse(known.body)).toMatchObject({ error: { code: 'verification_failed' } });
    });
    expect(logged.map((l) => [l.event, l.reason])).toEqual([
      ['webhook.whatsapp.verification_refused', 'wrong_verify_token'],
      ['webhook.whatsapp.verification_refused', 'unknown_host'],
    ]);
    expect(JSON.stringify(logged)).not.toContain(tenant.whatsapp.verifyToken);
  });
});

describe('the Genesys webhook, to a stranger', () => {
  it('an unknown tenant id and a known one with a forged signature get byte-identical answers; nothing is queued', async () => {
    const tenant = await seedTenant(net);
    const raw = JSON.stringify(agentMessage(tenant, '447700900001', { text: 'hi' }));
    const signature = await genesysSignature(raw, 'a-guess');
    const target = strangerEnv();
    const post = (tenantId: string) =>
      app.request(
        `https://bridge.test/webhooks/genesys/${tenantId}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body: raw,
        },
        target.env,
      );

    const unknownId = crypto.randomUUID();
    const logged = await warnings(async () => {
      const known = await seen(await post(tenant.id));
      const unknown = await seen(await post(unknownId));
      const notAnId = await seen(await post('not-a-tenant-id'));
      expect(unknown).toEqual(known);
      expect(notAnId).toEqual(known);
      expect(known.status).toBe(401);
      expect(JSON.parse(known.body)).toEqual({
        error: { code: 'invalid_signature', message: 'X-Hub-Signature-256 does not match the body' },
      });
    });
    expect(target.queued).toEqual([]);
    expect(logged).toEqual([
      expect.objectContaining({ event: 'webhook.genesys.refused', reason: 'bad_signature', tenantId: tenant.id }),
      expect.objectContaining({ event: 'webhook.genesys.refused', reason: 'unknown_tenant', tenantId: unknownId }),
      expect.objectContaining({ event: 'webhook.genesys.refused', reason: 'unknown_tenant' }),
    ]);
  });
});

describe('the agent widget, to a stranger', () => {
  it('an unknown tenant, a refused agent token and an agent of another organization get byte-identical answers', async () => {
    const tenant = await seedTenant(net);
    const target = strangerEnv();
    const open = (slug: string, accessToken: string) =>
      app.request(
        'https://bridge.test/api/widget/session',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: slug, conversationId: crypto.randomUUID(), accessToken }),
        },
        target.env,
      );
    const strangersOwnOrg = net.genesys.issueAgentToken('org-of-a-stranger');

    const unknownTenant = await seen(await open(`nobody${Date.now()}`, strangersOwnOrg));
    const refusedToken = await seen(await open(tenant.slug, 'forged'));
    const foreignAgent = await seen(await open(tenant.slug, strangersOwnOrg));

    expect(refusedToken).toEqual(unknownTenant);
    expect(foreignAgent).toEqual(unknownTenant);
    expect(unknownTenant.status).toBe(401);
    expect(JSON.parse(unknownTenant.body)).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
