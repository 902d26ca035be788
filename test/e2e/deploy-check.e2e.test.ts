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

function deployCheck(config: string) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'deploy-check-')), 'wrangler.toml');
  writeFileSync(file, config);
  return spawnSync(process.execPath, ['scripts/deploy-check.mjs', '--config', file], { encoding: 'utf8' });
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
});
