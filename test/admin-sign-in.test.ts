/**
 * Signing in and out of the admin API as a dashboard user: guessing is slowed per email and
 * address, per address and per email before any password is checked, and a session signed out is
 * refused at once.
 */
import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { signInCounterNames } from '../workers/auth/sign-in-guard';
import type { ThrottleState } from '../workers/domain/sign-in-throttle';
import { adminApi, OPERATOR } from './helpers';
import { issueSession, type Role, signedInAt } from '../workers/auth/admin-session';
import { findUserByEmail } from '../workers/db/admin.repo';

const PASSWORD = 'correct horse battery staple';

let addresses = 0;
/** A client address no other test uses. */
function newAddress(): string {
  addresses++;
  return `198.51.${Math.floor(Math.random() * 250)}.${addresses % 250}`;
}

const signIn = (email: string, password: string, address: string) =>
  adminApi('POST', '/api/auth/login', { 'cf-connecting-ip': address }, { email, password });

/**
 * Lets `ms` pass for the sign-in counters of `email` from `addresses` (pair, address and email), by
 * moving every time they stored that much into the past: a lock of an hour ends without waiting it.
 */
async function elapse(email: string, addresses: string[], ms: number): Promise<void> {
  const names = new Set<string>();
  for (const address of addresses)
    for (const name of Object.values(await signInCounterNames(email, address))) names.add(name);
  for (const name of names)
    await runInDurableObject(env.AUTH_GUARD.getByName(name), async (_instance, state) => {
      const stored = await state.storage.get<{ state: ThrottleState; forgetAt: number }>('throttle');
      if (!stored) return;
      const { count, windowStart, lockedUntil, strikes, lastAt } = stored.state;
      await state.storage.put('throttle', {
        state: { count, strikes, windowStart: windowStart - ms, lockedUntil: lockedUntil - ms, lastAt: lastAt - ms },
        forgetAt: stored.forgetAt - ms,
      });
    });
}

/** A platform admin user; answers its email. */
async function newUser(): Promise<string> {
  const email = `signin-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const created = await adminApi('POST', '/api/users', OPERATOR, { email, password: PASSWORD, role: 'platform-admin' });
  expect(created.status).toBe(201);
  return email;
}

describe('sign-in is throttled before the password is checked', () => {
  it('the sixth wrong password from one address within a minute answers 429 with Retry-After, and so does the right one from there', async () => {
    const email = await newUser();
    const address = newAddress();
    for (let i = 0; i < 5; i++) expect((await signIn(email, 'wrong password', address)).status).toBe(401);

    const sixth = await signIn(email, 'wrong password', address);
    expect(sixth.status).toBe(429);
    expect(sixth.json).toMatchObject({ error: { code: 'sign_in_throttled' } });
    expect(sixth.headers.get('retry-after')).toBe('60');

    // The password is not even looked at while the pair is throttled.
    const right = await signIn(email, PASSWORD, address);
    expect(right.status).toBe(429);
    expect(right.json).toMatchObject({ error: { code: 'sign_in_throttled' } });
  });

  it('a stranger attacking from one address for hours, firing again whenever Retry-After says, never locks the owner out', async () => {
    const email = await newUser();
    const stranger = newAddress();
    const owner = newAddress();
    const waits: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) expect((await signIn(email, 'guess', stranger)).status).toBe(401);
      const refused = await signIn(email, 'guess', stranger);
      expect(refused.status).toBe(429);
      waits.push(refused.headers.get('retry-after')!);

      // Meanwhile the owner, from their own address, signs in.
      expect((await signIn(email, PASSWORD, owner)).status).toBe(200);

      await elapse(email, [stranger, owner], Number(refused.headers.get('retry-after')) * 1000);
    }
    // Each lock of the stranger's own pair doubles: 1, 2, 4, 8, 16 minutes.
    expect(waits).toEqual(['60', '120', '240', '480', '960']);
  });

  it('another email signs in from the same address meanwhile', async () => {
    const victim = await newUser();
    const colleague = await newUser();
    const address = newAddress();
    for (let i = 0; i < 6; i++) await signIn(victim, 'wrong password', address);
    expect((await signIn(victim, PASSWORD, address)).status).toBe(429);
    expect((await signIn(colleague, PASSWORD, address)).status).toBe(200);
  });

  it('a successful sign-in forgets the failures of that email from that address', async () => {
    const email = await newUser();
    const address = newAddress();
    for (let i = 0; i < 4; i++) expect((await signIn(email, 'wrong password', address)).status).toBe(401);
    expect((await signIn(email, PASSWORD, address)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await signIn(email, 'wrong password', address)).status).toBe(401);
    expect((await signIn(email, 'wrong password', address)).status).toBe(429);
  });

  it('one address guessing across many emails is stopped; other addresses are not', async () => {
    const email = await newUser();
    const flooder = newAddress();
    for (let i = 0; i < 20; i++) {
      const guess = await signIn(`nobody-${crypto.randomUUID().slice(0, 8)}@example.com`, 'guess', flooder);
      expect(guess.status).toBe(401);
    }
    const stopped = await signIn(email, PASSWORD, flooder);
    expect(stopped.status).toBe(429);
    expect(stopped.json).toMatchObject({ error: { code: 'sign_in_throttled' } });
    expect(Number(stopped.headers.get('retry-after'))).toBeGreaterThan(0);

    expect((await signIn(email, PASSWORD, newAddress())).status).toBe(200);
  });
});

describe('signing out', () => {
  it('ends that session at once: it is refused afterwards, though not expired; another session lives on', async () => {
    const email = await newUser();
    const first = (await signIn(email, PASSWORD, newAddress())).json.token as string;
    const second = (await signIn(email, PASSWORD, newAddress())).json.token as string;
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    expect((await adminApi('GET', '/api/tenants', as(first))).status).toBe(200);

    expect((await adminApi('POST', '/api/auth/logout', as(first))).status).toBe(204);
    const after = await adminApi('GET', '/api/tenants', as(first));
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await adminApi('POST', '/api/auth/logout', as(first))).status).toBe(401);

    expect((await adminApi('GET', '/api/tenants', as(second))).status).toBe(200);
  });

  it('is for dashboard sessions: the operator token and API keys are not signed out', async () => {
    const res = await adminApi('POST', '/api/auth/logout', OPERATOR);
    expect(res.status).toBe(403);
    expect((await adminApi('GET', '/api/tenants', OPERATOR)).status).toBe(200);
  });
});

describe('refreshing a session', () => {
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('gives a new 15-minute session with the same role and ends the old one', async () => {
    const email = await newUser();
    const first = (await signIn(email, PASSWORD, newAddress())).json as { token: string; expiresAt: number };
    const res = await adminApi('POST', '/api/auth/refresh', as(first.token));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ role: 'platform-admin', tenantId: null });
    const next = res.json as { token: string; expiresAt: number };
    expect(next.token).not.toBe(first.token);
    expect(next.expiresAt).toBeGreaterThanOrEqual(first.expiresAt);
    expect((await adminApi('GET', '/api/tenants', as(next.token))).status).toBe(200);
    expect((await adminApi('GET', '/api/tenants', as(first.token))).status).toBe(401);
    expect((await adminApi('POST', '/api/auth/refresh', as(first.token))).status).toBe(401);
  });

  it('keeps one sign-in alive for 12 hours at most: past that, the password is asked again', async () => {
    const email = await newUser();
    const user = (await findUserByEmail(env, email))!;
    const claims = { sub: user.id, role: user.role as Role, tid: user.tenantId };
    const elevenHoursAgo = Date.now() - 11 * 3600_000;
    const recent = await issueSession(env, claims, Date.now(), elevenHoursAgo);
    const res = await adminApi('POST', '/api/auth/refresh', as(recent.token));
    expect(res.status).toBe(200);
    // the new session still counts from the sign-in, not from this refresh
    expect(signedInAt(res.json.token)).toBe(Math.floor(elevenHoursAgo / 1000) * 1000);

    const old = await issueSession(env, claims, Date.now(), Date.now() - 13 * 3600_000);
    const refused = await adminApi('POST', '/api/auth/refresh', as(old.token));
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toContain('sign in again');
    // it stays usable until its own 15 minutes end; it just is not extended
    expect((await adminApi('GET', '/api/tenants', as(old.token))).status).toBe(200);
  });

  it('refuses a signed-out session and is only for dashboard sessions', async () => {
    const email = await newUser();
    const { token } = (await signIn(email, PASSWORD, newAddress())).json as { token: string };
    expect((await adminApi('POST', '/api/auth/logout', as(token))).status).toBe(204);
    expect((await adminApi('POST', '/api/auth/refresh', as(token))).status).toBe(401);
    expect((await adminApi('POST', '/api/auth/refresh', OPERATOR)).status).toBe(403);
  });
});
