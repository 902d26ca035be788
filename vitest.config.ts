import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `workers`: everything that runs in the Worker, inside workerd with the real bindings of
 *   wrangler.toml (local D1, KV, Queues, DOs). Only Meta, Genesys and Cloudflare's API are faked, at the HTTP
 *   boundary (test/fakes/); their hosts are the GRAPH_API_BASE / GENESYS_* / CLOUDFLARE_API_BASE overrides below.
 * - `e2e`: in Node, starts the local sandbox (bridge + simulator + dashboard, `wrangler dev`) and
 *   drives it in Debian's Chromium with playwright-core, taking screenshots.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations('migrations');
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                // The queues of wrangler.toml (no batch wait on inbound and outbound) with a 1 s retry delay.
                // Inbound once kept a 1 s batch wait: ordering across a restarted conversation object
                // (test/faults.test.ts) relied on a batch carrying a customer's burst together, because a
                // call that met the restart was retried by the queue a second later and later messages
                // overtook it (without the wait: 1 run in 8). Anchoring the reorder hold at the webhook's
                // arrival does not change that (the hold is shorter than the queue's retry delay); what does
                // is that the consumer now hands those messages over again at once with a fresh stub
                // (queues/settle.ts withFreshStub), within the hold (10 runs in 10).
                queueConsumers: {
                  outbound: {
                    maxBatchSize: 50,
                    maxBatchTimeout: 0,
                    maxRetries: 10,
                    retryDelay: 1,
                    deadLetterQueue: 'outbound-dlq',
                  },
                  'outbound-dlq': { maxBatchSize: 50, maxBatchTimeout: 0, maxRetries: 100, retryDelay: 1 },
                  inbound: {
                    maxBatchSize: 50,
                    maxBatchTimeout: 0,
                    maxRetries: 10,
                    retryDelay: 1,
                    deadLetterQueue: 'inbound-dlq',
                  },
                  'inbound-dlq': { maxBatchSize: 50, maxBatchTimeout: 1, maxRetries: 100, retryDelay: 1 },
                  activity: { maxBatchSize: 100, maxBatchTimeout: 0, maxRetries: 100, retryDelay: 1 },
                },
                // Same limiters as wrangler.toml, smaller budgets (in the same order), so a test can spend them.
                ratelimits: {
                  ADMIN_RATE_LIMIT: { namespace_id: '1001', simple: { limit: 60, period: 60 } },
                  WEBHOOK_RATE_LIMIT_80: { namespace_id: '1002', simple: { limit: 100, period: 60 } },
                  WEBHOOK_RATE_LIMIT_250: { namespace_id: '1003', simple: { limit: 300, period: 60 } },
                  WEBHOOK_RATE_LIMIT_500: { namespace_id: '1004', simple: { limit: 600, period: 60 } },
                  WEBHOOK_RATE_LIMIT_1000: { namespace_id: '1005', simple: { limit: 1200, period: 60 } },
                },
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  MASTER_KEY: 'dGVzdC1vbmx5LW1hc3Rlci1rZXktMzItYnl0ZXMtISE=',
                  ADMIN_API_TOKEN: 'test-operator-token',
                  PUBLIC_BASE_URL: 'https://bridge.test',
                  BASE_DOMAIN: 'bridge.test',
                  GRAPH_API_BASE: 'https://graph.fake',
                  GENESYS_API_BASE: 'https://api.genesys.fake',
                  GENESYS_LOGIN_BASE: 'https://login.genesys.fake',
                  CLOUDFLARE_API_BASE: 'https://api.cloudflare.fake/client/v4',
                  CLOUDFLARE_SAAS_ZONE_ID: '023e105f4ecef8ad9ca31a8372d0c353',
                  CLOUDFLARE_SAAS_API_TOKEN: 'test-cloudflare-token',
                  INBOUND_REORDER_MS: '150',
                  RETRY_BASE_MS: '20',
                  MAX_DELIVERY_ATTEMPTS: '4',
                  ACTIVITY_REPORT_MS: '100',
                  // A dead letter D1 refuses is parked in KV after three one-second retries.
                  DEAD_LETTER_RETRY_BASE_MS: '1000',
                  DEAD_LETTER_RETRY_CAP_MS: '1000',
                  DEAD_LETTER_MAX_ATTEMPTS: '3',
                  UPSTREAM_TIMEOUT_MS: '2000',
                  // Genesys' 300 requests per token counted over 6 s instead of a minute (the tenant
                  // gate and the fake Genesys share it), so a test can spend a window and see it end.
                  GENESYS_WINDOW_MS: '6000',
                  PAIR_INTERVAL_MS: '300',
                  PAIR_BURST: '3',
                  // Every forged webhook reported to the tenant gate at once, and a spike at 5 of them,
                  // so test/alerts.test.ts can cross the threshold with a few requests.
                  ALERT_SIGNATURE_FLUSH_MS: '0',
                  ALERT_SIGNATURE_FAILURES: '5',
                },
              },
            }),
          ],
          test: {
            name: 'workers',
            setupFiles: ['./test/setup.ts'],
            include: ['test/*.test.ts', 'workers/**/*.test.ts', 'durable-objects/**/*.test.ts'],
            testTimeout: 20_000,
          },
        },
        {
          test: {
            name: 'e2e',
            environment: 'node',
            // Each file starts its own sandbox; one at a time keeps two cores from thrashing.
            fileParallelism: false,
            include: ['test/e2e/**/*.e2e.test.ts'],
            testTimeout: 240_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});
