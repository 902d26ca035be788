/**
 * A custom hostname as Cloudflare for SaaS reports it, and what the bridge keeps and shows of it.
 * Pure: the client (clients/cloudflare.client.ts) validates answers with {@link CfCustomHostname};
 * the route and the refresh job turn them into a {@link HostnameState} for D1.
 */
import { z } from 'zod';

/**
 * Cloudflare's `result` for one custom hostname, permissive except for the fields the bridge uses
 * (API reference, "Custom Hostname Details"; sandbox/cloudflare.contract.ts quotes the shapes).
 */
export const CfCustomHostname = z
  .object({
    id: z.string().min(1),
    hostname: z.string(),
    status: z.string().optional().default('pending'),
    ssl: z
      .object({
        status: z.string().optional(),
        method: z.string().optional(),
        validation_records: z
          .array(
            z
              .object({
                txt_name: z.string().optional(),
                txt_value: z.string().optional(),
                http_url: z.string().optional(),
                http_body: z.string().optional(),
              })
              .passthrough(),
          )
          .optional(),
      })
      .passthrough()
      .optional(),
    ownership_verification: z
      .object({ type: z.string(), name: z.string(), value: z.string() })
      .passthrough()
      .optional(),
    verification_errors: z.array(z.string()).optional(),
  })
  .passthrough();
export type CfCustomHostname = z.infer<typeof CfCustomHostname>;

/** One DNS record (or HTTP token) the tenant's customer must publish, as GET shows it. */
export interface VerificationRecord {
  type: 'CNAME' | 'TXT' | 'HTTP';
  name: string;
  value: string;
  /** traffic: routes the hostname to the zone; ownership: proves the hostname is theirs; certificate: lets the CA issue. */
  purpose: 'traffic' | 'ownership' | 'certificate';
}

/** What D1 keeps of Cloudflare's answer (custom_hostnames.verification holds the JSON of `records` and `errors`). */
export interface HostnameState {
  status: string;
  sslStatus: string | null;
  records: VerificationRecord[];
  errors: string[];
}

/**
 * Cloudflare's `status` values under which a hostname routes to its tenant: ownership verified,
 * traffic proxied (`active_redeploying` is an active hostname whose settings are being redeployed;
 * it keeps serving).
 */
export const ROUTABLE_STATUSES = ['active', 'active_redeploying'];

export const isRoutable = (status: string): boolean => ROUTABLE_STATUSES.includes(status);

/** Our status for a hostname Cloudflare no longer knows (someone deleted it there). */
export const GONE_STATUS = 'deleted';

/**
 * Cloudflare statuses that change only when someone acts (at Cloudflare or here): the refresh job
 * asks about them rarely (SETTLED_RECHECK_MS) instead of every run.
 */
export const SETTLED_STATUSES = ['active', 'moved', 'deleted', 'blocked'];

/**
 * How often a settled hostname is asked about again: a hostname deleted, moved or blocked at
 * Cloudflare stops routing within a day.
 */
export const SETTLED_RECHECK_MS = 24 * 3600_000;

/** The records Cloudflare asks for, in the order a customer adds them: TXT for ownership, then for the certificate. */
export function hostnameState(result: CfCustomHostname): HostnameState {
  const records: VerificationRecord[] = [];
  const own = result.ownership_verification;
  if (own && own.type.toLowerCase() === 'txt')
    records.push({ type: 'TXT', name: own.name, value: own.value, purpose: 'ownership' });
  for (const r of result.ssl?.validation_records ?? []) {
    if (r.txt_name && r.txt_value)
      records.push({ type: 'TXT', name: r.txt_name, value: r.txt_value, purpose: 'certificate' });
    else if (r.http_url && r.http_body)
      records.push({ type: 'HTTP', name: r.http_url, value: r.http_body, purpose: 'certificate' });
  }
  return {
    status: result.status,
    sslStatus: result.ssl?.status ?? null,
    records,
    errors: result.verification_errors ?? [],
  };
}

/** The stored JSON back into records and errors; tolerant of rows written before 0008 (null). */
export function parseVerification(json: string | null): { records: VerificationRecord[]; errors: string[] } {
  if (!json) return { records: [], errors: [] };
  try {
    const v = JSON.parse(json) as { records?: VerificationRecord[]; errors?: string[] };
    return { records: v.records ?? [], errors: v.errors ?? [] };
  } catch {
    return { records: [], errors: [] };
  }
}
