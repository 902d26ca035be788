/**
 * What the tenant gate remembers for the alert rules (workers/domain/alert-rules.ts), kept in the
 * gate's storage with a copy in memory:
 *
 * - Forged webhook signatures, counted in one-minute slots for an hour. Isolates report them in
 *   bounded batches (workers/lib/signature-failures.ts), so a forger never causes a write per request.
 * - Genuine webhooks: the last one's time and the hours (7 days back from it) that had any. The
 *   inbound consumer reports them once per batch; storage is written when a new hour starts or the
 *   last time moved by a minute, so at most about once a minute.
 * - The last refusal of the Genesys token endpoint for this gate's OAuth client, until a token is
 *   granted again or the credentials change.
 */
import { HOUR_MS, SIGNATURE_WINDOW_MS, SILENCE_HISTORY_MS } from '../workers/domain/alert-rules';

const SIGNATURES_KEY = 'alert:signature-failures';
const ARRIVALS_KEY = 'alert:arrivals';
const GENESYS_AUTH_KEY = 'alert:genesys-auth';
const SLOT_MS = 60_000;
/** Slots older than this are dropped (longer than the window the rule reads). */
const SLOT_KEEP_MS = 4 * SIGNATURE_WINDOW_MS;
/** The stored last-arrival time may lag the real one by this much. */
const ARRIVAL_SAVE_MS = 60_000;

interface Arrivals {
  lastAt: number | null;
  hours: number[];
}
export interface GenesysAuthFailure {
  since: number;
  code: string;
  detail: string;
}
/** The gate's part of a tenant's alert signals at `now`. */
export interface GateAlertSignals {
  signatureFailures: number;
  arrivals: Arrivals;
  genesysAuth: GenesysAuthFailure | null;
}

export class GateSignals {
  private slots: Array<[number, number]> | undefined;
  private arrivals: (Arrivals & { savedAt: number | null }) | undefined;
  private auth: GenesysAuthFailure | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  async addSignatureFailures(count: number, at: number): Promise<void> {
    const slot = Math.floor(at / SLOT_MS) * SLOT_MS;
    const slots = ((await this.loadSlots()) ?? []).filter(([s]) => s > at - SLOT_KEEP_MS);
    const last = slots.at(-1);
    if (last && last[0] === slot) last[1] += count;
    else slots.push([slot, count]);
    this.slots = slots;
    await this.storage.put(SIGNATURES_KEY, slots);
  }

  async noteArrival(at: number): Promise<void> {
    const arrivals = await this.loadArrivals();
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
    const newHour = !arrivals.hours.includes(hour);
    if (arrivals.lastAt !== null && at <= arrivals.lastAt && !newHour) return;
    if (at > (arrivals.lastAt ?? 0)) arrivals.lastAt = at;
    if (newHour) {
      const from = arrivals.lastAt! - SILENCE_HISTORY_MS;
      arrivals.hours = [...arrivals.hours, hour].filter((h) => h >= from).sort((a, b) => a - b);
    }
    if (newHour || arrivals.savedAt === null || arrivals.lastAt! - arrivals.savedAt >= ARRIVAL_SAVE_MS) {
      arrivals.savedAt = arrivals.lastAt;
      await this.storage.put(ARRIVALS_KEY, { lastAt: arrivals.lastAt, hours: arrivals.hours });
    }
  }

  async genesysAuthFailed(failure: { code: string; detail: string }, at: number): Promise<void> {
    const previous = await this.loadAuth();
    this.auth = { since: previous?.since ?? at, code: failure.code, detail: failure.detail };
    await this.storage.put(GENESYS_AUTH_KEY, this.auth);
  }

  /** A token was granted, or the credentials changed: whatever was refused is no longer so. */
  async genesysAuthOk(): Promise<void> {
    if ((await this.loadAuth()) === null) return;
    this.auth = null;
    await this.storage.delete(GENESYS_AUTH_KEY);
  }

  async read(now: number): Promise<GateAlertSignals> {
    const slots = (await this.loadSlots()) ?? [];
    const { lastAt, hours } = await this.loadArrivals();
    return {
      signatureFailures: slots
        .filter(([s]) => s > now - SIGNATURE_WINDOW_MS && s <= now)
        .reduce((n, [, c]) => n + c, 0),
      arrivals: { lastAt, hours: [...hours] },
      genesysAuth: await this.loadAuth(),
    };
  }

  /** Storage is being erased: the copies in memory go too. */
  forget(): void {
    this.slots = undefined;
    this.arrivals = undefined;
    this.auth = undefined;
  }

  private async loadSlots(): Promise<Array<[number, number]> | undefined> {
    this.slots ??= await this.storage.get<Array<[number, number]>>(SIGNATURES_KEY);
    return this.slots;
  }

  private async loadArrivals(): Promise<Arrivals & { savedAt: number | null }> {
    if (!this.arrivals) {
      const stored = await this.storage.get<Arrivals>(ARRIVALS_KEY);
      this.arrivals = { lastAt: stored?.lastAt ?? null, hours: stored?.hours ?? [], savedAt: stored?.lastAt ?? null };
    }
    return this.arrivals;
  }

  private async loadAuth(): Promise<GenesysAuthFailure | null> {
    if (this.auth === undefined) this.auth = (await this.storage.get<GenesysAuthFailure>(GENESYS_AUTH_KEY)) ?? null;
    return this.auth;
  }
}
