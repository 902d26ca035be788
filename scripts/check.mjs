// `npm run check`: what must hold before a deploy, and what `npm test` runs first.
// 1. One runtime: the tests run on the workerd of the wrangler that @cloudflare/vitest-pool-workers
//    bundles; `wrangler dev` and deploy use the project's wrangler. They must be the same release, or
//    the tests prove things about a runtime we never ship (e.g. `new Function` allowed in one only).
// 2. Types: the Worker, the e2e tests and the dashboard typecheck.
// 3. Every environment bundles (`wrangler deploy --dry-run` per environment, failing on any warning) and
//    staging/production carry no development values: scripts/deploy-check.mjs, also `npm run deploy:check`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const read = (file) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));
const fail = (message) => {
  console.error(`[check] ${message}`);
  process.exit(1);
};

const projectWrangler = read('node_modules/wrangler/package.json').version;
const poolWrangler = read('node_modules/@cloudflare/vitest-pool-workers/package.json').dependencies.wrangler;
if (poolWrangler !== projectWrangler) {
  fail(
    `the tests' runtime differs from the deployed one: vitest-pool-workers is built on wrangler ${poolWrangler}, the project uses ${projectWrangler}. Pin the pool release built on the project's wrangler.`,
  );
}
console.log(`[check] one runtime: wrangler ${projectWrangler} for tests, dev and deploy`);

// Webhook budgets: one Rate Limiting binding per throughput tier of workers/domain/webhook-budget.ts,
// each allowing at least 4 × tier × 60 webhooks a minute, or Meta's legitimate traffic would be refused.
const tiers = readFileSync(path.join(root, 'workers/domain/webhook-budget.ts'), 'utf8')
  .match(/WEBHOOK_TIERS = \[([\d, ]+)\]/)?.[1]
  ?.split(',')
  .map(Number);
if (!tiers) fail('workers/domain/webhook-budget.ts no longer declares WEBHOOK_TIERS = [...]');
const limits = new Map(
  [
    ...readFileSync(path.join(root, 'wrangler.toml'), 'utf8').matchAll(
      /name = "WEBHOOK_RATE_LIMIT_(\d+)"[^[]*?simple = \{ limit = (\d+), period = (\d+) \}/g,
    ),
  ].map(([, tier, limit, period]) => [Number(tier), { limit: Number(limit), period: Number(period) }]),
);
for (const tier of tiers) {
  const binding = limits.get(tier);
  if (!binding) fail(`wrangler.toml has no [[ratelimits]] WEBHOOK_RATE_LIMIT_${tier}`);
  if (binding.period !== 60 || binding.limit < 4 * tier * 60)
    fail(`WEBHOOK_RATE_LIMIT_${tier} must allow at least ${4 * tier * 60} webhooks per 60 s (4 × ${tier} mps × 60)`);
}
console.log(`[check] webhook budgets: ${tiers.map((t) => `${t} mps → ${limits.get(t).limit}/min`).join(', ')}`);

for (const project of ['.', 'test/e2e', 'dashboard']) {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project], {
    cwd: root,
    stdio: 'inherit',
  });
}
console.log('[check] types: Worker, e2e tests and dashboard');

// 3. Every environment bundles without a warning, and staging/production carry no development values.
await import('./deploy-check.mjs');
