/**
 * The master keyring, and the tenant secrets at rest sealed with it.
 *
 * Trust boundary: the only module that touches master key bytes. Everything else asks it for a
 * purpose-bound subkey (HKDF-SHA256, RFC 5869), so a media URL signature, a session signature and
 * an encrypted secret never share a key, and knowing one subkey says nothing about the others.
 *
 * Configuration (Worker secrets):
 * - `MASTER_KEYS` = `k2:<base64>,k1:<base64>`: ids with 32 random bytes each, newest first. New
 *   values are encrypted and signed with the first; values naming any listed id still open.
 * - `MASTER_KEY` = `<base64>` alone (no `MASTER_KEYS`): the one key, with id {@link IMPLICIT_KEY_ID}.
 *   When `MASTER_KEYS` is set, `MASTER_KEY` is ignored — list it there to keep it readable.
 *
 * Legacy slot: before keyrings, secrets were AES-GCM under the raw master key (`v1:` values, no key
 * id) and JWTs were HMAC-signed with HMAC(raw key, label). Those are still opened and verified with
 * every key of the ring, but never produced: rotating re-encrypts the `v1:` values, and the JWTs
 * expire by themselves (15 minutes for sessions, MEDIA_URL_TTL_SECONDS for media URLs).
 */
import { fromBase64, toBase64, utf8 } from './crypto';

export interface KeySource {
  MASTER_KEY?: string;
  MASTER_KEYS?: string;
}

/** What a subkey is for; each purpose has its own HKDF `info`, so its own key. */
export type SigningPurpose = 'admin-session' | 'widget-session' | 'media-url';

export interface MasterKey {
  id: string;
  raw: Uint8Array<ArrayBuffer>;
}

export interface Keyring {
  /** Encrypts and signs everything new. */
  newest: MasterKey;
  /** Every key that may open or verify, newest first. */
  keys: MasterKey[];
}

/** The id `MASTER_KEY` has when it is the whole keyring; name it so in `MASTER_KEYS` when rotating. */
export const IMPLICIT_KEY_ID = 'k0';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** Fixed HKDF salt: the master keys are uniformly random already, so the salt only separates this application. */
const HKDF_SALT = utf8('wa-genesys-bridge/keyring');

const rings = new Map<string, Keyring>();

function parseKey(id: string, b64: string, name: string): MasterKey {
  if (!KEY_ID.test(id)) throw new Error(`${name}: key ids are 1-32 letters, digits, - or _`);
  const raw = fromBase64(b64.trim());
  if (raw?.length !== 32) throw new Error(`${name}: key ${id} must be 32 bytes of base64`);
  return { id, raw };
}

/** The keyring of an environment; a malformed one throws (the deployment fails on its first request). */
export function keyring(src: KeySource): Keyring {
  const cacheKey = `${src.MASTER_KEYS ?? ''}\n${src.MASTER_KEY ?? ''}`;
  let ring = rings.get(cacheKey);
  if (ring) return ring;
  let keys: MasterKey[];
  if (src.MASTER_KEYS?.trim()) {
    keys = src.MASTER_KEYS.split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const colon = entry.indexOf(':');
        if (colon < 1) throw new Error('MASTER_KEYS: each entry is <id>:<base64>');
        return parseKey(entry.slice(0, colon), entry.slice(colon + 1), 'MASTER_KEYS');
      });
    if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('MASTER_KEYS: duplicate key id');
  } else if (src.MASTER_KEY) {
    keys = [parseKey(IMPLICIT_KEY_ID, src.MASTER_KEY, 'MASTER_KEY')];
  } else {
    throw new Error('MASTER_KEYS or MASTER_KEY must be set');
  }
  ring = { newest: keys[0]!, keys };
  rings.set(cacheKey, ring);
  return ring;
}

// ===== Subkeys

const subkeys = new Map<string, Promise<CryptoKey>>();

function derive(
  key: MasterKey,
  info: string,
  algorithm: Parameters<SubtleCrypto['deriveKey']>[2],
  usages: string[],
): Promise<CryptoKey> {
  const cacheKey = `${toBase64(key.raw)}|${info}`;
  let derived = subkeys.get(cacheKey);
  if (!derived) {
    derived = crypto.subtle
      .importKey('raw', key.raw, 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: utf8(info) },
          base,
          algorithm,
          false,
          usages,
        ),
      );
    subkeys.set(cacheKey, derived);
  }
  return derived;
}

/** The HMAC-SHA256 key that signs (and verifies) JWTs of one purpose. */
export function signingKey(key: MasterKey, purpose: SigningPurpose): Promise<CryptoKey> {
  return derive(key, `jwt:${purpose}`, { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign', 'verify']);
}

/** Legacy slot, verify only: how JWTs were keyed before keyrings (HMAC of a label under the raw key). */
export async function legacySigningKey(key: MasterKey, label: string): Promise<Uint8Array<ArrayBuffer>> {
  const hmac = await crypto.subtle.importKey('raw', key.raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', hmac, utf8(label)));
}

// ===== Secrets at rest

/** `v2:<key id>:<base64(iv ‖ AES-256-GCM ciphertext)>`, under the key's `secrets` subkey. */
const SEALED = 'v2:';
/** Legacy slot, open only: `v1:<base64(iv ‖ ciphertext)>` under the raw master key. */
const SEALED_LEGACY = 'v1:';

function secretsKey(key: MasterKey): Promise<CryptoKey> {
  return derive(key, 'secrets', { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']);
}

function legacySecretsKey(key: MasterKey): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', key.raw, 'AES-GCM', false, ['decrypt']);
}

/**
 * Encrypts a tenant secret with the newest key. `context` (the tenant id and field) is bound as
 * associated data, so a value copied into another tenant's row or field does not open.
 */
export async function seal(src: KeySource, plaintext: string, context: string): Promise<string> {
  const key = keyring(src).newest;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(context) },
    await secretsKey(key),
    utf8(plaintext),
  );
  const out = new Uint8Array(iv.length + cipher.byteLength);
  out.set(iv);
  out.set(new Uint8Array(cipher), iv.length);
  return `${SEALED}${key.id}:${toBase64(out)}`;
}

/** The key id a sealed value names; null for a legacy value (no id). */
export function sealedKeyId(sealed: string): string | null {
  if (!sealed.startsWith(SEALED)) return null;
  const colon = sealed.indexOf(':', SEALED.length);
  return colon < 0 ? null : sealed.slice(SEALED.length, colon);
}

async function open(key: CryptoKey, body: string, context: string): Promise<string> {
  const raw = fromBase64(body);
  if (!raw || raw.length < 13) throw new Error('corrupt ciphertext');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: raw.slice(0, 12), additionalData: utf8(context) },
    key,
    raw.slice(12),
  );
  return new TextDecoder().decode(plain);
}

/** Opens a sealed secret with the key it names, or a legacy one with whichever key of the ring sealed it. */
export async function unseal(src: KeySource, sealed: string, context: string): Promise<string> {
  const ring = keyring(src);
  if (sealed.startsWith(SEALED)) {
    const id = sealedKeyId(sealed);
    const key = ring.keys.find((k) => k.id === id);
    if (!key) throw new Error(`ciphertext names key ${id}, which is not in the keyring`);
    return open(await secretsKey(key), sealed.slice(SEALED.length + id!.length + 1), context);
  }
  if (sealed.startsWith(SEALED_LEGACY)) {
    // AES-GCM authenticates: only the key that sealed it opens it, the others throw.
    for (const key of ring.keys) {
      try {
        return await open(await legacySecretsKey(key), sealed.slice(SEALED_LEGACY.length), context);
      } catch {
        /* not this key */
      }
    }
    throw new Error('legacy ciphertext opens with no key of the keyring');
  }
  throw new Error('unknown ciphertext version');
}

/** Whether a sealed value is already under the newest key (nothing for a rotation to do). */
export function isSealedWithNewest(src: KeySource, sealed: string): boolean {
  return sealedKeyId(sealed) === keyring(src).newest.id;
}
