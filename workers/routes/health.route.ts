/**
 * GET /health: whether this deployment can do its job — D1 answers, KV answers, the queue and
 * Durable Object bindings are present. 200 when all pass, 503 with the failing check otherwise.
 * Reveals no tenant data and no configuration values.
 */
import { Hono } from 'hono';
import type { AppEnv, Env } from '../env';
import { deploymentProblems } from '../middleware/deployment-guard.middleware';

type Check = { ok: boolean; ms: number; error?: string };

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await fn();
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, error: err instanceof Error ? err.message.slice(0, 200) : 'failed' };
  }
}

const present = (binding: unknown, methods: string[]): Check => ({
  ok: !!binding && methods.every((m) => typeof (binding as Record<string, unknown>)[m] === 'function'),
  ms: 0,
});

export async function healthChecks(env: Env): Promise<Record<string, Check>> {
  const [d1, kv] = await Promise.all([
    timed(() => env.DB.prepare('SELECT 1 AS ok').first()),
    timed(() => env.TOKENS.get('health:probe')),
  ]);
  const problems = deploymentProblems(env);
  return {
    // Outside development: https origin, real domain, real vendor hosts, secrets set (names only).
    config: problems.length === 0 ? { ok: true, ms: 0 } : { ok: false, ms: 0, error: problems.join('; ') },
    d1,
    kv,
    // Sending a probe would have to be consumed somewhere; the binding's presence is what a deploy can get wrong.
    queues:
      present(env.INBOUND_QUEUE, ['send', 'sendBatch']).ok &&
      present(env.OUTBOUND_QUEUE, ['send']).ok &&
      present(env.INBOUND_DLQ, ['send']).ok &&
      present(env.OUTBOUND_DLQ, ['send']).ok
        ? { ok: true, ms: 0 }
        : { ok: false, ms: 0, error: 'a queue binding is missing' },
    durableObjects:
      present(env.CONVERSATION, ['getByName']).ok && present(env.TENANT_GATE, ['getByName']).ok
        ? { ok: true, ms: 0 }
        : { ok: false, ms: 0, error: 'a Durable Object binding is missing' },
  };
}

export const healthRoutes = new Hono<AppEnv>().get('/', async (c) => {
  const checks = await healthChecks(c.env);
  const ok = Object.values(checks).every((check) => check.ok);
  return c.json({ ok, checks }, ok ? 200 : 503);
});
