/**
 * Fitting a payload into a record an operator reads. Notices (Meta's errors webhooks, fields the
 * bridge does not act on) can be hundreds of kilobytes; storing each whole would fill D1 with
 * bytes nobody reads. What an operator needs is the shape: ids, types, error codes and titles,
 * which are short strings near the top. So a large payload keeps every key but loses length:
 * long strings are cut, long arrays keep their first items, deep nesting is elided, tighter
 * each round until it fits. A trimmed payload says so in a `_trimmed` member.
 *
 * Pure: no I/O.
 */

/** How a trimmed payload is marked, at its top level. */
export interface TrimMarker {
  /** Length of the JSON text before trimming. */
  originalChars: number;
}

/** One round of limits; each later round is tighter. */
interface Limits {
  string: number;
  items: number;
  keys: number;
  depth: number;
}

const ROUNDS: Limits[] = [
  { string: 1000, items: 10, keys: 50, depth: 8 },
  { string: 300, items: 5, keys: 30, depth: 6 },
  { string: 100, items: 3, keys: 20, depth: 4 },
  { string: 40, items: 1, keys: 10, depth: 3 },
];

function shrink(value: unknown, limits: Limits, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > limits.string ? `${value.slice(0, limits.string)}…` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= limits.depth) return '…';
  if (Array.isArray(value)) {
    const kept = value.slice(0, limits.items).map((v) => shrink(v, limits, depth + 1));
    if (value.length > limits.items) kept.push(`… ${value.length - limits.items} more`);
    return kept;
  }
  const entries = Object.entries(value);
  const kept = entries.slice(0, limits.keys).map(([k, v]) => [k, shrink(v, limits, depth + 1)] as const);
  const out: Record<string, unknown> = Object.fromEntries(kept);
  if (entries.length > limits.keys) out['…'] = `${entries.length - limits.keys} more keys`;
  return out;
}

/**
 * The JSON text to store for `payload`: whole when it fits in `maxChars`, otherwise a smaller
 * copy of the same shape with `_trimmed: { originalChars }` at its top level. The answer is
 * valid JSON of at most `maxChars` characters (for any `maxChars` of 100 or more). A string is
 * taken as JSON text when it parses.
 */
export function trimPayload(payload: unknown, maxChars: number): string {
  const text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? 'null');
  if (text.length <= maxChars) return text;
  const marker: TrimMarker = { originalChars: text.length };
  const value = typeof payload === 'string' ? parsedOrText(payload) : payload;
  for (const limits of ROUNDS) {
    const small = shrink(value, limits, 0);
    const wrapped =
      small !== null && typeof small === 'object' && !Array.isArray(small)
        ? { _trimmed: marker, ...small }
        : { _trimmed: marker, value: small };
    const out = JSON.stringify(wrapped);
    if (out.length <= maxChars) return out;
  }
  // Nothing structural fits (a pathological payload): keep the marker and the start of the text.
  const room = Math.max(0, maxChars - JSON.stringify({ _trimmed: marker, head: '' }).length - 16);
  for (let cut = room; cut >= 0; cut = Math.floor(cut * 0.8) - 1) {
    const out = JSON.stringify({ _trimmed: marker, head: text.slice(0, cut) });
    if (out.length <= maxChars) return out;
  }
  return JSON.stringify({ _trimmed: marker }).slice(0, maxChars);
}

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
