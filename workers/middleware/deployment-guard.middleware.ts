/**
 * Outside development, a deployment whose configuration would hand out localhost media links or run
 * without its secrets does not serve: every route but /health answers 503 `misconfigured` naming
 * what is wrong (names, never values), and the problems are logged once per isolate. Nothing is
 * accepted, so Meta and Genesys keep their webhooks and send them again once the deploy is fixed.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Env } from '../env';
import { secretProblems, settingsProblems } from '../domain/deployment-check';
import { log } from '../lib/log';

const checked = new WeakMap<object, string[]>();

/** What stops this deployment from serving; empty when it may. */
export function deploymentProblems(env: Env): string[] {
  let problems = checked.get(env);
  if (!problems) {
    problems = [...settingsProblems(env), ...secretProblems(env, env.ENVIRONMENT)];
    if (problems.length > 0)
      log.error('deployment.misconfigured', { environment: env.ENVIRONMENT ?? null, problems: problems.join('; ') });
    checked.set(env, problems);
  }
  return problems;
}

export const deploymentGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const problems = deploymentProblems(c.env);
  if (problems.length === 0 || c.req.path === '/health') return next();
  return c.json(
    { error: { code: 'misconfigured', message: 'this deployment is not configured to serve', problems } },
    503,
  );
};
