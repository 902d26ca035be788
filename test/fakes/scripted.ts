/** Scripted failures for a fake upstream: the next N matching requests get this answer instead. */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (until the client's timeout aborts). */
  hang?: boolean;
  /** Answer after this long (a slow upstream; shorter than the client's timeout). */
  delayMs?: number;
  /** Hold the answer until the test opens this latch. */
  latch?: Latch;
}

/**
 * Holds a scripted answer until the test opens it, so the test can act while a request is in
 * flight. Flags, polled on timers, rather than promises: a promise the test resolved would run the
 * fake's continuation in the test's context, and an upstream call made from a Durable Object may
 * only be answered in that object's context (and the other way round).
 */
export class Latch {
  /** The request reached the fake and is being held. */
  arrived = false;
  private opened = false;

  open(): void {
    this.opened = true;
  }

  /** Waits until the test opens the latch, or the client gives up (`signal`), whichever comes first. */
  async pass(signal?: AbortSignal | null): Promise<void> {
    this.arrived = true;
    while (!this.opened && !signal?.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export class Script {
  private answers: Array<{ match: RegExp; answer: ScriptedAnswer; times: number }> = [];

  push(match: RegExp, answer: ScriptedAnswer, times = 1): void {
    this.answers.push({ match, answer, times });
  }

  take(path: string): ScriptedAnswer | undefined {
    const entry = this.answers.find((a) => a.match.test(path) && a.times > 0);
    if (!entry) return undefined;
    entry.times--;
    return entry.answer;
  }

  /** How many scripted answers are still to be given (one is taken when its request arrives). */
  left(): number {
    return this.answers.reduce((n, a) => n + a.times, 0);
  }

  clear(): void {
    this.answers = [];
  }
}

/** The longest a `hang` answer holds a request whose client never gives up. */
const HANG_CAP_MS = 15_000;

export async function answer(a: ScriptedAnswer, signal?: AbortSignal | null): Promise<Response> {
  if (a.latch) await a.latch.pass(signal);
  if (a.hang) {
    // Hold the request until the client gives up; what we answer then is never read. A signal
    // already aborted (the client gave up while the request was still being routed) or none at all
    // must not hold it for ever: an unsettled promise in a Durable Object can stall the test run.
    await new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
      setTimeout(resolve, HANG_CAP_MS);
    });
    return new Response(null, { status: 499 });
  }
  if (a.delayMs) await new Promise((resolve) => setTimeout(resolve, a.delayMs));
  return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
    status: a.status,
    headers: { 'content-type': 'application/json', ...a.headers },
  });
}
