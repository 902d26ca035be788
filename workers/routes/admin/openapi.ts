/**
 * What every admin route file shares: the OpenAPI app factory (a body that does not match its
 * schema is a 400 with one issue per field), the error responses, the tenant path parameter, and
 * the scoped tenant lookup every tenant route starts with.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from '../../env';
import { AppError, fieldIssues } from '../../domain/errors';
import { actorOf, assertRole, assertTenant, type AdminEnv } from '../../middleware/admin-auth.middleware';
import type { Role } from '../../auth/admin-session';
import { recordAudit } from '../../db/admin.repo';
import type { Context } from 'hono';
import { loadTenant, type Tenant } from '../../db/tenants.repo';
import { ErrorBody } from './admin.schema';

export function newAdminApp() {
  return new OpenAPIHono<AdminEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError(
          'invalid_body',
          400,
          'the request does not match the schema',
          fieldIssues(result.error.issues),
        );
      }
    },
  });
}

export type AdminApp = ReturnType<typeof newAdminApp>;

/** A JSON response of `schema`, for route definitions. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** The error responses, described once. */
export const errors = {
  400: json(ErrorBody, 'Invalid body; `issues` lists each field'),
  401: json(ErrorBody, 'Missing or invalid credentials'),
  403: json(ErrorBody, 'Role too low'),
  404: json(ErrorBody, 'No such resource for this caller'),
  429: json(ErrorBody, 'Tenant budget spent; see Retry-After'),
};

/** What any tenant route may answer besides success: no or bad credentials, too low a role, no such tenant. */
export const tenantErrors = { 401: errors[401], 403: errors[403], 404: errors[404] };
/** What a list may answer besides its page: a bad query or cursor, no or bad credentials, no such tenant. */
export const listErrors = {
  400: json(
    ErrorBody,
    'A query parameter out of range (`invalid_body`) or a cursor this list did not hand out (`invalid_cursor`)',
  ),
  401: errors[401],
  403: errors[403],
  404: errors[404],
};
/** The same, for routes that take a body. */
export const bodyErrors = { 400: errors[400], ...tenantErrors };

export const TenantParam = z.object({ tenantId: z.string().openapi({ param: { name: 'tenantId', in: 'path' } }) });

/** The tenant, when the caller's scope covers it; otherwise the same 404 as a missing one. */
export async function tenantOr404(env: Env, scope: string | null, tenantId: string): Promise<Tenant> {
  assertTenant(scope, tenantId);
  const tenant = await loadTenant(env, tenantId);
  if (!tenant) throw new AppError('not_found', 404, 'not found');
  return tenant;
}

/** D1 reports a UNIQUE violation in the message (sometimes of the cause). */
export function isUniqueViolation(err: unknown): boolean {
  const text = `${err instanceof Error ? err.message : ''} ${err instanceof Error && err.cause instanceof Error ? err.cause.message : ''}`;
  // Only a unique (or primary) key: SQLITE_CONSTRAINT alone is also a trigger's RAISE or a CHECK,
  // which is not "already exists".
  return /UNIQUE constraint failed/i.test(text);
}

type AdminContext = Context<AdminEnv>;

/** The tenant of the path, once the caller's scope covers it and their role is at least `role`. */
export async function tenantFor(c: AdminContext, tenantId: string, role?: Role): Promise<Tenant> {
  const tenant = await tenantOr404(c.env, c.get('scope'), tenantId);
  if (role) assertRole(c.get('principal'), role);
  return tenant;
}

/** Writes the audit entry of a change, naming the caller (never a secret value). */
export function audit(
  c: AdminContext,
  tenantId: string | null,
  action: string,
  target: string,
  detail?: Record<string, unknown>,
): Promise<void> {
  return recordAudit(c.env, {
    tenantId,
    actor: actorOf(c.get('principal')),
    action,
    target,
    ...(detail ? { detail } : {}),
  });
}
