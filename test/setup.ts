import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Safe to run for every test file: applied migrations are skipped.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Info-level log lines (one per delivery) would bury test output; warnings and errors still print.
// Tests that inspect logs install their own spies on top of this one.
import { vi } from 'vitest';
vi.spyOn(console, 'log').mockImplementation(() => {});
