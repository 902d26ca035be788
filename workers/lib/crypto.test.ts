import { afterEach, describe, expect, it, vi } from 'vitest';
import { hmacSha256, hmacSha256Verify, toHex } from './crypto';

afterEach(() => vi.restoreAllMocks());

describe('HMAC keys', () => {
  it('a secret is imported once and reused for every later verify, and the MAC stays right', async () => {
    const secret = `secret-${crypto.randomUUID()}`;
    const body = new TextEncoder().encode('{"hello":"world"}') as Uint8Array<ArrayBuffer>;
    const mac = new Uint8Array(await hmacSha256(secret, body));
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    for (let i = 0; i < 5; i++) expect(await hmacSha256Verify(secret, body, mac)).toBe(true);
    expect(await hmacSha256Verify(`${secret}-other`, body, mac)).toBe(false);
    // One import for this secret's verify key, one for the other secret.
    expect(imports).toHaveBeenCalledTimes(2);
    expect(toHex(await hmacSha256(secret, body))).toBe(toHex(mac));
  });
});
