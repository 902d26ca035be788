import { describe, expect, it } from 'vitest';
import { secretProblems, settingsProblems } from './deployment-check';

const production = {
  ENVIRONMENT: 'production',
  PUBLIC_BASE_URL: 'https://bridge.example.com',
  BASE_DOMAIN: 'bridge.example.com',
  DASHBOARD_ORIGINS: 'https://admin.example.com',
};

describe('what a deployment outside development must have', () => {
  it('development runs with local values', () => {
    expect(settingsProblems({ PUBLIC_BASE_URL: 'http://localhost:8787', BASE_DOMAIN: 'localhost' })).toEqual([]);
    expect(secretProblems({}, 'development')).toEqual([]);
  });

  it('a production configuration with real hosts passes', () => {
    expect(settingsProblems(production)).toEqual([]);
    expect(secretProblems({ MASTER_KEYS: 'k1:x', ADMIN_API_TOKEN: 'a'.repeat(32) }, 'production')).toEqual([]);
  });

  it('names each development value that would reach production', () => {
    expect(
      settingsProblems({
        ENVIRONMENT: 'staging',
        PUBLIC_BASE_URL: 'http://localhost:8787',
        BASE_DOMAIN: 'localhost',
        DASHBOARD_ORIGINS: 'http://localhost:8789',
        GRAPH_API_BASE: 'http://127.0.0.1:8790',
      }),
    ).toEqual([
      'PUBLIC_BASE_URL must be an https origin',
      'BASE_DOMAIN must be a real domain (or empty to turn tenant subdomains off)',
      'DASHBOARD_ORIGINS must list https origins only (http://localhost:8789)',
      'GRAPH_API_BASE must be empty outside development (the real Meta and Genesys hosts)',
    ]);
    expect(settingsProblems({ ...production, PUBLIC_BASE_URL: 'https://localhost' })).toEqual([
      'PUBLIC_BASE_URL must not point at this machine',
    ]);
  });

  it('names missing or weak secrets, never their values', () => {
    expect(secretProblems({ ADMIN_API_TOKEN: 'short' }, 'production')).toEqual([
      'secret MASTER_KEYS (or MASTER_KEY) is not set',
      'secret ADMIN_API_TOKEN is shorter than 24 characters',
    ]);
  });

  it('Cloudflare for SaaS is optional, but its API host must be the real one and its secrets come as a pair', () => {
    const secrets = { MASTER_KEYS: 'k1:x', ADMIN_API_TOKEN: 'a'.repeat(32) };
    expect(
      secretProblems({ ...secrets, CLOUDFLARE_SAAS_ZONE_ID: 'z', CLOUDFLARE_SAAS_API_TOKEN: 't' }, 'production'),
    ).toEqual([]);
    expect(secretProblems({ ...secrets, CLOUDFLARE_SAAS_ZONE_ID: 'z' }, 'production')).toEqual([
      'secrets CLOUDFLARE_SAAS_ZONE_ID and CLOUDFLARE_SAAS_API_TOKEN must be set together (or neither)',
    ]);
    expect(settingsProblems({ ...production, CLOUDFLARE_API_BASE: 'http://127.0.0.1:8790/cloudflare' })).toEqual([
      'CLOUDFLARE_API_BASE must be empty outside development (the real Cloudflare API)',
    ]);
  });
});
