// One way to run `wrangler dev` (or any wrangler command) as a child process and to wait until a
// local Worker answers: shared by the sandbox (npm run dev, the browser tests) and the benchmark.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');

/**
 * Starts wrangler with `args`. Its output is prefixed with `[name]` and printed, or, when `quiet`,
 * kept and printed only if the process ends with an error.
 */
export function startWrangler(name, args, { quiet = false, cwd = root } = {}) {
  const child = spawn(wrangler, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });
  let tail = '';
  const prefix = (chunk) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join('\n');
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-4000);
  };
  child.stdout.on('data', (d) => (quiet ? keep(d) : console.log(prefix(d))));
  child.stderr.on('data', (d) => (quiet ? keep(d) : console.error(prefix(d))));
  child.on('exit', (code) => {
    // 143: ended by SIGTERM, which is how the sandbox and the bench stop it.
    if (quiet && code && code !== 143) console.error(`[${name}] exited ${code}\n${tail}`);
  });
  return child;
}

/** Resolves once `url` answers below 500; rejects after `timeoutMs`. */
export async function waitUntilUp(url, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
