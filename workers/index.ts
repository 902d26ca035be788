/**
 * Entry of the bridge Worker: HTTP through the Hono app, queue batches by queue name, and the
 * Cron Trigger's jobs (workers/scheduled/jobs.ts).
 * Durable Object classes are re-exported here so wrangler binds them from this one script.
 */
import { app } from './app';
import type { Env } from './env';
import { handleActivity } from './queues/activity.handler';
import { handleInbound } from './queues/inbound.handler';
import { handleDeadLetters } from './queues/dead-letter.handler';
import { handleOutbound } from './queues/outbound.handler';
import { runScheduled } from './scheduled/jobs';

export { ConversationDO } from '../durable-objects/conversation.do';
export { TenantGateDO } from '../durable-objects/tenant-gate.do';
export { AuthGuardDO } from '../durable-objects/auth-guard.do';

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    // Queue names may carry an environment suffix (inbound-staging); match on the stem.
    if (batch.queue.startsWith('inbound-dlq')) return handleDeadLetters(batch, env, 'inbound');
    if (batch.queue.startsWith('outbound-dlq')) return handleDeadLetters(batch, env, 'outbound');
    if (batch.queue.startsWith('inbound')) return handleInbound(batch, env);
    if (batch.queue.startsWith('outbound')) return handleOutbound(batch, env);
    if (batch.queue.startsWith('activity')) return handleActivity(batch, env);
    throw new Error(`no consumer for queue ${batch.queue}`);
  },
  scheduled: runScheduled,
} satisfies ExportedHandler<Env, unknown>;
