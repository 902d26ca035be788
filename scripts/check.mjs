// `npm run check`: what must hold before a deploy, and what `npm test` runs first.
// 1. One runtime: the tests run on the workerd of the wrangler that @cloudflare/vitest-pool-workers
//    bundles; `wrangler dev` and deploy use the project's wrangler. They must be the same release, or
//    the tests prove things about a runtime we never ship (e.g. `new Function` allowed in one only).
// 2. Types: the Worker, the e2e tests and the dashboard typecheck.
// 3. The Worker bundles: `wrangler deploy --dry-run` exits 0 even with warnings, so any warning fails here.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

for (const project of ['.', 'test/e2e', 'dashboard']) {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project], {
    cwd: root,
    stdio: 'inherit',
  });
}
console.log('[check] types: Worker, e2e tests and dashboard');

const outdir = mkdtempSync(path.join(tmpdir(), 'bridge-dry-run-'));
const dry = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir],
  {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
  },
);
rmSync(outdir, { recursive: true, force: true });
const output = `${dry.stdout}\n${dry.stderr}`;
const warnings = output.split('\n').filter((line) => /\[WARNING\]|▲/.test(line));
if (dry.status !== 0 || warnings.length > 0) {
  console.error(output);
  fail(
    dry.status !== 0
      ? `wrangler deploy --dry-run failed (exit ${dry.status})`
      : `wrangler deploy --dry-run warned:\n${warnings.join('\n')}`,
  );
}
console.log(`[check] ${output.match(/Total Upload:.*$/m)?.[0] ?? 'bundle built'}`);
