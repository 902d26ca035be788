/**
 * Moves dead letters that were parked in KV while D1 refused them (lib/parked-dead-letters.ts)
 * into D1, where operators list and replay them.
 */
import { restoreParkedDeadLetters } from '../lib/parked-dead-letters';
import type { ScheduledJob } from './jobs';

export const parkedDeadLettersJob: ScheduledJob = {
  name: 'parked-dead-letters',
  run: async (env) => ({ moved: await restoreParkedDeadLetters(env) }),
};
