/**
 * The dashboard's client of the bridge admin API. Response types are the API's own zod schemas
 * (type-only imports, erased at build time), so a change in the API breaks the dashboard's
 * typecheck rather than its users.
 */
import type { z } from 'zod';
import type {
  AlertChannelView,
  AlertView,
  ApiKeyView,
  AuditEntryView,
  DeadLetterView,
  FailureView,
  ConnectionCheck,
  ConversationView,
  MetricsView,
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
export type FailureRow = z.infer<typeof FailureView>;
export type DeadLetterRow = z.infer<typeof DeadLetterView>;
export type AlertRow = z.infer<typeof AlertView>;
export type AlertChannel = z.infer<typeof AlertChannelView>;

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

const SESSION_KEY = 'bridge-session';
export const session = {
  get: () => sessionStorage.getItem(SESSION_KEY),
  set: (token: string) => sessionStorage.setItem(SESSION_KEY, token),
  clear: () => sessionStorage.removeItem(SESSION_KEY),
};

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = session.get();
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
  if (!res.ok)
    throw new ApiError(
      res.status,
      json.error?.code ?? 'error',
      json.error?.message ?? res.statusText,
      json.error?.issues,
    );
  return json as T;
}
