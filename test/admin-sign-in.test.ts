/**
 * Signing in and out of the admin API as a dashboard user: guessing is slowed per email and per
 * client address before any password is checked, and a session signed out is refused at once.
 */
import { describe, expect, it } from 'vitest';
import { exports } from 'cloudflare:workers';

const OPERATOR = { authorization: 'Bearer test-operator-token' };
const PASSWORD = 'correct horse battery staple';

let addresses = 0;
/** A client address no other test uses. */
function newAddress(): string {
  addresses++;
  return `198.51.${Math.floor(Math.random() * 250)}.${addresses % 250}`;
}

async function api(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await exports.default.fetch(
    new Request(`https://bridge.test${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const signIn = (email: string, password: string, address: string) =>
  api('POST', '/api/auth/login', { 'cf-connecting-ip': address }, { email, password });

/** A platform admin user; answers its email. */
async function newUser(): Promise<string> {
  const email = `signin-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const created = await api('POST', '/api/users', OPERATOR, { email, password: PASSWORD, role: 'platform-admin' });
  expect(created.status).toBe(201);
  return email;
}

describe('sign-in is throttled before the password is checked', () => {
  it('the sixth wrong password within a minute answers 429 with Retry-After, and so does the right one', async () => {
    const email = await newUser();
    const address = newAddress();
    for (let i = 0; i < 5; i++) expect((await signIn(email, 'wrong password', address)).status).toBe(401);

    const sixth = await signIn(email, 'wrong password', address);
    expect(sixth.status).toBe(429);
    expect(sixth.json).toMatchObject({ error: { code: 'sign_in_throttled' } });
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // The password is not even looked at while the email is throttled, from any address.
    const right = await signIn(email, PASSWORD, newAddress());
    expect(right.status).toBe(429);
    expect(right.json).toMatchObject({ error: { code: 'sign_in_throttled' } });
  });

  it('another email signs in from the same address meanwhile', async () => {
    const victim = await newUser();
    const colleague = await newUser();
    const address = newAddress();
    for (let i = 0; i < 6; i++) await signIn(victim, 'wrong password', address);
    expect((await signIn(victim, PASSWORD, address)).status).toBe(429);
    expect((await signIn(colleague, PASSWORD, address)).status).toBe(200);
  });

  it('a successful sign-in forgets the email’s failures', async () => {
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
    expect((await api('GET', '/api/tenants', as(first))).status).toBe(200);

    expect((await api('POST', '/api/auth/logout', as(first))).status).toBe(204);
    const after = await api('GET', '/api/tenants', as(first));
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await api('POST', '/api/auth/logout', as(first))).status).toBe(401);

    expect((await api('GET', '/api/tenants', as(second))).status).toBe(200);
  });

  it('is for dashboard sessions: the operator token and API keys are not signed out', async () => {
    const res = await api('POST', '/api/auth/logout', OPERATOR);
    expect(res.status).toBe(403);
    expect((await api('GET', '/api/tenants', OPERATOR)).status).toBe(200);
  });
});
