/**
 * Cloudflare for SaaS custom hostnames as the Cloudflare API v4 answers them, for one zone: create,
 * read and delete, in Cloudflare's envelope, with its error codes. Shared by the test fake
 * (test/fakes/cloudflare.fake.ts) and the sandbox simulator; each rule quotes Cloudflare's docs:
 * - API reference, "Create Custom Hostname" (POST /zones/{zone_id}/custom_hostnames), "Custom
 *   Hostname Details" (GET …/{custom_hostname_id}), "Delete Custom Hostname (and any issued SSL
 *   certificates)" (DELETE …/{custom_hostname_id}); security: "API Token … Authorization: Bearer …",
 *   accepted permission "SSL and Certificates Write".
 * - Cloudflare for SaaS › Reference › Status codes › Custom hostnames (the tables quoted below).
 * - Cloudflare for SaaS › Hostname validation › Pre-validation (the `ownership_verification` example).
 *
 * The state lives in plain records so the simulator can keep it in Durable Object storage.
 */

/** One custom hostname, as `result` carries it. */
export interface CfCustomHostname {
  id: string;
  hostname: string;
  /**
   * "Status of the hostname's activation": active, pending, active_redeploying, moved,
   * pending_deletion, deleted, pending_blocked, … blocked (schema `components-schemas-status`).
   */
  status: string;
  ssl: {
    id: string;
    type: 'dv';
    method: 'http' | 'txt' | 'email';
    /** Certificate pack status: initializing, pending_validation, pending_issuance, pending_deployment, active, … */
    status: string;
    bundle_method: 'ubiquitous';
    wildcard: boolean;
    certificate_authority: string;
    settings: Record<string, unknown>;
    /** "Certificate's required validation record": txt_name/txt_value, or http_url/http_body. */
    validation_records?: Array<{ txt_name?: string; txt_value?: string; http_url?: string; http_body?: string }>;
  };
  /** Pre-validation: `{"type": "txt", "name": "_cf-custom-hostname.app.example.com", "value": "0e2d…"}`. */
  ownership_verification: { type: 'txt'; name: string; value: string };
  /** "This presents the token to be served by the given http url to activate a hostname." */
  ownership_verification_http: { http_url: string; http_body: string };
  /** "These are errors that were encountered while trying to activate a hostname." */
  verification_errors?: string[];
  created_at: string;
  /** The fake's own: the certificate's validation records, shown once the certificate is ordered. */
  pendingValidation?: CfCustomHostname['ssl']['validation_records'];
}

/** A record as Cloudflare answers it, without the fake's own fields. */
function withoutFakeState(record: CfCustomHostname): CfCustomHostname {
  const { pendingValidation: _, ...answered } = record;
  return answered;
}

export interface CfAnswer {
  status: number;
  body: unknown;
}

/** The v4 envelope: `{"success", "errors": [{code, message}], "messages": [], "result"}`. */
export function cfEnvelope(status: number, result: unknown, errors: Array<{ code: number; message: string }> = []) {
  return {
    status,
    body: { success: errors.length === 0, errors, messages: [], result: errors.length ? null : result },
  };
}

const refuse = (status: number, code: number, message: string): CfAnswer =>
  cfEnvelope(status, null, [{ code, message }]);

/** The status-code table's refusals of a hostname, in the order the checks run. */
function hostnameRefusal(hostname: unknown): CfAnswer | undefined {
  if (typeof hostname !== 'string' || hostname.length === 0 || hostname.length > 255)
    // "400 | 1407 | Invalid custom hostname. Custom hostnames have to be smaller than 256 characters
    // in length, cannot be IP addresses, cannot contain any special characters …"
    return refuse(400, 1407, 'Invalid custom hostname.');
  const name = hostname.toLowerCase();
  // "400 | 1448 | Custom hostnames with wildcards are not supported for certificates managed by Cloudflare."
  if (name.startsWith('*.'))
    return refuse(
      400,
      1448,
      'Custom hostnames with wildcards are not supported for certificates managed by Cloudflare.',
    );
  if (/^[\d.]+$/.test(name) || name.includes(':') || !/^[a-z0-9.-]+$/.test(name) || !name.includes('.'))
    return refuse(400, 1407, 'Invalid custom hostname.');
  const tld = name.split('.').pop()!;
  // "400 | 1409 | Reserved top domain custom hostnames, such as 'test', 'example', 'invalid' or 'localhost', is not supported."
  if (['test', 'example', 'invalid', 'localhost'].includes(tld))
    return refuse(400, 1409, 'Reserved top domain custom hostnames are not supported.');
  // "400 | 1411 | Custom hostnames ending in example.com, example.net, or example.org are prohibited."
  if (/(^|\.)example\.(com|net|org)$/.test(name))
    return refuse(400, 1411, 'Custom hostnames ending in example.com, example.net, or example.org are prohibited.');
  return undefined;
}

/** One zone with Cloudflare for SaaS on, its API token, and the custom hostnames it holds. */
export class CustomHostnamesZone {
  /** id → hostname record; plain data (see the module comment). */
  records: Record<string, CfCustomHostname> = {};

  constructor(
    readonly zoneId: string,
    readonly token: string,
  ) {}

  byHostname(hostname: string): CfCustomHostname | undefined {
    return Object.values(this.records).find((r) => r.hostname === hostname.toLowerCase());
  }

  /**
   * What the customer's DNS changes lead to: ownership is verified and the certificate issued, so
   * Cloudflare reports the hostname and its certificate `active` and drops the errors and
   * validation records (once "the status is `active`" the 1016 error "will be resolved").
   */
  verify(hostname: string): boolean {
    const record = this.byHostname(hostname);
    if (!record) return false;
    record.status = 'active';
    record.ssl.status = 'active';
    delete record.ssl.validation_records;
    delete record.verification_errors;
    return true;
  }

  /** Answers one API request; `path` is what follows the API base (`/zones/{zone_id}/custom_hostnames…`). */
  handle(method: string, path: string, authorization: string | null, body: unknown): CfAnswer {
    // "400 | 1403 | The request has no Authorization header."
    if (!authorization) return refuse(400, 1403, 'The request has no Authorization header.');
    // "401 | 1000 | Unable to extract bearer token"; "401 | 1003 | Failed to verify JWT token"
    const token = authorization.match(/^Bearer (\S+)$/)?.[1];
    if (!token) return refuse(401, 1000, 'Unable to extract bearer token');
    if (token !== this.token) return refuse(401, 1003, 'Failed to verify JWT token');
    const match = path.match(/^\/zones\/([^/]+)\/custom_hostnames(?:\/([^/]+))?$/);
    // Another zone, or another path: not in the custom-hostnames table; Cloudflare's router answers
    // `7003 Could not route to …, perhaps your object identifier is invalid?` and `7000 No route for
    // that URI` (as reported by API users; the bridge never sends such requests).
    if (!match || match[1] !== this.zoneId)
      return refuse(400, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
    const id = match[2];
    if (method === 'POST' && !id) return this.create(body);
    if (!id) return refuse(400, 7000, 'No route for that URI');
    const record = this.records[id];
    // "404 | 1436 | The custom hostname was not found."
    if (!record) return refuse(404, 1436, 'The custom hostname was not found.');
    if (method === 'GET') {
      // The certificate moves on from `initializing` by itself; later steps wait for the customer's
      // DNS. Its validation token exists only once the certificate is ordered: Cloudflare's TXT
      // validation guide fetches `ssl.validation_records` with a GET after the creation, and the
      // creation examples show `"status": "initializing"` without them. The fake takes the stricter
      // reading: never in the POST answer, always by the first GET.
      if (record.ssl.status === 'initializing') {
        record.ssl.status = 'pending_validation';
        record.ssl.validation_records = record.pendingValidation;
      }
      return cfEnvelope(200, withoutFakeState(record));
    }
    if (method === 'DELETE') {
      delete this.records[id];
      // Success table: "DELETE | 200 OK"; the result is `{"id": "…"}`.
      return cfEnvelope(200, { id });
    }
    return refuse(400, 7000, 'No route for that URI');
  }

  private create(body: unknown): CfAnswer {
    // "400 | 1400 | Unable to decode the JSON request body."
    if (typeof body !== 'object' || body === null) return refuse(400, 1400, 'Unable to decode the JSON request body.');
    const { hostname, ssl } = body as { hostname?: unknown; ssl?: { method?: unknown; type?: unknown } };
    const refusal = hostnameRefusal(hostname);
    if (refusal) return refusal;
    const name = (hostname as string).toLowerCase();
    if (ssl !== undefined) {
      // "400 | 1440 | Both validation type and validation method are required."
      if (!ssl || ssl.method === undefined || ssl.type === undefined)
        return refuse(400, 1440, 'Both validation type and validation method are required.');
      // "400 | 1432 | The validation method is not supported. Only http, email, or txt are accepted."
      if (!['http', 'txt', 'email'].includes(String(ssl.method)))
        return refuse(400, 1432, 'The validation method is not supported. Only http, email, or txt are accepted.');
      // "400 | 1433 | The validation type is not supported. Only 'dv' is accepted."
      if (ssl.type !== 'dv') return refuse(400, 1433, "The validation type is not supported. Only 'dv' is accepted.");
    }
    // "409 | 1406 | Duplicate custom hostname found."
    if (this.byHostname(name)) return refuse(409, 1406, 'Duplicate custom hostname found.');
    const method = (ssl?.method as 'http' | 'txt' | 'email' | undefined) ?? 'http';
    const id = crypto.randomUUID();
    const token = crypto.randomUUID().replaceAll('-', '');
    const record: CfCustomHostname = {
      id,
      hostname: name,
      status: 'pending',
      ssl: {
        id: crypto.randomUUID(),
        type: 'dv',
        method,
        status: 'initializing',
        bundle_method: 'ubiquitous',
        wildcard: false,
        certificate_authority: 'google',
        settings: {},
      },
      pendingValidation:
        method === 'txt'
          ? [{ txt_name: `_acme-challenge.${name}`, txt_value: token }]
          : [{ http_url: `http://${name}/.well-known/pki-validation/ca3-${token}.txt`, http_body: `ca3-${token}` }],
      ownership_verification: { type: 'txt', name: `_cf-custom-hostname.${name}`, value: crypto.randomUUID() },
      ownership_verification_http: {
        http_url: `http://${name}/.well-known/cf-custom-hostname-challenge/${id}`,
        http_body: crypto.randomUUID(),
      },
      // The pre-validation example's error until the customer's CNAME is in place.
      verification_errors: ['custom hostname does not CNAME to this zone.'],
      created_at: new Date().toISOString(),
    };
    this.records[id] = record;
    // Success table: "POST | 201 Created".
    return cfEnvelope(201, withoutFakeState(record));
  }
}
