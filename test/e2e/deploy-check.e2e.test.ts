/**
 * `npm run deploy:check` on wrangler configs: the project's own passes, and one that would ship a
 * development value to production fails, naming the environment and the setting.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const project = readFileSync('wrangler.toml', 'utf8');

function deployCheck(config: string, ...args: string[]) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'deploy-check-')), 'wrangler.toml');
  // Paths of the project's config resolve from the project, wherever the copy is.
  writeFileSync(
    file,
    config.replace(/^main = "([^"]+)"/m, (_, main) => `main = "${path.resolve(main)}"`),
  );
  return spawnSync(
    process.execPath,
    ['scripts/deploy-check.mjs', '--config', file, ...(args.length ? args : ['--settings-only'])],
    {
      encoding: 'utf8',
    },
  );
}

describe('npm run deploy:check', () => {
  it("passes the project's wrangler.toml", () => {
    const run = deployCheck(project);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('development, staging, production: settings pass');
  });

  it('fails on a localhost PUBLIC_BASE_URL in production, saying where and why', () => {
    const production = project.indexOf('[env.production.vars]');
    expect(production).toBeGreaterThan(0);
    const broken =
      project.slice(0, production) +
      project.slice(production).replace(/PUBLIC_BASE_URL = "[^"]*"/, 'PUBLIC_BASE_URL = "http://localhost:8787"');
    const run = deployCheck(broken);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('[deploy:check] production would not serve:');
    expect(run.stderr).toMatch(/PUBLIC_BASE_URL[^\n]*https/);
  });

  it('fails on a staging environment that forgot ENVIRONMENT', () => {
    const run = deployCheck(project.replace(/(\[env\.staging\.vars\][^[]*?)ENVIRONMENT = "staging"\n/, '$1'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('[env.staging] must set ENVIRONMENT');
  });

  it('fails when wrangler warns in the dry run: a binding not repeated in an environment', () => {
    // wrangler does not inherit bindings into an environment; the dry run exits 0 with a warning.
    const start = project.indexOf('[[env.staging.kv_namespaces]]');
    expect(start).toBeGreaterThan(0);
    const end = project.indexOf('\n[', start + 1);
    const run = deployCheck(project.slice(0, start) + project.slice(end + 1), '--env', 'staging');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('wrangler deploy --dry-run --env=staging warned:');
    expect(run.stderr).toContain('kv_namespaces');
  });

  it('passes the dry run of an environment of the project as it is', () => {
    const run = deployCheck(project, '--env', 'production');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/production: Total Upload: [\d.]+ KiB/);
  });

  it("--strict (the deploy workflow) refuses the repository's placeholders, and passes real values", () => {
    const placeholders = deployCheck(project, '--settings-only', '--strict', '--env', 'production');
    expect(placeholders.status).toBe(1);
    expect(placeholders.stderr).toContain("production still has the repository's placeholders:");
    expect(placeholders.stderr).toContain('d1_databases DB: placeholder id 00000000-0000-0000-0000-000000000000');
    expect(placeholders.stderr).toContain('routes: bridge.example.com/*');

    const real = project
      .replaceAll('00000000-0000-0000-0000-000000000000', '6f1c9a52-3b0e-4d7a-9c1e-2f4b8a7d5e31')
      .replaceAll('00000000000000000000000000000000', '4e8d2c1b9a7f6e5d4c3b2a1908f7e6d5')
      .replaceAll('example.com', 'acme-bridge.net');
    const run = deployCheck(real, '--settings-only', '--strict', '--env', 'production');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
