import { describe, expect, it } from 'vitest';
import { parseRetryAfter, RETRY_AFTER_CAP_MS } from './retry-after';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('Retry-After (RFC 9110 §10.2.3)', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP-date in all three forms a recipient must accept', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Thu Jan  1 00:00:05 2026', now)).toBe(5000);
    expect(parseRetryAfter('thu, 01 jan 2026 00:00:30 gmt', now)).toBe(30_000);
  });

  it('a date in the past means "now"', () => {
    expect(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', now)).toBe(0);
    // Two-digit years more than 50 years ahead are read as the past century.
    expect(parseRetryAfter('Friday, 31-Dec-99 23:59:59 GMT', now)).toBe(0);
  });

  it('a server cannot make us wait longer than the cap', () => {
    expect(parseRetryAfter('999999999999999999999', now)).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', now)).toBe(RETRY_AFTER_CAP_MS);
    expect(RETRY_AFTER_CAP_MS).toBe(3600_000);
  });

  it.each([
    null,
    undefined,
    '',
    'soon',
    '-5',
    '1.5',
    '12 seconds',
    '2026-01-01T00:00:30Z',
    'Thu, 01 Jan 2026 00:00:30 UTC',
    'Thu, 31 Feb 2026 00:00:30 GMT',
    'Thu, 01 Jan 2026 24:00:00 GMT',
  ])('%j is not a Retry-After value', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
