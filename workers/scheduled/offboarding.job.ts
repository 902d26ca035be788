/**
 * Continues offboarding jobs (workers/erasure/offboarding.ts): a tenant too large for the run
 * its DELETE request started, a run that died, and the sweep of the day after a job is done.
 */
import { continueOffboarding } from '../erasure/offboarding';
import type { ScheduledJob } from './jobs';

export const offboardingJob: ScheduledJob = {
  name: 'offboarding',
  run: (env, _ctx, now) => continueOffboarding(env, now),
};
