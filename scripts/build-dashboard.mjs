// Bundles the dashboard and the agent widget (TypeScript, typed against the admin API's schemas)
// into dashboard/public, the directory Cloudflare Pages serves.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export async function buildDashboard() {
  await build({
    entryPoints: { app: path.join(root, 'dashboard/src/app.ts'), widget: path.join(root, 'dashboard/src/widget.ts') },
    outdir: path.join(root, 'dashboard/public'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await buildDashboard();
