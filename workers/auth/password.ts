/**
 * Dashboard passwords, hashed with PBKDF2-HMAC-SHA256 on WebCrypto. 100 000 iterations is the
 * most the Workers runtime accepts; each hash has its own 16-byte salt and records its parameters,
 * so the cost can be raised later without invalidating stored hashes.
 */
import { fromBase64, toBase64, utf8 } from '../lib/crypto';

const ITERATIONS = 100_000;
const SCHEME = 'pbkdf2-sha256';

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `${SCHEME}$${ITERATIONS}$${toBase64(salt)}$${toBase64(await derive(password, salt, ITERATIONS))}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, saltB64, hashB64] = stored.split('$');
  const salt = fromBase64(saltB64 ?? '');
  const expected = fromBase64(hashB64 ?? '');
  if (scheme !== SCHEME || !salt || !expected || !iterations) return false;
  const actual = await derive(password, salt, Number(iterations));
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}

/** A hash to verify against when the user does not exist, so a login takes as long either way. */
export const DUMMY_HASH = `${SCHEME}$${ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;
