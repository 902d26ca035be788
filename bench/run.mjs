// `npm run bench`: measures the bridge in the local runtime (wrangler dev / workerd) against
// local HTTP fakes of Meta and Genesys, next to a baseline Worker that only verifies the HMAC and
// enqueues, in the same run. Prints a table and writes bench/results/<time>.json.
//
// What is measured:
//  - webhook ack latency (client → 200), bridge vs baseline, and the overhead ratio;
//  - end-to-end latency: Meta webhook in → Genesys call out; Genesys webhook in → WhatsApp send out;
//  - sustained messages/s for one tenant and for 50 tenants (webhook in → Genesys call out);
//  - Genesys calls per minute per token (must stay ≤ 300: the tenant gate's budget);
//  - the bundle wrangler would deploy.
import { execFileSync } from 'node:child_process';
import { startWrangler, waitUntilUp } from '../scripts/wrangler-process.mjs';
import { createServer } from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
const OPERATOR = 'dev-admin-token';
const PORTS = { fake: 8896, bridge: 8897, baseline: 8898 };
const BASELINE_SECRET = 'bench-app-secret-0000';
const N_LATENCY = Number(process.env.BENCH_LATENCY_N ?? 200);
const N_ONE_TENANT = Number(process.env.BENCH_ONE_TENANT_N ?? 250);
const TENANTS = 50;
const N_PER_TENANT = Number(process.env.BENCH_PER_TENANT_N ?? 40);
const N_OUTBOUND = Number(process.env.BENCH_OUTBOUND_N ?? 100);

// ===== Fake Meta + Genesys (records when each message arrives)

const arrivals = new Map(); // message id → ms
const genesysCalls = []; // { token, at }
function startFake() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status, json) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const url = req.url ?? '';
      if (url === '/login/oauth/token')
        return send(200, { access_token: `bench-${randomUUID()}`, token_type: 'bearer', expires_in: 86400 });
      if (url.includes('/inbound/open/message')) {
        const token = (req.headers.authorization ?? '').slice(7);
        genesysCalls.push({ token, at: Date.now() });
        const message = JSON.parse(body);
        arrivals.set(message.channel.messageId, Date.now());
        return send(200, {
          id: randomUUID().replaceAll('-', ''),
          channel: message.channel,
          type: 'Text',
          direction: 'Inbound',
        });
      }
      if (url.includes('/inbound/open/')) {
        genesysCalls.push({ token: (req.headers.authorization ?? '').slice(7), at: Date.now() });
        return send(200, {});
      }
      // GET /{waba-id}/phone_numbers, asked before a tenant is created: bench tenant i's account
      // 800000000000+i holds its one number 900000000000+i (see the seeding below).
      const waba = /^\/graph\/[^/]+\/(\d+)\/phone_numbers/.exec(url);
      if (waba) return send(200, { data: [{ id: String(Number(waba[1]) + 100000000000) }] });
      if (url.startsWith('/graph/') && url.endsWith('/messages')) {
        const message = JSON.parse(body);
        if (message.status === 'read') return send(200, { success: true });
        arrivals.set(message.text?.body, Date.now());
        return send(200, {
          messaging_product: 'whatsapp',
          contacts: [{ input: message.to, wa_id: message.to }],
          messages: [{ id: `wamid.BENCH${randomUUID()}` }],
        });
      }
      send(404, { error: `no fake for ${url}` });
    });
  });
  return new Promise((resolve) => server.listen(PORTS.fake, '127.0.0.1', () => resolve(server)));
}

// ===== Processes

const children = [];
function startBenchWrangler(name, args) {
  const child = startWrangler(name, args, { quiet: true });
  children.push(child);
  return child;
}

// ===== Helpers

const hmacHex = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const hmacB64 = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`;

function webhook(phoneNumberId, from, wamid, text) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Bench' }, wa_id: from }],
              messages: [
                {
                  from,
                  id: wamid,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: text },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        await fn(item);
      }
    }),
  );
}

async function waitArrivals(ids, timeoutMs = 180_000) {
  const until = Date.now() + timeoutMs;
  while (ids.some((id) => !arrivals.has(id))) {
    if (Date.now() > until)
      throw new Error(`${ids.filter((id) => !arrivals.has(id)).length} of ${ids.length} messages never arrived`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function post(url, body, headers) {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - started;
}

// ===== Run

async function main() {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'bench-'));
  const fake = await startFake();
  const fakeBase = `http://127.0.0.1:${PORTS.fake}`;
  execFileSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, CI: 'true' },
  });
  const vars = {
    PUBLIC_BASE_URL: `http://127.0.0.1:${PORTS.bridge}`,
    GRAPH_API_BASE: `${fakeBase}/graph`,
    GENESYS_API_BASE: `${fakeBase}/api`,
    GENESYS_LOGIN_BASE: `${fakeBase}/login`,
  };
  startBenchWrangler('bridge', [
    'dev',
    '--port',
    String(PORTS.bridge),
    '--inspector-port',
    '9897',
    '--persist-to',
    stateDir,
    '--show-interactive-dev-session=false',
    '--ip',
    '127.0.0.1',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ]);
  startBenchWrangler('baseline', [
    'dev',
    '-c',
    'bench/baseline/wrangler.toml',
    '--port',
    String(PORTS.baseline),
    '--inspector-port',
    '9898',
    '--persist-to',
    stateDir,
    '--show-interactive-dev-session=false',
    '--ip',
    '127.0.0.1',
  ]);
  const bridge = `http://127.0.0.1:${PORTS.bridge}`;
  const baseline = `http://127.0.0.1:${PORTS.baseline}`;
  await Promise.all([waitUntilUp(`${bridge}/health`), waitUntilUp(baseline)]);
  const reorderMs = 1000;

  // Tenants: t0 latency, t1 one-tenant throughput, t2..t51 the 50-tenant run.
  const tenants = [];
  for (let i = 0; i < TENANTS + 2; i++) {
    const body = {
      name: `Bench ${i}`,
      slug: `bench-${i}`,
      whatsapp: {
        phoneNumberId: String(900000000000 + i),
        wabaId: String(800000000000 + i),
        accessToken: `bench-token-${i}-xxxx`,
        appSecret: `bench-app-secret-${i}`,
        verifyToken: `bench-verify-${i}`,
      },
      genesys: {
        region: 'mypurecloud.com',
        clientId: `bench-client-${i}`,
        clientSecret: `bench-client-secret-${i}`,
        integrationId: randomUUID(),
        outboundWebhookSecret: `bench-outbound-secret-${i}-000000`,
      },
    };
    const res = await fetch(`${bridge}/api/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`seeding tenant ${i}: ${res.status} ${await res.text()}`);
    tenants.push({ ...body, id: (await res.json()).id });
  }

  // 1. Ack latency, bridge vs baseline (sequential, after a warm-up), and inbound end-to-end latency.
  const t0 = tenants[0];
  const warm = 10;
  for (let i = 0; i < warm; i++) {
    const wamid = `wamid.warm${i}`;
    const b = webhook(t0.whatsapp.phoneNumberId, `4479000${String(i).padStart(5, '0')}`, wamid, 'warm');
    await post(`${bridge}/webhooks/whatsapp`, b, { 'x-hub-signature-256': hmacHex(t0.whatsapp.appSecret, b) });
    await post(baseline, b, { 'x-hub-signature-256': hmacHex(BASELINE_SECRET, b) });
  }
  const ackBridge = [];
  const ackBaseline = [];
  const sentAt = new Map();
  const latencyIds = [];
  for (let i = 0; i < N_LATENCY; i++) {
    const wamid = `wamid.lat${i}`;
    const from = `4479100${String(i % 40).padStart(5, '0')}`;
    const b = webhook(t0.whatsapp.phoneNumberId, from, wamid, `latency ${i}`);
    const base = webhook(t0.whatsapp.phoneNumberId, from, `${wamid}.b`, `latency ${i}`);
    sentAt.set(wamid, Date.now());
    ackBridge.push(
      await post(`${bridge}/webhooks/whatsapp`, b, { 'x-hub-signature-256': hmacHex(t0.whatsapp.appSecret, b) }),
    );
    ackBaseline.push(await post(baseline, base, { 'x-hub-signature-256': hmacHex(BASELINE_SECRET, base) }));
    latencyIds.push(wamid);
  }
  await waitArrivals(latencyIds);
  const e2eIn = latencyIds.map((id) => arrivals.get(id) - sentAt.get(id));

  // 2. Outbound end-to-end: Genesys webhook in → WhatsApp send out (customers of t0 wrote above, so their window is open).
  const e2eOut = [];
  const outIds = [];
  await pool(
    Array.from({ length: N_OUTBOUND }, (_, i) => i),
    8,
    async (i) => {
      const text = `outbound ${i} ${randomUUID()}`;
      const message = {
        id: randomUUID().replaceAll('-', ''),
        channel: {
          id: t0.genesys.integrationId,
          platform: 'Open',
          type: 'Private',
          to: { id: `+4479100${String(i % 40).padStart(5, '0')}`, idType: 'Phone' },
          from: { id: t0.genesys.integrationId, idType: 'Opaque' },
          time: new Date().toISOString(),
        },
        type: 'Text',
        text,
        direction: 'Outbound',
      };
      const body = JSON.stringify(message);
      sentAt.set(text, Date.now());
      outIds.push(text);
      await post(`${bridge}/webhooks/genesys/${t0.id}`, body, {
        'x-hub-signature-256': hmacB64(t0.genesys.outboundWebhookSecret, body),
      });
    },
  );
  await waitArrivals(outIds);
  for (const id of outIds) e2eOut.push(arrivals.get(id) - sentAt.get(id));

  // 3. Sustained throughput, one tenant (many customers), webhook in → Genesys call out.
  async function throughput(list, perTenant, concurrency) {
    const jobs = list.flatMap((t, ti) =>
      Array.from({ length: perTenant }, (_, i) => ({
        t,
        wamid: `wamid.tp.${t.slug}.${i}`,
        from: `4479${String(ti).padStart(3, '0')}${String(i % 50).padStart(5, '0')}`,
      })),
    );
    const started = Date.now();
    await pool(jobs, concurrency, async (job) => {
      const b = webhook(job.t.whatsapp.phoneNumberId, job.from, job.wamid, 'throughput');
      await post(`${bridge}/webhooks/whatsapp`, b, { 'x-hub-signature-256': hmacHex(job.t.whatsapp.appSecret, b) });
    });
    const acked = Date.now();
    await waitArrivals(jobs.map((j) => j.wamid));
    const last = Math.max(...jobs.map((j) => arrivals.get(j.wamid)));
    return {
      messages: jobs.length,
      ackPerSecond: jobs.length / ((acked - started) / 1000),
      deliveredPerSecond: jobs.length / ((last - started) / 1000),
    };
  }
  const one = await throughput([tenants[1]], N_ONE_TENANT, 16);
  const many = await throughput(tenants.slice(2), N_PER_TENANT, 32);

  // 4. Genesys calls per minute per token (max over any 60 s window).
  const byToken = new Map();
  for (const call of genesysCalls) byToken.set(call.token, [...(byToken.get(call.token) ?? []), call.at]);
  let maxPerMinute = 0;
  for (const times of byToken.values()) {
    times.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi] - times[lo] >= 60_000) lo++;
      maxPerMinute = Math.max(maxPerMinute, hi - lo + 1);
    }
  }

  // 5. Bundle size.
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-bundle-'));
  execFileSync(wrangler, ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, CI: 'true' },
  });
  const bundle = readdirSync(outdir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(outdir, f)));
  const bundleBytes = bundle.reduce((n, b) => n + b.length, 0);
  const bundleGzip = bundle.reduce((n, b) => n + gzipSync(b).length, 0);

  const results = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
    config: { inboundReorderMs: reorderMs, genesysRequestsPerMinute: 300, latencySamples: N_LATENCY },
    ack: {
      bridge: { p50: percentile(ackBridge, 50), p99: percentile(ackBridge, 99) },
      baseline: { p50: percentile(ackBaseline, 50), p99: percentile(ackBaseline, 99) },
      overheadP50: percentile(ackBridge, 50) / percentile(ackBaseline, 50),
      overheadP99: percentile(ackBridge, 99) / percentile(ackBaseline, 99),
    },
    endToEnd: {
      inbound: { p50: percentile(e2eIn, 50), p99: percentile(e2eIn, 99), includesReorderWindowMs: reorderMs },
      outbound: { p50: percentile(e2eOut, 50), p99: percentile(e2eOut, 99) },
    },
    throughput: { oneTenant: one, fiftyTenants: many },
    genesysCallsPerMinutePerTokenMax: maxPerMinute,
    bundle: { bytes: bundleBytes, gzipBytes: bundleGzip },
  };

  const f = (n, d = 1) => (typeof n === 'number' ? n.toFixed(d) : String(n));
  const rows = [
    [
      'webhook ack p50 (ms)',
      f(results.ack.bridge.p50),
      f(results.ack.baseline.p50),
      `${f(results.ack.overheadP50, 2)}×`,
    ],
    [
      'webhook ack p99 (ms)',
      f(results.ack.bridge.p99),
      f(results.ack.baseline.p99),
      `${f(results.ack.overheadP99, 2)}×`,
    ],
    [
      'Meta in → Genesys out p50 / p99 (ms)',
      `${f(e2eIn.length && results.endToEnd.inbound.p50, 0)} / ${f(results.endToEnd.inbound.p99, 0)}`,
      '—',
      `incl. ${reorderMs} ms reorder window`,
    ],
    [
      'Genesys in → WhatsApp out p50 / p99 (ms)',
      `${f(results.endToEnd.outbound.p50, 0)} / ${f(results.endToEnd.outbound.p99, 0)}`,
      '—',
      '',
    ],
    [
      `1 tenant: ${one.messages} msgs, acked / delivered per s`,
      `${f(one.ackPerSecond)} / ${f(one.deliveredPerSecond)}`,
      '—',
      '',
    ],
    [
      `50 tenants: ${many.messages} msgs, acked / delivered per s`,
      `${f(many.ackPerSecond)} / ${f(many.deliveredPerSecond)}`,
      '—',
      '',
    ],
    ['Genesys calls / min / token (max)', String(maxPerMinute), '—', 'budget 300'],
    ['bundle (KiB, gzip KiB)', `${f(bundleBytes / 1024)} (${f(bundleGzip / 1024)})`, '—', ''],
  ];
  const widths = [0, 1, 2, 3].map((c) =>
    Math.max(...rows.map((r) => r[c].length), ['metric', 'bridge', 'baseline', 'ratio / note'][c].length),
  );
  const line = (r) => r.map((cell, c) => cell.padEnd(widths[c])).join(' | ');
  console.log(
    `\n${line(['metric', 'bridge', 'baseline', 'ratio / note'])}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${rows.map(line).join('\n')}\n`,
  );
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  const file = path.join(root, 'bench', 'results', `${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  writeFileSync(path.join(root, 'bench', 'results', 'latest.json'), JSON.stringify(results, null, 2));
  console.log(`results: ${path.relative(root, file)}`);
  fake.close();
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
}
