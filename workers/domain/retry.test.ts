import { describe, expect, it } from 'vitest';
import { backoffMs, classifyHttp, nextStep } from './retry';

describe('which upstream answers are retried', () => {
  it.each([
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
    [408, 'retryable'],
    [401, 'unauthorized'],
    [400, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
  ])('%i is %s', (status, kind) => {
    expect(classifyHttp(status, '{}', null, 'genesys').kind).toBe(kind);
  });

  it('keeps the server-requested delay and cuts long bodies', () => {
    const failure = classifyHttp(429, 'x'.repeat(1000), '3', 'genesys');
    expect(failure).toMatchObject({ kind: 'retryable', code: 'genesys_429', retryAfterMs: 3000 });
    expect(failure.detail.length).toBeLessThan(400);
    const soon = new Date(Date.now() + 90_000).toUTCString();
    expect(classifyHttp(503, '', soon, 'genesys')).toMatchObject({ retryAfterMs: expect.closeTo(90_000, -4) });
  });
});

describe('backoff', () => {
  it('grows exponentially under full jitter, with a cap', () => {
    expect(backoffMs(1, 1000, undefined, 300_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, undefined, 300_000, () => 1)).toBe(8000);
    expect(backoffMs(30, 1000, undefined, 300_000, () => 1)).toBe(300_000);
    expect(backoffMs(4, 1000, undefined, 300_000, () => 0.5)).toBe(4000);
  });

  it('obeys Retry-After as given, beyond the backoff cap, up to an hour', () => {
    expect(backoffMs(1, 1000, 5000, 300_000, () => 0)).toBe(5000);
    expect(backoffMs(1, 1000, 20 * 60_000, 300_000, () => 0)).toBe(20 * 60_000);
    expect(backoffMs(1, 1000, 5 * 3600_000, 300_000, () => 0)).toBe(3600_000);
  });
});

describe('after a failure', () => {
  it('a permanent one fails at once; a retryable one retries until the last attempt, then is dead-lettered', () => {
    expect(nextStep({ kind: 'permanent', code: 'x', detail: '' }, 0, 4, 100)).toEqual({ kind: 'fail' });
    expect(nextStep({ kind: 'retryable', code: 'x', detail: '', retryAfterMs: 2000 }, 0, 4, 100)).toEqual({
      kind: 'retry',
      attempts: 1,
      delayMs: 2000,
    });
    expect(nextStep({ kind: 'unauthorized', code: 'x', detail: '' }, 2, 4, 100)).toMatchObject({
      kind: 'retry',
      attempts: 3,
    });
    expect(nextStep({ kind: 'retryable', code: 'x', detail: '' }, 3, 4, 100)).toEqual({
      kind: 'dead_letter',
      attempts: 4,
    });
  });
});
