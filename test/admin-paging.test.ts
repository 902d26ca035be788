/**
 * The admin API's lists as the dashboard pages through them (README "Paging and search"): every
 * list answers `{items, nextCursor}`, walks all its rows exactly once even when many share a
 * timestamp, refuses cursors it did not hand out, searches and filters within one tenant only; a
 * failure and a dead letter show their payload and link to their conversation; dead letters replay
 * in bulk, once; the platform sees every tenant's backlog.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { getDeadLetter } from '../workers/db/records.repo';
import { replayDeadLetter } from '../workers/lib/dead-letter-replay';
import { getDb } from '../workers/db/client';
import { alerts, auditLog, conversations, deadLetters, failedMessages } from '../workers/db/schema';
import textFixture from './fixtures/meta/text.json';
import { useFakeNetwork } from './fakes/network';
import {
  adminApi,
  customerMessageItem,
  newCustomer,
  OPERATOR,
  seedTenant,
  type SeededTenant,
  uniqueWamid,
  WAIT,
} from './helpers';

const net = useFakeNetwork();
const db = () => getDb(env.DB);

/** D1 binds at most 100 parameters per statement: rows go in tens. */
async function insertAll<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<T[]> {
  for (let i = 0; i < rows.length; i += 10) await insert(rows.slice(i, i + 10));
  return rows;
}

/** Every item of a list, page by page, with the number of pages it took. */
async function walk(path: string, limit: number, headers = OPERATOR): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await adminApi(
      'GET',
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      headers,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.json.items);
    cursor = res.json.nextCursor;
    pages++;
    expect(pages).toBeLessThan(500);
  } while (cursor !== null);
  return { items, pages };
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

/** `n` failures of the tenant, all at `at` unless `spread` (then one millisecond apart, older as n grows). */
async function seedFailures(
  tenantId: string,
  n: number,
  at: number,
  fields: Partial<typeof failedMessages.$inferInsert> = {},
) {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    tenantId,
    direction: 'inbound' as const,
    externalId: uniqueWamid(),
    waId: '447700900001',
    code: 'genesys_404',
    detail: 'not found',
    payload: JSON.stringify({ i, text: 'the customer wrote this' }),
    createdAt: at,
    ...fields,
  }));
  return insertAll(rows, (chunk) => db().insert(failedMessages).values(chunk));
}

async function seedDeadLetters(
  tenantId: string,
  n: number,
  at: number,
  fields: Partial<typeof deadLetters.$inferInsert> = {},
) {
  const rows = Array.from({ length: n }, () => ({
    id: crypto.randomUUID(),
    tenantId,
    queue: 'inbound',
    externalId: uniqueWamid(),
    waId: '447700900001',
    errorCode: 'genesys_503',
    errorDetail: 'service.unavailable',
    attempts: 4,
    payload: JSON.stringify({ v: 1 }),
    createdAt: at,
    ...fields,
  }));
  return insertAll(rows, (chunk) => db().insert(deadLetters).values(chunk));
}

async function seedConversation(tenantId: string, fields: Partial<typeof conversations.$inferInsert> = {}) {
  const row = {
    tenantId,
    waId: newCustomer(),
    contactName: null,
    lastMessageAt: 1_700_000_000_000,
    lastDirection: 'inbound' as const,
    lastCustomerMessageAt: null,
    ...fields,
  };
  await db().insert(conversations).values(row);
  return row;
}

async function keyFor(tenantId: string, role: 'tenant-admin' | 'viewer'): Promise<Record<string, string>> {
  const created = await adminApi('POST', `/api/tenants/${tenantId}/api-keys`, OPERATOR, { name: role, role });
  expect(created.status).toBe(201);
  return { 'x-api-key': created.json.key };
}

describe('paging', () => {
  it('walks every row exactly once, newest first, across pages that split rows with equal timestamps', async () => {
    const tenant = await seedTenant(net);
    const at = Date.now() - 60_000;
    // 7 at one millisecond between an older and a newer one: pages of 3 must cut through the 7.
    const older = await seedFailures(tenant.id, 1, at - 1);
    const same = await seedFailures(tenant.id, 7, at);
    const newer = await seedFailures(tenant.id, 1, at + 1);
    const { items, pages } = await walk(`/api/tenants/${tenant.id}/failures`, 3);
    expect(pages).toBe(3);
    expect(items).toHaveLength(9);
    expect(new Set(ids(items)).size).toBe(9);
    expect(ids(items)[0]).toBe(newer[0]!.id);
    expect(ids(items)[8]).toBe(older[0]!.id);
    expect(new Set(ids(items).slice(1, 8))).toEqual(new Set(ids(same)));
    // lists leave the payload out; the waId links to the conversation
    expect(items[0]).not.toHaveProperty('payload');
    expect(items[0]).toMatchObject({ waId: '447700900001', code: 'genesys_404', direction: 'inbound' });
  });

  it('pages dead letters, audit, conversations and alerts the same way', async () => {
    const tenant = await seedTenant(net);
    const at = Date.now() - 60_000;
    const dead = [...(await seedDeadLetters(tenant.id, 4, at)), ...(await seedDeadLetters(tenant.id, 1, at + 1))];
    const walkedDead = await walk(`/api/tenants/${tenant.id}/dead-letters`, 2);
    expect(walkedDead.pages).toBe(3);
    expect(new Set(ids(walkedDead.items))).toEqual(new Set(ids(dead)));
    expect(walkedDead.items).toHaveLength(5);
    expect(walkedDead.items[0].id).toBe(dead[4]!.id);
    expect(walkedDead.items[0]).not.toHaveProperty('payload');

    const audits = Array.from({ length: 5 }, (_, i) => ({
      id: crypto.randomUUID(),
      tenantId: tenant.id,
      actor: 'operator',
      action: `test.action${i}`,
      createdAt: at,
    }));
    await db().insert(auditLog).values(audits);
    const walkedAudit = await walk(`/api/tenants/${tenant.id}/audit`, 2);
    expect(walkedAudit.items).toHaveLength(5);
    expect(new Set(ids(walkedAudit.items))).toEqual(new Set(ids(audits)));

    const convos = [];
    for (let i = 0; i < 5; i++) convos.push(await seedConversation(tenant.id, { lastMessageAt: at }));
    convos.push(await seedConversation(tenant.id, { lastMessageAt: at + 5 }));
    const walkedConvos = await walk(`/api/tenants/${tenant.id}/conversations`, 4);
    expect(walkedConvos.pages).toBe(2);
    expect(walkedConvos.items.map((c) => c.waId)).toHaveLength(6);
    expect(new Set(walkedConvos.items.map((c) => c.waId))).toEqual(new Set(convos.map((c) => c.waId)));
    expect(walkedConvos.items[0].waId).toBe(convos[5]!.waId);

    const incidents = Array.from({ length: 3 }, (_, i) => ({
      id: crypto.randomUUID(),
      tenantId: tenant.id,
      type: `test_${i}`,
      state: 'resolved' as const,
      detail: 'seeded',
      openedAt: i === 2 ? at + 1 : at,
      resolvedAt: at + 1,
    }));
    await db().insert(alerts).values(incidents);
    const walkedAlerts = await walk(`/api/tenants/${tenant.id}/alerts`, 2);
    expect(walkedAlerts.items).toHaveLength(3);
    expect(new Set(ids(walkedAlerts.items))).toEqual(new Set(ids(incidents)));
    expect(walkedAlerts.items[0].id).toBe(incidents[2]!.id);
  });

  it('pages tenants, users and API keys, oldest first', async () => {
    const tenant = await seedTenant(net);
    const keys = [];
    for (let i = 0; i < 3; i++)
      keys.push((await adminApi('POST', `/api/tenants/${tenant.id}/api-keys`, OPERATOR, { name: `k${i}` })).json.id);
    const walkedKeys = await walk(`/api/tenants/${tenant.id}/api-keys`, 2);
    expect(ids(walkedKeys.items)).toEqual(keys);

    const users = [];
    for (let i = 0; i < 3; i++) {
      const created = await adminApi('POST', '/api/users', OPERATOR, {
        email: `pager-${i}-${crypto.randomUUID().slice(0, 6)}@example.com`,
        password: 'correct horse battery staple',
        role: 'viewer',
        tenantId: tenant.id,
      });
      users.push(created.json.id);
    }
    const admin = await keyFor(tenant.id, 'tenant-admin');
    const walkedUsers = await walk('/api/users', 2, admin);
    expect(ids(walkedUsers.items)).toEqual(users);
    const allUsers = await walk('/api/users', 2);
    expect(new Set(ids(allUsers.items)).size).toBe(allUsers.items.length);
    expect(ids(allUsers.items)).toEqual(expect.arrayContaining(users));

    const others = [await seedTenant(net), await seedTenant(net)];
    const walkedTenants = await walk('/api/tenants', 2);
    expect(new Set(ids(walkedTenants.items)).size).toBe(walkedTenants.items.length);
    expect(ids(walkedTenants.items)).toEqual(expect.arrayContaining([tenant.id, ...others.map((t) => t.id)]));
    const mine = ids(walkedTenants.items).filter((id) => [tenant.id, ...others.map((t) => t.id)].includes(id));
    expect(mine).toEqual([tenant.id, ...others.map((t) => t.id)]);
    // a tenant's own key sees one tenant, on one page
    expect(await walk('/api/tenants', 5, admin)).toEqual({
      items: [expect.objectContaining({ id: tenant.id })],
      pages: 1,
    });
  });

  it('limit: 50 by default, at most 200, at least 1', async () => {
    const tenant = await seedTenant(net);
    await seedFailures(tenant.id, 201, Date.now() - 60_000);
    const first = await adminApi('GET', `/api/tenants/${tenant.id}/failures`);
    expect(first.json.items).toHaveLength(50);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const most = await adminApi('GET', `/api/tenants/${tenant.id}/failures?limit=200`);
    expect(most.json.items).toHaveLength(200);
    const rest = await adminApi('GET', `/api/tenants/${tenant.id}/failures?limit=200&cursor=${most.json.nextCursor}`);
    expect(rest.json).toMatchObject({ items: [expect.any(Object)], nextCursor: null });
    for (const limit of ['0', '201', '-1', '1.5', 'ten']) {
      const res = await adminApi('GET', `/api/tenants/${tenant.id}/failures?limit=${limit}`);
      expect({ limit, status: res.status, code: res.json.error.code }).toEqual({
        limit,
        status: 400,
        code: 'invalid_body',
      });
    }
  });

  it('refuses a cursor it did not hand out: garbage, tampered, of another list or of another tenant', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const at = Date.now() - 60_000;
    await seedFailures(a.id, 3, at);
    await seedDeadLetters(a.id, 3, at);
    const bFailures = await seedFailures(b.id, 3, at);
    const cursor = (await adminApi('GET', `/api/tenants/${a.id}/failures?limit=1`)).json.nextCursor as string;
    const deadCursor = (await adminApi('GET', `/api/tenants/${a.id}/dead-letters?limit=1`)).json.nextCursor as string;
    const decoded = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const reencode = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const forged = reencode(decoded.replace(/"failures:[^"]+"/, `"failures:${b.id}"`).replace(/,\d+,/, ',1,'));
    expect(forged).not.toBe(cursor);
    for (const [path, bad] of [
      [`/api/tenants/${a.id}/failures`, 'not-a-cursor!'],
      [`/api/tenants/${a.id}/failures`, 'e30'], // {}
      [`/api/tenants/${a.id}/failures`, cursor.slice(0, -4)], // truncated
      [`/api/tenants/${a.id}/failures`, reencode(decoded.replace(/^\[1,/, '[2,'))], // another version
      [`/api/tenants/${a.id}/failures`, reencode(decoded.replace(/,"[^"]+"\]$/, ',7]'))], // id not a string
      [`/api/tenants/${a.id}/failures`, deadCursor],
      [`/api/tenants/${a.id}/conversations`, cursor],
      [`/api/tenants/${b.id}/failures`, cursor],
      [`/api/tenants/${a.id}/failures`, forged],
    ] as const) {
      const res = await adminApi('GET', `${path}?cursor=${encodeURIComponent(bad)}`);
      expect({ path, bad, status: res.status, code: res.json?.error?.code }).toEqual({
        path,
        bad,
        status: 400,
        code: 'invalid_cursor',
      });
      for (const row of bFailures) expect(res.text).not.toContain(row.id);
    }
    // The forged cursor is well-formed for B: on B's own list it only positions B's rows.
    const onB = await adminApi('GET', `/api/tenants/${b.id}/failures?cursor=${forged}`);
    expect(onB.status).toBe(200);
    expect(onB.json.items.every((f: { tenantId: string }) => f.tenantId === b.id)).toBe(true);
  });
});

describe('isolation', () => {
  it("every list shows only its tenant's rows, page after page, and refuses the other tenant's cursors", async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const at = Date.now() - 60_000;
    const bRows: string[] = [];
    for (const t of [a, b]) {
      const rows = [
        ...ids(await seedFailures(t.id, 3, at)),
        ...ids(await seedDeadLetters(t.id, 3, at)),
        ...(await Promise.all([1, 2, 3].map(() => seedConversation(t.id, { lastMessageAt: at })))).map((c) => c.waId),
      ];
      for (let i = 0; i < 3; i++) await adminApi('POST', `/api/tenants/${t.id}/api-keys`, OPERATOR, { name: `k${i}` });
      const incidents = [1, 2, 3].map((i) => ({
        id: crypto.randomUUID(),
        tenantId: t.id,
        type: `iso_${i}`,
        state: 'resolved' as const,
        detail: 'seeded',
        openedAt: at,
        resolvedAt: at,
      }));
      await db().insert(alerts).values(incidents);
      rows.push(...ids(incidents));
      if (t === b) bRows.push(...rows);
    }
    const bKeys = ids((await walk(`/api/tenants/${b.id}/api-keys`, 50)).items);
    bRows.push(...bKeys, b.id);
    const aKey = await keyFor(a.id, 'tenant-admin');
    for (const list of ['failures', 'dead-letters', 'conversations', 'audit', 'alerts', 'api-keys']) {
      for (const headers of [OPERATOR, aKey]) {
        const walked = await walk(`/api/tenants/${a.id}/${list}`, 2, headers);
        expect(walked.items.length).toBeGreaterThan(0);
        const text = JSON.stringify(walked.items);
        for (const id of bRows) expect(text).not.toContain(id);
      }
      // A's key on B's list: 404, cursor or not
      const aCursor = (await adminApi('GET', `/api/tenants/${a.id}/${list}?limit=1`)).json.nextCursor as string;
      expect(aCursor).toEqual(expect.any(String));
      expect((await adminApi('GET', `/api/tenants/${b.id}/${list}`, aKey)).status).toBe(404);
      expect((await adminApi('GET', `/api/tenants/${b.id}/${list}?cursor=${aCursor}`, aKey)).status).toBe(404);
      // A's cursor on B's list, by the operator who may read both: refused, not reinterpreted
      const reused = await adminApi('GET', `/api/tenants/${b.id}/${list}?cursor=${aCursor}`);
      expect({ list, status: reused.status, code: reused.json.error.code }).toEqual({
        list,
        status: 400,
        code: 'invalid_cursor',
      });
    }
    const users = await walk('/api/users', 1, aKey);
    expect(users.items.every((u) => u.tenantId === a.id)).toBe(true);
    const tenants = await walk('/api/tenants', 1, aKey);
    expect(ids(tenants.items)).toEqual([a.id]);
  });
});

describe("the new routes, with tenant A's credentials on tenant B's objects", () => {
  // test/admin-isolation.test.ts covers every older route; the admin budget (60 a minute per tenant
  // in tests) leaves these to a tenant of their own.
  it('answer 404, leak nothing and change nothing', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const [failure] = await seedFailures(b.id, 1, Date.now());
    const [dead] = await seedDeadLetters(b.id, 1, Date.now());
    const aKey = await keyFor(a.id, 'tenant-admin');
    for (const [method, path, body] of [
      ['GET', `/api/tenants/${b.id}/conversations?q=44&window=open&backlog=true&limit=5`],
      ['GET', `/api/tenants/${b.id}/failures?q=447700900001&direction=inbound&code=genesys_404`],
      ['GET', `/api/tenants/${b.id}/failures/${failure!.id}`],
      ['GET', `/api/tenants/${b.id}/dead-letters?q=447700900001`],
      ['GET', `/api/tenants/${b.id}/dead-letters/${dead!.id}`],
      ['POST', `/api/tenants/${b.id}/dead-letters/replay`, { ids: [dead!.id] }],
      ['POST', `/api/tenants/${b.id}/dead-letters/replay`, { filter: {} }],
      ['GET', `/api/tenants/${b.id}/audit?action=tenant&actor=operator`],
      ['GET', `/api/tenants/${b.id}/alerts?limit=1`],
      ['GET', `/api/tenants/${b.id}/api-keys?limit=1`],
    ] as Array<[string, string, unknown?]>) {
      const res = await adminApi(method, path, aKey, body);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      for (const leak of [b.name, b.slug, failure!.id, dead!.id, failure!.externalId!])
        expect(res.text).not.toContain(leak);
    }
    expect((await adminApi('GET', `/api/tenants/${b.id}/dead-letters/${dead!.id}`)).json.replayedAt).toBeNull();
    expect((await adminApi('GET', '/api/metrics/backlog', aKey)).status).toBe(403);
  });
});

describe('search and filters', () => {
  it('tenants by part of the name or slug, case-insensitive, wildcards taken literally, within the caller’s scope', async () => {
    const mark = crypto.randomUUID().slice(0, 8);
    const a = await seedTenant(net, { name: `Harbour ${mark} Books` });
    const b = await seedTenant(net, { name: `Quay ${mark} Shoes` });
    const other = await seedTenant(net, { name: 'Elsewhere 100% Ltd' });
    const names = async (q: string, headers = OPERATOR) =>
      (await walk(`/api/tenants?q=${encodeURIComponent(q)}`, 1, headers)).items.map((t) => t.name);
    expect(await names(mark)).toEqual([a.name, b.name]);
    expect(await names(`${mark.toUpperCase()} books`)).toEqual([a.name]);
    expect(await names(b.slug)).toEqual([b.name]);
    expect(await names('%')).toEqual([other.name]);
    // a tenant's own key finds only its own tenant, whatever it searches
    const key = await keyFor(a.id, 'viewer');
    expect(await names(mark, key)).toEqual([a.name]);
    expect(await names('Elsewhere', key)).toEqual([]);
  });

  it('conversations by number prefix or contact name, service window and backlog', async () => {
    const tenant = await seedTenant(net);
    const now = Date.now();
    const open = await seedConversation(tenant.id, {
      waId: '447700111001',
      contactName: 'Sheena Nelson',
      lastMessageAt: now - 1000,
      lastCustomerMessageAt: now - 1000,
    });
    const closed = await seedConversation(tenant.id, {
      waId: '447700111002',
      contactName: 'Bo 50%_off',
      lastMessageAt: now - 2000,
      lastCustomerMessageAt: now - 25 * 3600_000,
    });
    const waiting = await seedConversation(tenant.id, {
      waId: '447799222003',
      contactName: null,
      lastMessageAt: now - 3000,
      backlogIn: 2,
      backlogInOldestAt: now - 5000,
    });
    const other = await seedTenant(net);
    await seedConversation(other.id, { waId: '447700111009', contactName: 'Sheena Other', lastMessageAt: now });
    const list = async (query: string) =>
      (await walk(`/api/tenants/${tenant.id}/conversations?${query}`, 50)).items.map((c) => c.waId);
    expect(await list('q=4477001110')).toEqual([open.waId, closed.waId]);
    expect(await list(`q=${encodeURIComponent('+447799')}`)).toEqual([waiting.waId]);
    expect(await list('q=sheena')).toEqual([open.waId]);
    expect(await list('q=nels')).toEqual([open.waId]);
    // LIKE wildcards in a name are literal
    expect(await list(`q=${encodeURIComponent('50%_')}`)).toEqual([closed.waId]);
    expect(await list(`q=${encodeURIComponent('%')}`)).toEqual([closed.waId]);
    expect(await list('window=open')).toEqual([open.waId]);
    expect(await list('window=closed')).toEqual([closed.waId, waiting.waId]);
    expect(await list('backlog=true')).toEqual([waiting.waId]);
    expect(await list('backlog=false')).toEqual([open.waId, closed.waId]);
    expect(await list('window=closed&backlog=true&q=4477')).toEqual([waiting.waId]);
    expect(await list('q=')).toEqual([open.waId, closed.waId, waiting.waId]);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/conversations?window=maybe`)).status).toBe(400);
  });

  it('failures and dead letters by customer number, message id, direction and code', async () => {
    const tenant = await seedTenant(net);
    const at = Date.now() - 60_000;
    const [inbound] = await seedFailures(tenant.id, 1, at, { waId: '447700333001', code: 'genesys_404' });
    const [outbound] = await seedFailures(tenant.id, 1, at + 1, {
      waId: '447700333002',
      direction: 'outbound',
      code: 'whatsapp_131047',
      externalId: 'gc-message-1',
    });
    const other = await seedTenant(net);
    const [foreign] = await seedFailures(other.id, 1, at, { waId: '447700333001', externalId: inbound!.externalId });
    const failures = async (query: string) =>
      ids((await walk(`/api/tenants/${tenant.id}/failures?${query}`, 50)).items);
    expect(await failures('q=447700333001')).toEqual([inbound!.id]);
    expect(await failures(`q=${encodeURIComponent('+4477003330')}`)).toEqual([outbound!.id, inbound!.id]);
    expect(await failures(`q=${inbound!.externalId}`)).toEqual([inbound!.id]);
    expect(await failures('q=gc-message-1')).toEqual([outbound!.id]);
    expect(await failures('direction=outbound')).toEqual([outbound!.id]);
    expect(await failures('direction=inbound')).toEqual([inbound!.id]);
    expect(await failures('code=genesys_404')).toEqual([inbound!.id]);
    expect(await failures('code=genesys_4')).toEqual([]);
    expect(await failures('code=whatsapp_131047&direction=inbound')).toEqual([]);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/failures?direction=sideways`)).status).toBe(400);
    // the other tenant's row with the same number and message id never shows
    expect(await failures(`q=${inbound!.externalId}`)).not.toContain(foreign!.id);

    const [deadIn] = await seedDeadLetters(tenant.id, 1, at, { waId: '447700444001', errorCode: 'genesys_503' });
    const [deadOut] = await seedDeadLetters(tenant.id, 1, at + 1, {
      waId: '447700444002',
      queue: 'outbound',
      errorCode: 'whatsapp_500',
    });
    await seedDeadLetters(other.id, 1, at, { waId: '447700444001', externalId: deadIn!.externalId });
    const dead = async (query: string) =>
      ids((await walk(`/api/tenants/${tenant.id}/dead-letters?${query}`, 50)).items);
    expect(await dead('q=447700444001')).toEqual([deadIn!.id]);
    expect(await dead(`q=${deadOut!.externalId}`)).toEqual([deadOut!.id]);
    expect(await dead('direction=outbound')).toEqual([deadOut!.id]);
    expect(await dead('code=genesys_503')).toEqual([deadIn!.id]);
  });

  it('audit by action (whole or a dotted prefix) and actor', async () => {
    const tenant = await seedTenant(net);
    const admin = await keyFor(tenant.id, 'tenant-admin');
    await adminApi('PATCH', `/api/tenants/${tenant.id}`, OPERATOR, { name: 'Renamed once' });
    await new Promise((r) => setTimeout(r, 5)); // distinct timestamps, so newest-first is this order
    await adminApi('PATCH', `/api/tenants/${tenant.id}`, admin, { name: 'Renamed twice' });
    const keyId = (await adminApi('GET', `/api/tenants/${tenant.id}/api-keys`)).json.items[0].id as string;
    const audit = async (query: string) =>
      (await walk(`/api/tenants/${tenant.id}/audit?${query}`, 50)).items.map((a) => [a.action, a.actor]);
    expect(await audit('action=tenant.update')).toEqual([
      ['tenant.update', `apikey:${keyId}`],
      ['tenant.update', 'operator'],
    ]);
    expect(await audit('action=tenant')).toEqual([
      ['tenant.update', `apikey:${keyId}`],
      ['tenant.update', 'operator'],
    ]);
    expect(await audit('action=tenant.upd')).toEqual([]);
    expect(await audit(`actor=apikey:${keyId}`)).toEqual([['tenant.update', `apikey:${keyId}`]]);
    expect(await audit('actor=operator&action=apikey.create')).toEqual([['apikey.create', 'operator']]);
  });
});

describe('failure and dead-letter detail', () => {
  it('shows one record with its payload, and 404 for another tenant or an unknown id', async () => {
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    const [failure] = await seedFailures(a.id, 1, Date.now());
    const [dead] = await seedDeadLetters(a.id, 1, Date.now(), { payload: JSON.stringify({ v: 1, kind: 'x' }) });
    const [bFailure] = await seedFailures(b.id, 1, Date.now());
    const [bDead] = await seedDeadLetters(b.id, 1, Date.now());

    const one = await adminApi('GET', `/api/tenants/${a.id}/failures/${failure!.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: failure!.id, waId: '447700900001', code: 'genesys_404' });
    expect(JSON.parse(one.json.payload)).toEqual({ i: 0, text: 'the customer wrote this' });
    const deadOne = await adminApi('GET', `/api/tenants/${a.id}/dead-letters/${dead!.id}`);
    expect(deadOne.status).toBe(200);
    expect(deadOne.json).toMatchObject({ id: dead!.id, payload: '{"v":1,"kind":"x"}', replayedAt: null });

    const aKey = await keyFor(a.id, 'viewer');
    for (const [path, headers] of [
      [`/api/tenants/${a.id}/failures/${bFailure!.id}`, OPERATOR],
      [`/api/tenants/${a.id}/dead-letters/${bDead!.id}`, OPERATOR],
      [`/api/tenants/${a.id}/failures/nope`, OPERATOR],
      [`/api/tenants/${b.id}/failures/${bFailure!.id}`, aKey],
      [`/api/tenants/${b.id}/dead-letters/${bDead!.id}`, aKey],
    ] as const) {
      const res = await adminApi('GET', path, headers);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.text).not.toContain('the customer wrote this');
    }
    // a viewer reads them
    expect((await adminApi('GET', `/api/tenants/${a.id}/failures/${failure!.id}`, aKey)).status).toBe(200);
  });
});

describe('bulk replay', () => {
  /** A dead letter holding a customer message the bridge can send again. */
  async function replayable(tenant: SeededTenant, at: number, errorCode = 'genesys_503') {
    const waId = newCustomer();
    const wamid = uniqueWamid();
    const item = customerMessageItem(tenant, waId, {
      ...textFixture.entry[0]!.changes[0]!.value.messages[0]!,
      id: wamid,
      from: waId,
      timestamp: String(Math.floor(Date.now() / 1000)),
      text: { body: `replay me ${wamid}` },
    });
    const [row] = await seedDeadLetters(tenant.id, 1, at, {
      waId,
      externalId: wamid,
      errorCode,
      payload: JSON.stringify(item),
    });
    return { ...row!, wamid };
  }

  const delivered = (tenant: SeededTenant) =>
    net.genesys.callsFor(tenant.genesys.integrationId).map((c) => (c.body.channel as { messageId: string }).messageId);

  it('by ids: replays each once, skips the unknown, the unreplayable and (the second time) the replayed; audited once', async () => {
    const tenant = await seedTenant(net);
    const other = await seedTenant(net);
    const at = Date.now() - 60_000;
    const one = await replayable(tenant, at);
    const two = await replayable(tenant, at + 1);
    const [broken] = await seedDeadLetters(tenant.id, 1, at + 2);
    const [foreign] = await seedDeadLetters(other.id, 1, at);
    const path = `/api/tenants/${tenant.id}/dead-letters/replay`;
    const first = await adminApi('POST', path, OPERATOR, { ids: [one.id, two.id, broken!.id, foreign!.id, 'nope'] });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({
      replayed: 2,
      skipped: [
        { id: foreign!.id, reason: 'not_found' },
        { id: 'nope', reason: 'not_found' },
        { id: broken!.id, reason: 'not_replayable' },
      ],
    });
    // each went through the bridge again, exactly as a single replay does
    await vi.waitFor(() => expect(delivered(tenant)).toEqual(expect.arrayContaining([one.wamid, two.wamid])), WAIT);
    const list = (await adminApi('GET', `/api/tenants/${tenant.id}/dead-letters`)).json.items as any[];
    expect(list.find((d) => d.id === one.id).replayedAt).toEqual(expect.any(Number));
    expect(list.find((d) => d.id === broken!.id).replayedAt).toBeNull();
    // the other tenant's row is untouched
    expect((await adminApi('GET', `/api/tenants/${other.id}/dead-letters/${foreign!.id}`)).json.replayedAt).toBeNull();

    const again = await adminApi('POST', path, OPERATOR, { ids: [one.id, two.id] });
    expect(again.json).toEqual({
      replayed: 0,
      skipped: [
        { id: one.id, reason: 'already_replayed' },
        { id: two.id, reason: 'already_replayed' },
      ],
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered(tenant).filter((id) => id === one.wamid)).toHaveLength(1);

    const audit = (await adminApi('GET', `/api/tenants/${tenant.id}/audit?action=deadletter.replay.bulk`)).json.items;
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[1].detail)).toMatchObject({ replayed: 2, skipped: 3, ids: 5 });
    expect(JSON.parse(audit[0].detail)).toMatchObject({ replayed: 0, skipped: 2 });
  });

  it('two replays that both read the dead letter as not yet replayed send it once: the second is told already_replayed', async () => {
    const tenant = await seedTenant(net);
    const one = await replayable(tenant, Date.now() - 60_000);
    // What two admins clicking at once both read: the row, not yet replayed.
    const row = await getDeadLetter(env, tenant.id, one.id);
    expect(row!.replayedAt).toBeNull();
    const outcomes = await Promise.all([
      replayDeadLetter(env, tenant.id, row!),
      replayDeadLetter(env, tenant.id, row!),
    ]);
    expect(outcomes.sort()).toEqual(['already_replayed', 'replayed']);
    await vi.waitFor(() => expect(delivered(tenant)).toContain(one.wamid), WAIT);
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered(tenant).filter((id) => id === one.wamid)).toHaveLength(1);
  });

  it('by filter: up to `limit` not yet replayed, newest first, matching code, direction and q', async () => {
    const tenant = await seedTenant(net);
    const at = Date.now() - 60_000;
    const old = await replayable(tenant, at, 'genesys_503');
    const recent = await replayable(tenant, at + 1, 'genesys_503');
    const newest = await replayable(tenant, at + 2, 'genesys_503');
    const otherCode = await replayable(tenant, at + 3, 'genesys_404');
    const path = `/api/tenants/${tenant.id}/dead-letters/replay`;
    const first = await adminApi('POST', path, OPERATOR, { filter: { code: 'genesys_503' }, limit: 2 });
    expect(first.json).toEqual({ replayed: 2, skipped: [] });
    const replayedIds = async () =>
      ((await adminApi('GET', `/api/tenants/${tenant.id}/dead-letters`)).json.items as any[])
        .filter((d) => d.replayedAt !== null)
        .map((d) => d.id)
        .sort();
    expect(await replayedIds()).toEqual([recent.id, newest.id].sort());
    const byQ = await adminApi('POST', path, OPERATOR, { filter: { q: old.waId!, direction: 'inbound' } });
    expect(byQ.json).toEqual({ replayed: 1, skipped: [] });
    expect(await adminApi('POST', path, OPERATOR, { filter: { code: 'genesys_503' } })).toMatchObject({
      json: { replayed: 0, skipped: [] },
    });
    expect(await replayedIds()).toEqual([old.id, recent.id, newest.id].sort());
    expect(await replayedIds()).not.toContain(otherCode.id);
    await vi.waitFor(
      () => expect(delivered(tenant)).toEqual(expect.arrayContaining([old.wamid, recent.wamid, newest.wamid])),
      WAIT,
    );
  });

  it('needs a tenant admin, a body of ids (1..100) or a filter, and the caller’s own tenant', async () => {
    const tenant = await seedTenant(net);
    const dead = await replayable(tenant, Date.now());
    const path = `/api/tenants/${tenant.id}/dead-letters/replay`;
    const viewer = await keyFor(tenant.id, 'viewer');
    expect((await adminApi('POST', path, viewer, { ids: [dead.id] })).status).toBe(403);
    for (const body of [
      {},
      { ids: [] },
      { ids: Array.from({ length: 101 }, (_, i) => `d${i}`) },
      { filter: { code: 1 } },
      { filter: {}, limit: 101 },
      { ids: ['a'], filter: {} },
    ])
      expect((await adminApi('POST', path, OPERATOR, body)).status).toBe(400);
    const other = await seedTenant(net);
    const otherAdmin = await keyFor(other.id, 'tenant-admin');
    expect((await adminApi('POST', path, otherAdmin, { ids: [dead.id] })).status).toBe(404);
    expect((await adminApi('GET', `/api/tenants/${tenant.id}/dead-letters/${dead.id}`)).json.replayedAt).toBeNull();
    const admin = await keyFor(tenant.id, 'tenant-admin');
    expect((await adminApi('POST', path, admin, { ids: [dead.id] })).json).toEqual({ replayed: 1, skipped: [] });
  });
});

describe('platform backlog', () => {
  it("lists each tenant's backlog per direction with totals, paged, for platform admins only", async () => {
    const now = Date.now();
    const a = await seedTenant(net);
    const b = await seedTenant(net);
    await seedConversation(a.id, {
      backlogIn: 2,
      backlogInOldestAt: now - 9000,
      backlogOut: 1,
      backlogOutOldestAt: now - 1000,
    });
    await seedConversation(a.id, { backlogIn: 3, backlogInOldestAt: now - 4000 });
    await seedConversation(b.id, { backlogOut: 4, backlogOutOldestAt: now - 20_000 });
    const { items } = await walk('/api/metrics/backlog', 3);
    expect(new Set(items.map((t) => t.tenantId)).size).toBe(items.length);
    const order = items.map((t) => t.tenantId);
    expect(order.indexOf(a.id)).toBeLessThan(order.indexOf(b.id));
    const ofA = items.find((t) => t.tenantId === a.id);
    expect(ofA).toMatchObject({
      name: a.name,
      inbound: { count: 5, oldestAt: now - 9000, oldestAgeMs: expect.any(Number) },
      outbound: { count: 1, oldestAt: now - 1000 },
    });
    expect(ofA.inbound.oldestAgeMs).toBeGreaterThanOrEqual(9000);
    expect(items.find((t) => t.tenantId === b.id)).toMatchObject({
      inbound: { count: 0, oldestAt: null, oldestAgeMs: null },
      outbound: { count: 4, oldestAt: now - 20_000 },
    });
    // the same numbers as each tenant's own metrics
    const metrics = (await adminApi('GET', `/api/tenants/${a.id}/metrics?hours=1`)).json.backlog;
    expect(metrics.inbound.count).toBe(5);
    expect(metrics.outbound.count).toBe(1);
    // totals cover every tenant, not just one page
    const page = await adminApi('GET', '/api/metrics/backlog?limit=1');
    expect(page.json.items).toHaveLength(1);
    expect([a.id, b.id]).not.toContain(page.json.items[0].tenantId);
    expect(page.json.totals.inbound.count).toBeGreaterThanOrEqual(5);
    expect(page.json.totals.outbound.count).toBeGreaterThanOrEqual(5);
    expect(page.json.totals.inbound.oldestAt).toBeLessThanOrEqual(now - 9000);
    expect(page.json.totals.outbound.oldestAt).toBeLessThanOrEqual(now - 20_000);

    expect((await adminApi('GET', '/api/metrics/backlog', await keyFor(a.id, 'tenant-admin'))).status).toBe(403);
    expect((await adminApi('GET', '/api/metrics/backlog', {})).status).toBe(401);
    expect((await adminApi('GET', '/api/metrics/backlog?cursor=junk')).json.error.code).toBe('invalid_cursor');
  });
});
