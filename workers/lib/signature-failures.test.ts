import { describe, expect, it } from 'vitest';
import { SignatureFailureCounter } from './signature-failures';

describe('SignatureFailureCounter', () => {
  it('reports the first forged request at once, then at most once per interval with everything counted since', () => {
    const counter = new SignatureFailureCounter(10_000);
    expect(counter.add('t1', 0)).toBe(1);
    for (let i = 1; i <= 500; i++) expect(counter.add('t1', i * 10)).toBe(0);
    expect(counter.add('t1', 10_000)).toBe(501);
    expect(counter.add('t1', 10_001)).toBe(0);
  });

  it('counts each tenant on its own', () => {
    const counter = new SignatureFailureCounter(10_000);
    expect(counter.add('t1', 0)).toBe(1);
    expect(counter.add('t2', 1)).toBe(1);
    expect(counter.add('t1', 2)).toBe(0);
  });
});
