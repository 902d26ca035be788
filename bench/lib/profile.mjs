// Optional CPU profile of the bridge's isolate while one scenario runs (BENCH_PROFILE=<scenario>),
// through wrangler dev's DevTools inspector (Chrome DevTools Protocol, Profiler domain). Under
// `wrangler dev` the Worker's fetch handler, its queue consumers and its Durable Objects share one
// isolate, so the profile shows how that one thread's time is split while the scenario runs.
// Needs a global WebSocket: Node ≥ 22, or Node 20 with NODE_OPTIONS=--experimental-websocket.

/** Connects to the inspector at `port`; answers { stop() → profile } once profiling runs. */
export async function startProfile(port) {
  if (typeof WebSocket === 'undefined')
    throw new Error('BENCH_PROFILE needs a global WebSocket: Node ≥ 22, or NODE_OPTIONS=--experimental-websocket');
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // The inspector proxy of wrangler accepts local origins only (it guards against DNS rebinding).
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: 'http://localhost' } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`cannot connect to the inspector at ${target.webSocketDebuggerUrl}`));
  });
  let seq = 0;
  const waiting = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id && waiting.has(message.id)) {
      waiting.get(message.id)(message);
      waiting.delete(message.id);
    }
  };
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = 100_000 + ++seq;
      waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 500 });
  await call('Profiler.start');
  return {
    async stop() {
      const { profile } = await call('Profiler.stop');
      ws.close();
      return profile;
    },
  };
}

/**
 * Where the isolate's busy time went (idle is the isolate waiting for work):
 *  - by outermost frame: what each sample was running on behalf of — `fetch` for an HTTP request,
 *    `queue` for a consumer batch, a Durable Object method for an RPC or alarm; an async function
 *    resuming after an await shows as itself;
 *  - inclusive, by named function: the share of samples with that function anywhere on the stack;
 *  - by self time.
 */
export function summarizeProfile(profile, top = 12) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const name = (n) => n.callFrame.functionName || '(anonymous)';
  // Two functions can share a name (a logger's `write` and a store's `write`): the place tells them apart.
  const where = (n) =>
    n.callFrame.url ? `${name(n)} (${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1})` : name(n);
  const stacks = new Map();
  const stackOf = (id) => {
    if (!stacks.has(id)) {
      const chain = [];
      for (let at = id; at !== undefined; at = parent.get(at)) chain.push(byId.get(at));
      stacks.set(id, chain.reverse().slice(1)); // without (root)
    }
    return stacks.get(id);
  };
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  const outermost = new Map();
  const inclusive = new Map();
  const self = new Map();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const stack = stackOf(id);
    if (stack[0]?.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    const first = stack.find((n) => n.callFrame.functionName);
    add(outermost, first ? where(first) : '(anonymous)', us);
    for (const fn of new Set(stack.filter((n) => n.callFrame.functionName).map(where)))
      if (!fn.startsWith('(')) add(inclusive, fn, us);
    add(self, where(byId.get(id)), us);
  });
  const busy = Math.max(1, total - idle);
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ name: fn, ms: Math.round(us / 1000), shareOfBusy: us / busy }));
  return {
    sampledMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byOutermostFrame: rank(outermost),
    inclusive: rank(inclusive),
    bySelfTime: rank(self),
  };
}
