/**
 * The dashboard's client of the bridge admin API. Response types are the API's own zod schemas
 * (type-only imports, erased at build time), so a change in the API breaks the dashboard's
 * typecheck rather than its users.
 *
 * It also keeps the session: who is signed in (role and tenant, for showing only the controls the
 * API would allow — the API enforces them regardless), refreshing a password session before its
 * 15 minutes run out, and turning the API's errors into plain words.
 */
import type { z } from 'zod';
import type {
  AlertChannelView,
  AlertView,
  ApiKeyView,
  AuditEntryView,
  BulkReplayResult,
  DeadLetterSummary,
  DeadLetterView,
  FailureSummary,
  FailureView,
  ConnectionCheck,
  ConversationView,
  GenesysClientView,
  HostnameView,
  MetricsView,
  PlatformBacklogView,
  TenantView,
  TimelineView,
  UserView,
  WebhookSetup,
} from '../../workers/routes/admin/admin.schema';

export type Tenant = z.infer<typeof TenantView>;
export type Setup = z.infer<typeof WebhookSetup>;
export type Check = z.infer<typeof ConnectionCheck>;
export type ApiKey = z.infer<typeof ApiKeyView>;
export type User = z.infer<typeof UserView>;
export type Conversation = z.infer<typeof ConversationView>;
export type Timeline = z.infer<typeof TimelineView>;
export type Metrics = z.infer<typeof MetricsView>;
export type AuditEntry = z.infer<typeof AuditEntryView>;
/** List rows carry no payload (pages stay small); the detail routes have it. */
export type FailureRow = z.infer<typeof FailureSummary>;
export type DeadLetterRow = z.infer<typeof DeadLetterSummary>;
export type FailureDetail = z.infer<typeof FailureView>;
export type DeadLetterDetail = z.infer<typeof DeadLetterView>;
export type BulkReplay = z.infer<typeof BulkReplayResult>;
export type PlatformBacklog = z.infer<typeof PlatformBacklogView>;
export type AlertRow = z.infer<typeof AlertView>;
export type AlertChannel = z.infer<typeof AlertChannelView>;
export type Hostname = z.infer<typeof HostnameView>;
export type GenesysClient = z.infer<typeof GenesysClientView>;

export type Role = 'platform-admin' | 'tenant-admin' | 'viewer';
const RANK: Record<Role, number> = { viewer: 1, 'tenant-admin': 2, 'platform-admin': 3 };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

let apiBase = '';
export async function loadConfig(): Promise<void> {
  const config = (await (await fetch('config.json')).json()) as { apiBase: string };
  apiBase = config.apiBase.replace(/\/+$/, '');
}

// ===== Session

/** A signed-in user: a password session (expires, refreshed) or the operator token (no expiry). */
export type Session = { token: string; role: Role; tenantId: string | null; expiresAt: number | null; email?: string };

const SESSION_KEY = 'bridge-session';
/** Refresh this long before a session expires. */
const REFRESH_AHEAD_MS = 2 * 60_000;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<(s: Session | null) => void>();

export const session = {
  get(): Session | null {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Session;
    } catch {
      return null;
    }
  },
  set(s: Session | null) {
    if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(SESSION_KEY);
    scheduleRefresh();
    for (const l of listeners) l(s);
  },
  onChange(l: (s: Session | null) => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

/** True when the signed-in role may do what needs `minimum` (the API checks again). */
export function can(minimum: Role): boolean {
  const s = session.get();
  return !!s && RANK[s.role] >= RANK[minimum];
}

/** Why the session ended, for the sign-in page. */
export let endedBecause: string | null = null;
export function endSession(reason: string | null) {
  endedBecause = reason;
  session.set(null);
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const s = session.get();
  if (!s?.expiresAt) return;
  const wait = Math.max(0, s.expiresAt - REFRESH_AHEAD_MS - Date.now());
  refreshTimer = setTimeout(() => void refreshSession(), wait);
}

/** Trades the password session for a new 15-minute one (POST /api/auth/refresh). */
export async function refreshSession(): Promise<void> {
  const s = session.get();
  if (!s?.expiresAt) return;
  try {
    const next = await call<{ token: string; expiresAt: number; role: Role; tenantId: string | null }>(
      'POST',
      '/auth/refresh',
    );
    session.set({ ...s, ...next });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      // A network blip: try again in 30 s, while the session still lives.
      refreshTimer = setTimeout(() => void refreshSession(), 30_000);
    }
  }
}

export async function signInWithPassword(email: string, password: string): Promise<void> {
  const res = await call<{ token: string; expiresAt: number; role: Role; tenantId: string | null }>(
    'POST',
    '/auth/login',
    { email, password },
    { anonymous: true },
  );
  endedBecause = null;
  session.set({ ...res, email });
}

export async function signInWithToken(token: string): Promise<void> {
  // The operator token is the platform's own credential: platform admin, no expiry.
  await call('GET', '/tenants?limit=1', undefined, { token });
  endedBecause = null;
  session.set({ token, role: 'platform-admin', tenantId: null, expiresAt: null });
}

export async function signOut(): Promise<void> {
  const s = session.get();
  // The API ends a password session at once; an operator token is only forgotten here.
  if (s?.expiresAt) await call('POST', '/auth/logout').catch(() => undefined);
  endSession(null);
}

// ===== Calls

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string; anonymous?: boolean } = {},
): Promise<T> {
  const sent = session.get();
  const token = opts.anonymous ? undefined : (opts.token ?? sent?.token);
  const res = await fetch(`${apiBase}/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
  };
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      json.error?.code ?? 'error',
      json.error?.message ?? res.statusText,
      json.error?.issues,
    );
    if (res.status === 401 && !opts.anonymous && !opts.token && sent) {
      // Refreshed meanwhile (the old token was revoked): try once more with the new one.
      const now = session.get();
      if (now && now.token !== sent.token) return call<T>(method, path, body, opts);
      endSession('Your session has ended (signed out elsewhere, expired or your account changed). Sign in again.');
    }
    throw err;
  }
  return json as T;
}

/** One page of a list: `{ items, nextCursor }` (older APIs answer `{ items }` alone: one page). */
export type Page<T> = { items: T[]; nextCursor: string | null };

export async function listPage<T>(
  path: string,
  params: Record<string, string | number | null | undefined> = {},
): Promise<Page<T>> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') query.set(k, String(v));
  const qs = query.toString();
  const res = await call<{ items: T[]; nextCursor?: string | null }>(
    'GET',
    `${path}${qs ? (path.includes('?') ? '&' : '?') + qs : ''}`,
  );
  return { items: res.items, nextCursor: res.nextCursor ?? null };
}

/** The error in words an operator can act on. */
export function explain(err: unknown): { title: string; details: string[] } {
  if (err instanceof ApiError) {
    const details = err.issues.map((i) => `${fieldName(i.path)}: ${i.message}`);
    switch (err.code) {
      case 'unauthorized':
        return {
          title: err.message.includes('email or password')
            ? 'That email and password do not match an account.'
            : 'That token was not accepted. Check that you pasted the whole operator token.',
          details,
        };
      case 'forbidden':
        return {
          title: `Your role may not do this. ${capitalise(err.message.replace(/^this action/, 'It'))}.`,
          details,
        };
      case 'sign_in_throttled':
        return { title: 'Too many sign-in attempts. Wait a minute and try again.', details };
      case 'not_found':
        return { title: 'Not found: it may have been deleted, or it belongs to another tenant.', details };
      case 'invalid_body':
        return { title: 'Some fields need fixing.', details: details.length ? details : [err.message] };
      case 'conflict':
      case 'already_exists':
        return { title: capitalise(err.message), details };
      default:
        if (err.status === 429) return { title: 'Too many requests just now. Wait a moment and try again.', details };
        if (err.status >= 500 || err.status === 502 || err.status === 504)
          return { title: `The bridge could not finish this: ${plain(err.message)}. Try again in a moment.`, details };
        return { title: capitalise(err.message), details };
    }
  }
  if (err instanceof TypeError)
    return { title: 'Could not reach the bridge. Check your connection and try again.', details: [] };
  return { title: String(err instanceof Error ? err.message : err), details: [] };
}

const capitalise = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
function fieldName(path: string): string {
  const last = path.split('.').pop() ?? path;
  return last.replace(/([A-Z])/g, ' $1').toLowerCase();
}

/**
 * Upstream detail in plain words: Genesys and Meta answer with JSON bodies; show their message,
 * not the JSON.
 */
export function plain(detail: string): string {
  const start = detail.indexOf('{');
  if (start < 0) return detail;
  try {
    const body = JSON.parse(detail.slice(start)) as Record<string, unknown>;
    const nested = body.error as Record<string, unknown> | string | undefined;
    const message =
      (typeof nested === 'object' && nested ? nested.message : undefined) ??
      body.message ??
      body.error_description ??
      (typeof nested === 'string' ? nested : undefined);
    const prefix = detail.slice(0, start).replace(/[\s:—-]+$/, '');
    if (typeof message === 'string') return prefix ? `${prefix}: ${message}` : message;
  } catch {
    // not JSON after all
  }
  return detail.length > 240 ? `${detail.slice(0, 240)}…` : detail;
}
