/**
 * Keyset (cursor) paging for the admin API's lists. A page is ordered by a sort key (a timestamp)
 * and then the row's id, so rows with equal timestamps keep one order and a page boundary inside
 * them neither skips nor repeats one. The next page starts strictly after the last row:
 * `(sort, id) < (?, ?)` newest first, `> (?, ?)` oldest first, which the (tenant_id, sort, id)
 * indexes serve directly (no OFFSET scan).
 *
 * The cursor is opaque to clients: base64url of `[version, list, sort, id]`. `list` names the list
 * and the scope it was minted for (e.g. `failures:<tenantId>`); a cursor presented to another list
 * or another tenant is refused (400 `invalid_cursor`) rather than reinterpreted. It is not signed:
 * it only positions a page whose WHERE clause is already scoped by tenant, so a forged one can
 * reach nothing the caller could not list anyway.
 */
import { type SQL, type SQLWrapper, asc, desc, sql } from 'drizzle-orm';
import { AppError } from '../domain/errors';

/** Rows per page when the client names no `limit`, and the most it may ask for. */
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;

const VERSION = 1;

export type Direction = 'newest' | 'oldest';

/** Where the next page starts: the last row's sort key and id. */
export interface Cursor {
  at: number;
  id: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
    Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
  );
}

export function encodeCursor(list: string, cursor: Cursor): string {
  return base64url(JSON.stringify([VERSION, list, cursor.at, cursor.id]));
}

const invalidCursor = () => new AppError('invalid_cursor', 400, 'the cursor is not one this list handed out');

/** The position a cursor of `list` names; 400 `invalid_cursor` for anything else. */
export function decodeCursor(list: string, cursor: string): Cursor {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) throw invalidCursor();
    parsed = JSON.parse(fromBase64url(cursor));
  } catch {
    throw invalidCursor();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    parsed[0] !== VERSION ||
    parsed[1] !== list ||
    typeof parsed[2] !== 'number' ||
    !Number.isSafeInteger(parsed[2]) ||
    typeof parsed[3] !== 'string' ||
    parsed[3].length === 0 ||
    parsed[3].length > 200
  )
    throw invalidCursor();
  return { at: parsed[2], id: parsed[3] };
}

/** The condition "after the cursor" in `direction`, or undefined on the first page. */
export function after(
  direction: Direction,
  sortKey: SQLWrapper,
  id: SQLWrapper,
  cursor: Cursor | undefined,
): SQL | undefined {
  if (!cursor) return undefined;
  return direction === 'newest'
    ? sql`(${sortKey}, ${id}) < (${cursor.at}, ${cursor.id})`
    : sql`(${sortKey}, ${id}) > (${cursor.at}, ${cursor.id})`;
}

/** ORDER BY of a page: the sort key, then the id, both in `direction`. */
export function pageOrder(direction: Direction, sortKey: SQLWrapper, id: SQLWrapper): SQL[] {
  const by = direction === 'newest' ? desc : asc;
  return [by(sortKey), by(id)];
}

/**
 * One page of a list: `fetch` receives the decoded cursor (if any) and how many rows to read —
 * one more than the page, to know whether another page follows without counting.
 */
export async function paged<T>(
  list: string,
  request: PageRequest,
  fetch: (cursor: Cursor | undefined, rows: number) => Promise<T[]>,
  key: (row: T) => Cursor,
): Promise<Page<T>> {
  const cursor = request.cursor === undefined ? undefined : decodeCursor(list, request.cursor);
  const rows = await fetch(cursor, request.limit + 1);
  const items = rows.slice(0, request.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > request.limit && last ? encodeCursor(list, key(last)) : null,
  };
}

/** `text` for a LIKE pattern, its wildcards escaped (use with `ESCAPE '\'`). */
export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/**
 * `column` (digits only, like a WhatsApp id) starts with `digits`, as a range the column's index
 * serves (a LIKE with a bound pattern would scan): ':' is the character after '9'.
 */
export function startsWithDigits(column: SQLWrapper, digits: string): SQL {
  return sql`(${column} >= ${digits} AND ${column} < ${`${digits}:`})`;
}
