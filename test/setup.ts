import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Safe to run for every test file: applied migrations are skipped.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
