/**
 * One per tenant: the single door to that tenant's Genesys org and WhatsApp number.
 *
 * - Token single-flight. Conversation objects may run anywhere; when the token expires, a KV-only
 *   cache would let each of them fetch a new one at once. Here concurrent callers share one
 *   in-flight token request, and the result is also kept in the gate's storage (so a restarted gate
 *   does not ask Genesys again) until shortly before it expires.
 * - Rate limit. Genesys allows 300 requests per minute per token; the gate hands out permits in
 *   short leases from a sliding window (genesys-budget.ts) and tells callers how long to wait when
 *   it is spent. The token comes with the lease.
 * - Token pool. Each further OAuth client of the tenant has a gate object of its own, of this same
 *   class, named by domain/genesys-pool.ts budgetShardName: it keeps only that client's token and
 *   budget (its WhatsApp part is never used). Only the Genesys budget is split this way: Genesys
 *   counts per token, so one object per client is where each budget is counted exactly once, while
 *   WhatsApp's limits and holds belong to the number, whichever client its conversations use, and
 *   stay in the tenant's own gate. The tenant's gate lists every client gate ever made for it, so
 *   erasing it erases them too.
 * - WhatsApp pacing and holds, per number. Sends spend a messages-per-second budget, and inbound
 *   messages are debited from it too (Meta counts both), one call per queue batch. A hold stops
 *   every send of the number: for a while (Meta's 130429 throughput pause) or until released (a
 *   token Meta refused with 190, until a working one is set). Conversations that meet an open-ended
 *   hold register as waiters and are woken, in turn, when it is released; their messages wait
 *   without spending attempts. Holds and waiters are stored, so an evicted gate keeps them.
 * - Alert signals (tenant-gate.signals.ts): forged signatures, genuine webhook arrivals, and the
 *   token endpoint's last refusal, for the alerts job (workers/scheduled/alerts.job.ts).
 *
 * Per tenant, not global: one busy tenant never queues behind another.
 */
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../workers/env';
import { requestToken } from '../workers/clients/genesys.client';
import { forgetTenant, loadTenant, markWhatsappCredential, type Tenant } from '../workers/db/tenants.repo';
import { UpstreamError, type UpstreamFailure } from '../workers/domain/errors';
import { DEFAULT_CLIENT_ENTRY } from '../workers/domain/genesys-pool';
import { z } from 'zod';
import { refill, take, type Bucket } from '../workers/domain/token-bucket';
import { GenesysBudget } from './genesys-budget';
import { type GateAlertSignals, GateSignals } from './tenant-gate.signals';

/** Treat a token as expired this long before Genesys does, so no request races its expiry. */
const EXPIRY_MARGIN_MS = 60_000;

const CachedToken = z.object({ token: z.string(), expiresAt: z.number(), clientId: z.string() });
type CachedToken = z.infer<typeof CachedToken>;

/** What a conversation object asks of the gate that keeps one client's budget. */
export interface LeaseRequest {
  tenantId: string;
  /** The client entry whose budget this gate object keeps (DEFAULT_CLIENT_ENTRY or a pool entry id). */
  client: string;
  /** Who holds the lease: the conversation's name. */
  holder: string;
  /** Genesys calls the holder has due; the lease carries at most this many permits. */
  want: number;
  /** Permits of the holder's previous lease from this gate that it did not spend. */
  giveBack?: { leaseId: string; unused: number };
  /** Genesys answered 401 to this token: it is dropped and replaced, once, however many callers report it. */
  rejectedToken?: string;
}

/**
 * Errors do not keep their class across Durable Object RPC, so a failed token request comes back as
 * a value carrying its classification. `clientGone`: the tenant no longer has this client (removed
 * from the pool): the caller reloads the tenant and picks another.
 */
export type LeaseAnswer =
  | { ok: true; leaseId: string; permits: number; expiresAt: number; token: string }
  | { ok: false; waitMs: number }
  | { ok: false; failure: UpstreamFailure }
  | { ok: false; clientGone: true };

/** One client's budget as the admin API shows it. */
export interface BudgetUsage {
  windowMs: number;
  budget: number;
  /** Permits counted in the current window (a leased permit counts until it is spent or given back). */
  used: number;
  token: { state: 'none' | 'valid' | 'expired'; expiresAt: number | null };
}

/** Thrown inside the gate when the tenant has no client with this entry id. */
class ClientGone extends Error {}

/**
 * Where the gate keeps the tenant's Genesys access token: its own storage, not KV. Only the gate
 * ever reads it, and its storage is reachable only through this object's code, strongly consistent
 * and erased with the gate — while a KV value is readable by anyone with access to the namespace
 * (dashboard, API, `wrangler kv`) and would need the master key to be unreadable there. A restarted
 * gate still finds it, so Genesys is not asked again.
 */
const TOKEN_KEY = 'genesys-token';

/** Where earlier releases cached the token in KV, in plaintext: deleted wherever it is met, never written. */
export const tokenKvKey = (tenantId: string) => `genesys-token:${tenantId}`;

/** Why a number's sends are held. `credential`: Meta refused the token (190) until a new one is set. */
export type HoldReason = 'credential' | 'throughput' | 'suspended';
interface Hold {
  reason: HoldReason;
  /** Epoch ms the hold ends by itself; null = until released. */
  until: number | null;
}
export type WhatsappPermit = { ok: true } | { ok: false; waitMs: number; held?: HoldReason };

/** A held conversation checks again this often even if its wake-up is lost. */
export const HOLD_RECHECK_MS = 10 * 60_000;
/** A client gate that belongs to this tenant gate (erased with it). */
const shardKey = (name: string) => `budget-shard:${name}`;
/** Set on a client gate whose client was removed from the pool: it hands out nothing more. */
const RETIRED_KEY = 'retired';

/** Conversations woken per alarm run after a release. */
const WAKE_BATCH = 50;
const holdsKey = (phoneNumberId: string) => `holds:${phoneNumberId}`;
/** One key per waiting conversation, so a number with thousands of them stays within value limits. */
const waiterPrefix = (phoneNumberId: string) => `waiter:${phoneNumberId}:`;
/** The conversation name of a waiter key (phone number ids are digits; conversation names hold colons). */
const waiterName = (key: string) => key.slice(key.indexOf(':', 'waiter:'.length) + 1);
/** Keys per storage.delete() call, the runtime's limit. */
const DELETE_BATCH = 128;
/** Numbers whose waiters are being woken (released, waiters not all woken yet). */
const wakingKey = (phoneNumberId: string) => `waking:${phoneNumberId}`;

export class TenantGateDO extends DurableObject<Env> {
  private current: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  /** The client's Genesys budget (in memory: see genesys-budget.ts). */
  private genesysBudget: GenesysBudget | undefined;
  /**
   * Bumped when the token must be forgotten (erase, retire, new credentials). A refresh still
   * waiting on Genesys then finds it changed and keeps nothing: it would otherwise write a token
   * back into a gate that was just erased, or one of the old credentials into the new ones' place.
   */
  private tokenGeneration = 0;
  /** The WhatsApp number's throughput budget (messages per second, one-second burst). */
  private whatsappBucket: Bucket | undefined;
  /** Holds per phone number id, read from storage once per wake-up. */
  private holds = new Map<string, Hold[]>();
  private readonly signals = new GateSignals(this.ctx.storage);

  private async holdsOf(phoneNumberId: string): Promise<Hold[]> {
    let list = this.holds.get(phoneNumberId);
    if (!list) {
      list = (await this.ctx.storage.get<Hold[]>(holdsKey(phoneNumberId))) ?? [];
      this.holds.set(phoneNumberId, list);
    }
    const now = Date.now();
    return list.filter((h) => h.until === null || h.until > now);
  }

  private async saveHolds(phoneNumberId: string, list: Hold[]): Promise<void> {
    this.holds.set(phoneNumberId, list);
    if (list.length === 0) await this.ctx.storage.delete(holdsKey(phoneNumberId));
    else await this.ctx.storage.put(holdsKey(phoneNumberId), list);
  }

  /**
   * Permits for `count` WhatsApp sends from the number, or how long to wait. With `waiter` (the
   * conversation's name), an open-ended hold records the caller to be woken when it is released.
   */
  async acquireWhatsapp(
    count: number,
    messagesPerSecond: number,
    hold?: { phoneNumberId: string; waiter: string },
  ): Promise<WhatsappPermit> {
    const now = Date.now();
    if (hold) {
      const active = await this.holdsOf(hold.phoneNumberId);
      const open = active.find((h) => h.until === null);
      if (open) {
        await this.addWaiter(hold.phoneNumberId, hold.waiter);
        return { ok: false, waitMs: HOLD_RECHECK_MS, held: open.reason };
      }
      const timed = Math.max(0, ...active.map((h) => h.until ?? 0));
      if (timed > now) return { ok: false, waitMs: timed - now, held: active.find((h) => h.until === timed)!.reason };
    }
    const interval = 1000 / Math.max(1, messagesPerSecond);
    this.whatsappBucket = refill(this.whatsappBucket, now, Math.max(messagesPerSecond, count), interval);
    const taken = take(this.whatsappBucket, count, interval);
    if (!taken.ok) return taken;
    this.whatsappBucket = taken.bucket;
    return { ok: true };
  }

  /**
   * `count` customer messages reached the number: Meta counts them against its throughput like
   * sends, so they are taken from the same budget (the inbound consumer reports them once per
   * batch). They already happened, so they never wait; the budget may go below zero, by at most
   * one second of throughput, and later sends wait until it refills.
   */
  async debitWhatsapp(count: number, messagesPerSecond: number, arrivedAt?: number): Promise<void> {
    // The same call tells the alert rules a genuine webhook arrived (statuses too, with count 0).
    if (arrivedAt !== undefined) await this.signals.noteArrival(arrivedAt);
    if (count <= 0) return;
    const capacity = Math.max(1, messagesPerSecond);
    const bucket = refill(this.whatsappBucket, Date.now(), capacity, 1000 / capacity);
    this.whatsappBucket = { tokens: Math.max(-capacity, bucket.tokens - count), at: bucket.at };
  }

  /** Forged webhooks signed as this tenant, reported in batches by isolates (lib/signature-failures.ts). */
  async countSignatureFailures(count: number): Promise<void> {
    if (count > 0) await this.signals.addSignatureFailures(count, Date.now());
  }

  /** This gate's part of the tenant's alert signals at `now` (the tick's time). */
  async alertSignals(now: number): Promise<GateAlertSignals> {
    return this.signals.read(now);
  }

  private async addWaiter(phoneNumberId: string, waiter: string): Promise<void> {
    await this.ctx.storage.put(`${waiterPrefix(phoneNumberId)}${waiter}`, Date.now());
  }

  /** Holds the number's sends for `ms`, or until {@link releaseWhatsapp} when `ms` is null. */
  async holdWhatsapp(phoneNumberId: string, reason: HoldReason, ms: number | null): Promise<void> {
    const until = ms === null ? null : Date.now() + ms;
    const active = await this.holdsOf(phoneNumberId);
    const previous = active.find((h) => h.reason === reason);
    const longer = previous && (previous.until === null || (until !== null && previous.until > until));
    await this.saveHolds(phoneNumberId, [
      ...active.filter((h) => h.reason !== reason),
      longer ? previous : { reason, until },
    ]);
  }

  /**
   * Meta refused `failedToken` with error 190. Holds the number and marks the credential broken —
   * unless the tenant already has another token (set while that send was in flight), in which case
   * the caller should simply try again with the new one.
   */
  async holdForBrokenToken(
    tenantId: string,
    phoneNumberId: string,
    failedToken: string,
    waiter?: string,
  ): Promise<{ held: boolean }> {
    forgetTenant(tenantId);
    const tenant = await loadTenant(this.env, tenantId);
    if (!tenant || tenant.whatsapp.accessToken !== failedToken) return { held: false };
    await this.holdWhatsapp(phoneNumberId, 'credential', null);
    if (waiter) await this.addWaiter(phoneNumberId, waiter);
    if (tenant.whatsapp.credentialStatus !== 'broken') await markWhatsappCredential(this.env, tenantId, 'broken');
    return { held: true };
  }

  /**
   * Records `waiter` to be woken when the number's open-ended hold for `reason` ends (a suspended
   * tenant's conversations wait this way); answers whether such a hold is in place.
   */
  async waitForRelease(phoneNumberId: string, reason: HoldReason, waiter: string): Promise<boolean> {
    const held = (await this.holdsOf(phoneNumberId)).some((h) => h.reason === reason && h.until === null);
    if (held) await this.addWaiter(phoneNumberId, waiter);
    return held;
  }

  /**
   * Customer erasure: forgets that the conversation `conversationName` waits on any hold, under
   * every number of the tenant (a waiter key names the conversation, so it carries the customer's
   * number). Answers how many keys went. An erased conversation has nothing left to wake; one that
   * still holds messages re-checks by itself ({@link HOLD_RECHECK_MS}).
   */
  async forgetConversation(conversationName: string): Promise<number> {
    const keys: string[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.ctx.storage.list({
        prefix: 'waiter:',
        limit: 1000,
        ...(startAfter ? { startAfter } : {}),
      });
      for (const key of page.keys()) if (waiterName(key) === conversationName) keys.push(key);
      if (page.size < 1000) break;
      startAfter = [...page.keys()].at(-1);
    }
    for (let i = 0; i < keys.length; i += DELETE_BATCH) await this.ctx.storage.delete(keys.slice(i, i + DELETE_BATCH));
    return keys.length;
  }

  /** Ends a hold; conversations waiting on it are woken in turn (by the alarm, in batches). */
  async releaseWhatsapp(phoneNumberId: string, reason: HoldReason): Promise<void> {
    await this.saveHolds(
      phoneNumberId,
      (await this.holdsOf(phoneNumberId)).filter((h) => h.reason !== reason),
    );
    if ((await this.holdsOf(phoneNumberId)).some((h) => h.until === null)) return;
    await this.ctx.storage.put(wakingKey(phoneNumberId), true);
    await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const waking = await this.ctx.storage.list<boolean>({ prefix: 'waking:' });
    let more = false;
    for (const key of waking.keys()) {
      const phoneNumberId = key.slice('waking:'.length);
      const batch = await this.ctx.storage.list<number>({ prefix: waiterPrefix(phoneNumberId), limit: WAKE_BATCH });
      const names = [...batch.keys()].map((k) => k.slice(waiterPrefix(phoneNumberId).length));
      // A conversation that cannot be reached now still re-checks by itself (HOLD_RECHECK_MS).
      await Promise.allSettled(names.map((name) => this.env.CONVERSATION.getByName(name).wake()));
      await this.ctx.storage.delete([...batch.keys()]);
      if (batch.size === WAKE_BATCH) more = true;
      else await this.ctx.storage.delete(key);
    }
    if (more) await this.ctx.storage.setAlarm(Date.now());
  }

  private budget(): GenesysBudget {
    const { GENESYS_REQUESTS_PER_MINUTE: limit, GENESYS_WINDOW_MS: windowMs } = config(this.env);
    this.genesysBudget ??= new GenesysBudget(limit, windowMs);
    return this.genesysBudget;
  }

  /**
   * A lease of permits for Genesys calls, with the token to make them; or how long to wait when
   * the budget is spent. One call per lease: the holder spends the permits on its own.
   */
  async lease(request: LeaseRequest): Promise<LeaseAnswer> {
    if (await this.ctx.storage.get<boolean>(RETIRED_KEY)) return { ok: false, clientGone: true };
    const budget = this.budget();
    if (request.giveBack) budget.giveBack(request.giveBack.leaseId, request.giveBack.unused);
    const grant = budget.grant(request.holder, request.want, Date.now());
    if (!grant.ok) return grant;

    if (request.rejectedToken && this.current?.token === request.rejectedToken) {
      this.current = undefined;
      await this.ctx.storage.delete(TOKEN_KEY);
    }
    try {
      const token = await this.token(request.tenantId, request.client, request.rejectedToken);
      return { ...grant, token: token.token };
    } catch (err) {
      // No call can be made without a token: the permits were not spent.
      budget.giveBack(grant.leaseId, grant.permits);
      if (err instanceof ClientGone) return { ok: false, clientGone: true };
      if (err instanceof UpstreamError) return { ok: false, failure: err.failure };
      throw err;
    }
  }

  /** A holder gone idle gives back the permits of its lease it did not spend. */
  async giveBack(leaseId: string, unused: number): Promise<void> {
    this.budget().giveBack(leaseId, unused);
  }

  /** The client's budget and token, for the admin API. */
  async usage(): Promise<BudgetUsage> {
    const budget = this.budget();
    const now = Date.now();
    const stored = CachedToken.safeParse(await this.ctx.storage.get(TOKEN_KEY));
    const token = this.current ?? (stored.success ? stored.data : undefined);
    return {
      windowMs: budget.windowMs,
      budget: budget.limit,
      used: budget.used(now),
      token: token
        ? { state: token.expiresAt - EXPIRY_MARGIN_MS > now ? 'valid' : 'expired', expiresAt: token.expiresAt }
        : { state: 'none', expiresAt: null },
    };
  }

  /** Records a client gate of this tenant (a pool client's), so erasing this gate erases it too. */
  async addBudgetShard(name: string): Promise<void> {
    await this.ctx.storage.put(shardKey(name), Date.now());
  }

  /**
   * The client was removed from the pool: this client gate forgets its token and budget and
   * answers `clientGone` from now on (a conversation whose isolate still has the old client list
   * learns it here). It stays listed by the tenant's gate until offboarding erases both.
   */
  async retire(): Promise<void> {
    await this.forgetEverything();
    await this.ctx.storage.put(RETIRED_KEY, true);
  }

  /** New Genesys credentials: the cached token (memory and storage) belongs to the old ones. */
  async forgetToken(tenantId: string): Promise<void> {
    this.tokenGeneration++;
    this.current = undefined;
    // Callers from now on start a refresh with the new credentials rather than join one of the old.
    this.inflight = undefined;
    await this.ctx.storage.delete(TOKEN_KEY);
    await this.env.TOKENS.delete(tokenKvKey(tenantId));
    await this.signals.genesysAuthOk();
  }

  private async token(tenantId: string, client: string, rejectedToken: string | undefined): Promise<CachedToken> {
    if (this.current && this.current.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return this.current;
    // Single flight: every caller that finds no valid token awaits the same promise.
    if (!this.inflight) {
      const flight = this.refresh(tenantId, client, rejectedToken).finally(() => {
        // erase() may have let go of this flight, and another may have started since.
        if (this.inflight === flight) this.inflight = undefined;
      });
      this.inflight = flight;
    }
    return this.inflight;
  }

  private async refresh(tenantId: string, client: string, rejectedToken: string | undefined): Promise<CachedToken> {
    const generation = this.tokenGeneration;
    let tenant = await loadTenant(this.env, tenantId);
    if (tenant && !credentialsOf(tenant, client)) {
      // Perhaps added since this isolate last read the tenant.
      forgetTenant(tenantId);
      tenant = await loadTenant(this.env, tenantId);
    }
    if (!tenant)
      throw new UpstreamError({ kind: 'permanent', code: 'unknown_tenant', detail: `tenant ${tenantId} not found` });
    const credentials = credentialsOf(tenant, client);
    if (!credentials) throw new ClientGone(client);
    const { region } = tenant.genesys;
    const { clientId, clientSecret } = credentials;

    const stored = CachedToken.safeParse(await this.ctx.storage.get(TOKEN_KEY));
    if (
      stored.success &&
      stored.data.clientId === clientId &&
      stored.data.token !== rejectedToken &&
      stored.data.expiresAt - EXPIRY_MARGIN_MS > Date.now()
    ) {
      this.current = stored.data;
      return stored.data;
    }

    let response: Awaited<ReturnType<typeof requestToken>>;
    try {
      response = await requestToken(config(this.env), { region, clientId, clientSecret });
    } catch (err) {
      // A refusal (not an outage) is what the genesys_auth alert reports, until a token is granted.
      if (err instanceof UpstreamError && err.failure.kind !== 'retryable' && generation === this.tokenGeneration)
        await this.signals.genesysAuthFailed(err.failure, Date.now());
      throw err;
    }
    const fresh: CachedToken = {
      token: response.access_token,
      expiresAt: Date.now() + response.expires_in * 1000,
      clientId,
    };
    // Erased or given new credentials meanwhile: the callers that asked before get this token, but
    // the gate keeps nothing of it.
    if (generation !== this.tokenGeneration) return fresh;
    this.current = fresh;
    await this.ctx.storage.put(TOKEN_KEY, fresh);
    await this.env.TOKENS.delete(tokenKvKey(tenantId));
    await this.signals.genesysAuthOk();
    return fresh;
  }

  /**
   * Offboarding: forgets everything the gate holds — its storage (holds, waiters and whatever else
   * it keeps), its alarm, and the token, permits and budget in memory. A token request still in
   * flight keeps nothing when it ends. A token in KV ({@link tokenKvKey}) is the caller's to delete.
   */
  async erase(): Promise<void> {
    const shards = await this.ctx.storage.list<number>({ prefix: shardKey('') });
    // The client gates first: should one fail, this gate still lists it and the erase is repeated.
    await Promise.all(
      [...shards.keys()].map((key) => this.env.TENANT_GATE.getByName(key.slice(shardKey('').length)).erase()),
    );
    await this.forgetEverything();
  }

  private async forgetEverything(): Promise<void> {
    this.tokenGeneration++;
    this.current = undefined;
    this.inflight = undefined;
    this.genesysBudget?.forget();
    this.whatsappBucket = undefined;
    this.holds.clear();
    this.signals.forget();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}

/** The OAuth client of an entry: the tenant's default, or one of its pool. */
function credentialsOf(tenant: Tenant, client: string): { clientId: string; clientSecret: string } | undefined {
  if (client === DEFAULT_CLIENT_ENTRY) return tenant.genesys;
  return tenant.genesysClients.find((c) => c.id === client);
}
