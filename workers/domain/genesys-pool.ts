/**
 * The Genesys token pool, as pure rules: which OAuth client a conversation uses, and which object
 * keeps each client's budget. No I/O.
 *
 * Genesys counts its 300 requests per minute per token, and tokens of separate OAuth clients have
 * separate budgets, so a tenant that registers several clients multiplies its budget. Each
 * conversation sticks to one client, chosen by rendezvous hashing of the conversation's name over
 * the tenant's client entries: the choice needs no shared state, spreads conversations evenly, and
 * when a client is added or removed only the conversations that must move do (about 1/n of them),
 * instead of nearly all as with `hash mod n`. Order does not depend on the choice: each
 * conversation object sends its own messages one at a time, whichever client it uses.
 */

/** The entry id of the tenant's default client (the one in its Genesys credentials). */
export const DEFAULT_CLIENT_ENTRY = 'default';

/** Most clients a tenant may register besides its default one. */
export const MAX_POOL_CLIENTS = 20;

/**
 * The tenant gate object that keeps an entry's budget and token. The default client's budget
 * stays in the tenant's own gate (named by the tenant id), where it always was; every other client
 * has a gate object of its own, so each budget is counted in exactly one place.
 */
export function budgetShardName(tenantId: string, entryId: string): string {
  return entryId === DEFAULT_CLIENT_ENTRY ? tenantId : `${tenantId}:genesys:${entryId}`;
}

/** FNV-1a (32 bit) with a final avalanche, so close inputs land far apart. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The client entry a conversation uses: the entry with the highest hash of (conversation, entry).
 * Stable for as long as the entry exists; answers the default when the list is empty.
 */
export function clientEntryFor(conversation: string, entryIds: readonly string[]): string {
  let best = DEFAULT_CLIENT_ENTRY;
  let bestScore = -1;
  for (const id of entryIds) {
    const score = hash32(`${conversation}\u0000${id}`);
    if (score > bestScore || (score === bestScore && id < best)) {
      best = id;
      bestScore = score;
    }
  }
  return best;
}
