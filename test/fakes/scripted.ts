/** Scripted failures for a fake upstream: the next N matching requests get this answer instead. */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (until the client's timeout aborts). */
  hang?: boolean;
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

  clear(): void {
    this.answers = [];
  }
}

export async function answer(a: ScriptedAnswer, signal?: AbortSignal | null): Promise<Response> {
  if (a.hang) {
    // Hold the request until the client gives up; what we answer then is never read.
    await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
    return new Response(null, { status: 499 });
  }
  return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
    status: a.status,
    headers: { 'content-type': 'application/json', ...a.headers },
  });
}
