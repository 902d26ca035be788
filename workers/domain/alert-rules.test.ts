import { describe, expect, it } from 'vitest';
import { channelUrlAllowed } from '../clients/alert-webhook.client';
import { type AlertSignals, evaluateAlerts, HOUR_MS, silenceThresholdMs, usualGapMs } from './alert-rules';

const thresholds = { backlogAgeMs: 15 * 60_000, signatureFailures: 50, silenceFactor: 3, silenceMinMs: HOUR_MS };
const quiet: AlertSignals = {
  whatsappCredential: 'ok',
  genesysAuth: [],
  genesysRejections: { count: 0, lastCode: null },
  deadLetters: 0,
  signatureFailures: 0,
  backlogOldestAt: null,
  arrivals: { lastAt: null, hours: [] },
};
const hourly = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i * HOUR_MS);

describe('webhook_silent: the usual gap', () => {
  it('is an hour for a tenant with webhooks every hour, so silence past 3 h fires', () => {
    const hours = hourly(0, 7 * 24);
    expect(usualGapMs(hours)).toBe(HOUR_MS);
    expect(silenceThresholdMs(hours, thresholds)).toBe(3 * HOUR_MS);
    const lastAt = hours.at(-1)! + 30 * 60_000;
    const at = (silentMs: number) =>
      evaluateAlerts({ ...quiet, arrivals: { lastAt, hours } }, thresholds, lastAt + silentMs).webhook_silent;
    expect(at(3 * HOUR_MS)).toBeNull();
    expect(at(3 * HOUR_MS + 1)).toMatch(/no webhook from Meta for 180 min/);
  });

  it('allows the longest quiet of the week, so recurring nights and weekends do not fire', () => {
    const day = 24 * HOUR_MS;
    // Office hours (9 to 17) every day: the nights are a tenth of the gaps at most.
    const everyDay = Array.from({ length: 7 }, (_, d) => hourly(d * day + 9 * HOUR_MS, 9)).flat();
    expect(usualGapMs(everyDay)).toBe(HOUR_MS);
    expect(silenceThresholdMs(everyDay, thresholds)).toBe(16 * HOUR_MS);
    // Closed on the weekend: Friday 17:00 to Monday 09:00.
    const weekdays = [0, 1, 2, 3, 4].flatMap((d) => hourly(d * day + 9 * HOUR_MS, 9));
    expect(silenceThresholdMs(weekdays, thresholds)).toBe(16 * HOUR_MS);
    const twoWeeks = [...weekdays, ...[7, 8].flatMap((d) => hourly(d * day + 9 * HOUR_MS, 9))];
    expect(silenceThresholdMs(twoWeeks, thresholds)).toBe(64 * HOUR_MS);
  });

  it('has no baseline below 24 hours with webhooks, so silence alone never fires', () => {
    const hours = hourly(0, 23);
    expect(usualGapMs(hours)).toBeNull();
    expect(
      evaluateAlerts({ ...quiet, arrivals: { lastAt: hours.at(-1)!, hours } }, thresholds, 100 * 24 * HOUR_MS)
        .webhook_silent,
    ).toBeNull();
  });
});

describe('the other rules', () => {
  it('fire on their thresholds, and nothing fires for a quiet tenant', () => {
    const now = 1_000 * HOUR_MS;
    expect(Object.values(evaluateAlerts(quiet, thresholds, now)).every((v) => v === null)).toBe(true);
    const loud = evaluateAlerts(
      {
        ...quiet,
        whatsappCredential: 'broken',
        genesysAuth: [{ client: 'default', since: now, code: 'genesys_login_unauthorized' }],
        deadLetters: 2,
        signatureFailures: 50,
        backlogOldestAt: now - 15 * 60_000 - 1,
      },
      thresholds,
      now,
    );
    expect(loud).toMatchObject({
      whatsapp_credential: expect.stringContaining('190'),
      genesys_auth: expect.stringContaining('client default (genesys_login_unauthorized)'),
      dead_letters: expect.stringContaining('2 message(s)'),
      signature_failures: expect.stringContaining('50 webhooks'),
      backlog: expect.stringContaining('waited 15 min'),
      webhook_silent: null,
    });
    expect(evaluateAlerts({ ...quiet, signatureFailures: 49 }, thresholds, now).signature_failures).toBeNull();
    expect(evaluateAlerts({ ...quiet, backlogOldestAt: now - 15 * 60_000 }, thresholds, now).backlog).toBeNull();
  });
});

describe('channel URLs', () => {
  it('must be https outside development', () => {
    expect(channelUrlAllowed('production', 'https://hooks.slack.com/x')).toBe(true);
    expect(channelUrlAllowed('production', 'http://hooks.example.com/x')).toBe(false);
    expect(channelUrlAllowed('staging', 'http://hooks.example.com/x')).toBe(false);
    expect(channelUrlAllowed(undefined, 'http://localhost:9000/x')).toBe(true);
    expect(channelUrlAllowed('development', 'http://localhost:9000/x')).toBe(true);
  });
});
