/** How Meta's error answers (its own example bodies) are classified for the retry policy. */
import { describe, expect, it } from 'vitest';
import { classifyGraphError } from './whatsapp.client';
import malformed from '../../test/fixtures/meta/send/error_100_malformed_request.json';
import throughput from '../../test/fixtures/meta/send/error_130429_throughput_example_response.json';
import templateMissing from '../../test/fixtures/meta/send/error_132000_template_not_found.json';
import expired from '../../test/fixtures/meta/send/error_190_463_with_fbtrace.json';
import rateLimit from '../../test/fixtures/meta/send/error_4_rate_limit.json';

const classify = (status: number, body: unknown) => classifyGraphError(status, JSON.stringify(body), 6000);

describe("Meta's error answers", () => {
  it('190 (expired or revoked token) is its own kind: the number is held, not retried', () => {
    expect(classify(401, expired)).toMatchObject({ kind: 'unauthorized', waCode: 190, code: 'whatsapp_190' });
  });

  it('throughput (130429) and app rate limits (4) are retried; the pair rate waits one pair interval', () => {
    expect(classify(400, throughput)).toMatchObject({
      kind: 'retryable',
      waCode: 130429,
      detail: expect.stringContaining('throughput has been reached'),
    });
    expect(classify(400, rateLimit)).toMatchObject({ kind: 'retryable', waCode: 4 });
    expect(classify(400, { error: { code: 131056, message: 'pair rate' } })).toMatchObject({
      kind: 'retryable',
      retryAfterMs: 6000,
    });
  });

  it('refusals of the content are final: malformed requests, template errors, 131047', () => {
    expect(classify(400, malformed)).toMatchObject({ kind: 'permanent', waCode: 100 });
    expect(classify(404, templateMissing)).toMatchObject({ kind: 'permanent', waCode: 132000 });
    expect(classify(400, { error: { code: 131047, message: 'Re-engagement message' } })).toMatchObject({
      kind: 'permanent',
    });
  });

  it('any 5xx is retried, whatever the code; a body that is not Graph JSON is classified by status', () => {
    expect(classify(500, { error: { code: 131026, message: 'x' } })).toMatchObject({ kind: 'retryable' });
    expect(classifyGraphError(502, '<html>bad gateway</html>', 6000)).toMatchObject({
      kind: 'retryable',
      code: 'whatsapp_502',
    });
    expect(classifyGraphError(400, 'nope', 6000)).toMatchObject({ kind: 'permanent', code: 'whatsapp_400' });
  });

  it('a Retry-After, in seconds or as an HTTP date, sets the wait of a retried answer; a 429 is always retried', () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const unavailable = { error: { code: 131016, message: 'Service unavailable' } };
    expect(classifyGraphError(503, JSON.stringify(unavailable), 6000, inTwoMinutes)).toMatchObject({
      kind: 'retryable',
      retryAfterMs: expect.closeTo(120_000, -4),
    });
    expect(classifyGraphError(429, '<html>slow down</html>', 6000, '30')).toMatchObject({
      kind: 'retryable',
      retryAfterMs: 30_000,
    });
    expect(classifyGraphError(429, JSON.stringify({ error: { code: 100, message: 'x' } }), 6000, '30')).toMatchObject({
      kind: 'retryable',
      retryAfterMs: 30_000,
    });
    expect(classify(400, { error: { code: 131056, message: 'pair rate' } })).toMatchObject({ retryAfterMs: 6000 });
    expect(classifyGraphError(400, JSON.stringify({ error: { code: 131056 } }), 6000, '60')).toMatchObject({
      retryAfterMs: 60_000,
    });
    expect(classifyGraphError(400, JSON.stringify(malformed), 6000, '30')).not.toHaveProperty('retryAfterMs');
  });
});
