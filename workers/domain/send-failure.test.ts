import { describe, expect, it } from 'vitest';
import { explainSendFailure } from './send-failure';

describe('why an agent message failed, in plain words', () => {
  const template = { name: 'order_update', language: 'en_US' };
  it('template errors name the template and its language', () => {
    for (const waCode of [132000, 132001, 132005, 132012]) {
      const reason = explainSendFailure({ waCode, detail: `${waCode}: x`, retryable: false }, template);
      expect(reason.code).toBe('InvalidMessageStructure');
      expect(reason.message).toContain('template "order_update" (en_US)');
      expect(reason.message).toContain(`(WhatsApp ${waCode}: x)`);
    }
  });

  it('window, destination, opt-out, media and limits map to the Genesys receipt codes', () => {
    const code = (waCode: number | undefined, retryable = false) =>
      explainSendFailure({ ...(waCode ? { waCode } : {}), detail: 'd', retryable }).code;
    expect(code(131047)).toBe('MessageNotAllowed');
    expect(code(131026)).toBe('InvalidDestination');
    expect(code(131050)).toBe('RecipientOptedOut');
    expect(code(131053)).toBe('MediaTypeNotAllowed');
    expect(code(130429, true)).toBe('RateLimited');
    expect(code(131000, true)).toBe('ServerError');
    expect(code(131049)).toBe('GeneralError');
  });
});
