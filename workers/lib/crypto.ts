/**
 * Cryptographic primitives of the bridge, all on WebCrypto.
 *
 * Trust boundary: everything that decides whether bytes are genuine (webhook HMACs) lives here,
 * so it can be reviewed on its own. Master keys, subkeys and secrets at rest are in keyring.ts.
 */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Decodes lowercase or uppercase hex; null when the text is not whole bytes of hex. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = '';
  for (const b of view) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Decodes standard base64; null on anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Imported HMAC keys by usage and secret: every webhook of a tenant verifies with the same one. */
const hmacKeys = new Map<string, Promise<CryptoKey>>();
/** Bounded like the tenant cache that holds the same secrets; the oldest import goes first. */
const MAX_HMAC_KEYS = 2000;

function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  const id = `${usage}:${secret}`;
  let key = hmacKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
    // A failed import is not kept.
    key.catch(() => hmacKeys.delete(id));
    if (hmacKeys.size >= MAX_HMAC_KEYS) hmacKeys.delete(hmacKeys.keys().next().value!);
    hmacKeys.set(id, key);
  }
  return key;
}

export async function hmacSha256(secret: string, data: Uint8Array<ArrayBuffer> | ArrayBuffer): Promise<ArrayBuffer> {
  return crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), data);
}

/**
 * Checks `signature` (raw MAC bytes) against HMAC-SHA256(secret, body).
 * `crypto.subtle.verify` compares in constant time, so no early exit leaks how many bytes matched.
 */
export async function hmacSha256Verify(
  secret: string,
  body: ArrayBuffer | Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), signature, body);
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', utf8(text)));
}

/** Constant-time string equality for tokens that are not MACs (verify tokens, API tokens). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = utf8(a);
  const right = utf8(b);
  // Compare against itself when lengths differ so the time does not depend on where they differ.
  const other = left.length === right.length ? right : left;
  let diff = left.length === right.length ? 0 : 1;
  for (let i = 0; i < left.length; i++) diff |= left[i]! ^ other[i]!;
  return diff === 0;
}
