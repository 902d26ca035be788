/**
 * Structured JSON log lines. Callers pass curated fields only: ids and codes, never message
 * bodies or secrets. Phone numbers are masked to their last four digits.
 */

type Fields = Record<string, string | number | boolean | undefined | null>;

export function maskPhone(phone: string | undefined): string | undefined {
  if (!phone) return phone;
  return phone.length <= 4 ? '****' : `${'*'.repeat(phone.length - 4)}${phone.slice(-4)}`;
}

function write(level: 'info' | 'warn' | 'error', event: string, fields: Fields): void {
  const line = JSON.stringify({ level, event, ts: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  info: (event: string, fields: Fields = {}) => write('info', event, fields),
  warn: (event: string, fields: Fields = {}) => write('warn', event, fields),
  error: (event: string, fields: Fields = {}) => write('error', event, fields),
};
