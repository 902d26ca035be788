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
 * Where the isolate's time went: by entry point (the outermost named JavaScript frame of each
 * sample — `fetch` for HTTP requests, `queue` for consumer batches, a Durable Object method for an
 * RPC or alarm) and by function (self time). Idle time is the isolate waiting for work.
 */
export function summarizeProfile(profile, top = 12) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const label = (n) => n.callFrame.functionName || '(anonymous)';
  const entryOf = new Map();
  const entry = (id) => {
    if (entryOf.has(id)) return entryOf.get(id);
    const chain = [];
    for (let at = id; at !== undefined; at = parent.get(at)) chain.push(byId.get(at));
    chain.reverse(); // root first
    const special = chain.find((n) => /^\((idle|program|garbage collector)\)$/.test(n.callFrame.functionName));
    const named = chain.find((n) => n.callFrame.functionName && n.callFrame.functionName !== '(root)');
    const result = special ? special.callFrame.functionName : named ? label(named) : '(anonymous)';
    entryOf.set(id, result);
    return result;
  };
  const byEntry = new Map();
  const bySelf = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const e = entry(id);
    byEntry.set(e, (byEntry.get(e) ?? 0) + us);
    const self = `${label(byId.get(id))} ${byId.get(id).callFrame.url.split('/').pop()}`;
    bySelf.set(self, (bySelf.get(self) ?? 0) + us);
  });
  const idle = byEntry.get('(idle)') ?? 0;
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), shareOfBusy: us / Math.max(1, total - idle) }));
  return {
    sampledMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byEntry: rank(new Map([...byEntry].filter(([name]) => name !== '(idle)'))),
    bySelfTime: rank(new Map([...bySelf].filter(([name]) => !name.startsWith('(idle)')))),
  };
}
