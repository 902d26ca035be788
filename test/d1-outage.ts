/**
 * A D1 outage produced in the real local database, not a mock: triggers that abort every write to
 * the tables the delivery path records into, for the given tenants only (test files may share the
 * database), until `end()` drops them.
 */
import { env } from 'cloudflare:workers';

const RECORDED_TABLES = ['failed_messages', 'dead_letters', 'conversations', 'metrics_hourly'] as const;

export interface D1Outage {
  end(): Promise<void>;
}

export async function d1Outage(tenantIds: string[]): Promise<D1Outage> {
  const tag = crypto.randomUUID().replaceAll('-', '').slice(0, 12);
  const list = tenantIds.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ');
  const names: string[] = [];
  const statements = RECORDED_TABLES.flatMap((table) =>
    (['INSERT', 'UPDATE', 'DELETE'] as const).map((op) => {
      const name = `outage_${tag}_${table}_${op.toLowerCase()}`;
      names.push(name);
      const row = op === 'DELETE' ? 'OLD' : 'NEW';
      return env.DB.prepare(
        `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} WHEN ${row}.tenant_id IN (${list}) BEGIN SELECT RAISE(ABORT, 'D1 unavailable (test outage)'); END`,
      );
    }),
  );
  await env.DB.batch(statements);
  return {
    end: async () => {
      await env.DB.batch(names.map((name) => env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`)));
    },
  };
}
