/**
 * Which key signs a bridge JWT and which keys may verify one. Every token names its key in the
 * `kid` header and is signed with that key's subkey for the token's purpose (lib/keyring.ts);
 * verification looks the id up in the keyring, so a token signed before a rotation keeps working
 * while its key is still listed.
 *
 * Tokens without `kid` come from before keyrings: they are verified against the legacy derivation
 * (HMAC of `legacyLabel` under each raw key) and never issued any more.
 */
import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyOptions, type SignJWT } from 'jose';
import { keyring, legacySigningKey, signingKey, type KeySource, type SigningPurpose } from '../lib/keyring';

/** Signs `jwt` (claims set, no header yet) with the newest key's subkey for `purpose`. */
export async function signJwt(src: KeySource, purpose: SigningPurpose, jwt: SignJWT): Promise<string> {
  const key = keyring(src).newest;
  return jwt.setProtectedHeader({ alg: 'HS256', kid: key.id }).sign(await signingKey(key, purpose));
}

/** The payload of a genuine, unexpired token of `purpose`; throws otherwise. */
export async function verifyJwt(
  src: KeySource,
  purpose: SigningPurpose,
  legacyLabel: string,
  token: string,
  options: Omit<JWTVerifyOptions, 'algorithms'>,
): Promise<JWTPayload> {
  const ring = keyring(src);
  const verify = { ...options, algorithms: ['HS256'] };
  const { kid } = decodeProtectedHeader(token);
  if (kid !== undefined) {
    const key = ring.keys.find((k) => k.id === kid);
    if (!key) throw new Error('token names a key that is not in the keyring');
    return (await jwtVerify(token, await signingKey(key, purpose), verify)).payload;
  }
  let failure: unknown = new Error('no key verifies this token');
  for (const key of ring.keys) {
    try {
      return (await jwtVerify(token, await legacySigningKey(key, legacyLabel), verify)).payload;
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}
