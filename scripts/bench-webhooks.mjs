// Sustained verified webhooks/s and latency on the standalone app against Azurite, next to raw single-entity
// inserts/s into the same Azurite in the same run. Usage (after `npm ci` and a Release build):
//   dotnet build src/CustomerSuccess.Functions -c Release && node scripts/bench-webhooks.mjs [seconds] [connections]
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.argv[2] ?? 20);
const connections = Number(process.argv[3] ?? 32);
const account = 'devstoreaccount1';
const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='; // Azurite's public dev key
const secrets = { stripe: 'whsec_' + crypto.randomBytes(24).toString('hex'), segment: 'seg_' + crypto.randomBytes(24).toString('hex'), zendesk: 'zd_' + crypto.randomBytes(24).toString('hex') };

const freePort = () => new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const waitPort = async (port) => { for (let i = 0; i < 300; i++) { const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); }); if (ok) return; await new Promise((r) => setTimeout(r, 100)); } throw new Error('port ' + port + ' not up'); };

const children = [];
const stop = () => children.forEach((c) => { try { c.kill(); } catch { } });
process.on('exit', stop);

let tablePort; let appPort; let endpoint;
const restart = async () => {
  stop();
  children.length = 0;
  await new Promise((r) => setTimeout(r, 2000));
};
const startAzurite = async () => {
  tablePort = await freePort();
  children.push(spawn('node', [path.join(root, 'node_modules/azurite/dist/src/table/main.js'), '--tableHost', '127.0.0.1', '--tablePort', String(tablePort), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'], { stdio: 'ignore' }));
  await waitPort(tablePort);
  endpoint = `http://127.0.0.1:${tablePort}/${account}`;
};
const startApp = async (warmUp) => {
  appPort = await freePort();
  children.push(spawn('dotnet', [path.join(root, 'src/CustomerSuccess.Functions/bin/Release/net10.0/CustomerSuccess.Functions.dll')], {
    cwd: path.join(root, 'src/CustomerSuccess.Functions/bin/Release/net10.0'),
    stdio: 'ignore',
    env: {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: 'Production',
      ASPNETCORE_URLS: `http://127.0.0.1:${appPort}`,
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};TableEndpoint=${endpoint};`,
      FunctionKeys__Default: crypto.randomBytes(16).toString('hex'),
      Webhooks__Stripe__SigningSecrets__0: secrets.stripe,
      Webhooks__Segment__SharedSecrets__0: secrets.segment,
      Webhooks__Zendesk__SigningSecrets__0: secrets.zendesk,
      Logging__LogLevel__Default: 'Warning',
      Webhooks__ApplyInProcess: process.env.APPLY_IN_PROCESS ?? 'true',
      // Production validates every feature's settings at start; placeholders for the ones this load does not use.
      Alerts__EscalationContact: 'cs-lead@bench.example',
      Alerts__DashboardBaseUrl: 'https://cs.bench.example',
      Alerts__Rota__Members__0: 'csm@bench.example',
      Lifecycle__UnsubscribeSigningKey: crypto.randomBytes(32).toString('hex'),
      Lifecycle__UnsubscribeBaseUrl: `http://127.0.0.1:${appPort}/api/lifecycle/unsubscribe`,
    },
  }));
  await waitPort(appPort);
  await warmUp(); // JIT, connection pools, table creation; not reported
};

// Deliveries stored but not yet applied to account state (the applier's backlog).
const unapplied = async () => {
  const deliveries = new TableClient(endpoint, 'WebhookDeliveries', new AzureNamedKeyCredential(account, key), { allowInsecureConnection: true });
  let count = 0;
  for await (const e of deliveries.listEntities({ queryOptions: { filter: 'Applied eq false', select: ['RowKey'] } })) { count += e ? 1 : 0; }
  return count;
};
const drain = async (limitSeconds) => {
  const started = Date.now();
  for (;;) {
    const left = await unapplied();
    const elapsed = (Date.now() - started) / 1000;
    if (left === 0 || elapsed > limitSeconds) return { left, seconds: Number(elapsed.toFixed(1)) };
    await new Promise((r) => setTimeout(r, 2000));
  }
};


let n = 0;
const run = Date.now().toString(36);
const stripeBody = (id) => JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: Math.floor(Date.now() / 1000), type: 'invoice.paid', livemode: false, pending_webhooks: 1, data: { object: { id: 'in_' + id, object: 'invoice', customer: 'cus_bench_' + (n % 200), amount_paid: 4900, currency: 'usd', status: 'paid' } } });
const segmentBody = (id) => JSON.stringify({ type: 'track', messageId: id, userId: 'usr_' + (n % 1000), event: 'Report Exported', timestamp: new Date().toISOString(), properties: { format: 'csv' }, context: { groupId: 'grp_bench_' + (n % 200), library: { name: 'analytics-node', version: '6.2.0' } } });
const zendeskBody = (id) => JSON.stringify({ type: 'zen:event-type:ticket.created', account_id: 22129848, id, time: new Date().toISOString(), zendesk_event_version: '2022-11-06', subject: 'zen:ticket:' + n, detail: { id: String(n), organization_id: String(8447346620000 + (n % 200)), priority: 'NORMAL', status: 'NEW', type: 'QUESTION', tags: [] }, event: {} });

// Each request gets a fresh event id and a signature computed over its exact bytes.
const setupRequest = (req) => {
  const i = n++;
  const id = `evt_${run}_${i}`;
  const now = Math.floor(Date.now() / 1000);
  switch (i % 3) {
    case 0: {
      const body = stripeBody(id);
      const sig = crypto.createHmac('sha256', secrets.stripe).update(`${now}.${body}`).digest('hex');
      return { ...req, path: '/api/webhooks/stripe', body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${now},v1=${sig}` } };
    }
    case 1: {
      const body = segmentBody(id);
      return { ...req, path: '/api/webhooks/segment', body, headers: { 'content-type': 'application/json', 'x-signature': crypto.createHmac('sha1', secrets.segment).update(body).digest('hex') } };
    }
    default: {
      const body = zendeskBody(id);
      const ts = new Date(now * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return { ...req, path: '/api/webhooks/zendesk', body, headers: { 'content-type': 'application/json', 'x-zendesk-webhook-signature': crypto.createHmac('sha256', secrets.zendesk).update(ts + body).digest('base64'), 'x-zendesk-webhook-signature-timestamp': ts } };
    }
  }
};

const load = (opts) => autocannon({ url: `http://127.0.0.1:${appPort}`, method: 'POST', connections, duration: seconds, requests: [{ method: 'POST', setupRequest }], ...opts });

async function openLoop(perSecond, durationSeconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.floor(perSecond * durationSeconds);
  const latencies = [];
  let ok = 0; let non2xx = 0; let errors = 0;
  const start = performance.now() + 50;
  const send = (scheduled) => new Promise((resolve) => {
    const r = setupRequest({});
    const req = http.request({ host: '127.0.0.1', port: appPort, method: 'POST', path: r.path, agent, headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) { ok++; latencies.push(performance.now() - scheduled); } else { non2xx++; }
        resolve();
      });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end(r.body);
  });
  const inFlight = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / perSecond;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(scheduled));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]) : null);
  return { ok, non2xx, errors, p50: at(0.5), p99: at(0.99), max: at(1) };
}

// 1. Raw single-entity inserts into a fresh Azurite, same concurrency, before the app exists.
await startAzurite();
const client = new TableClient(endpoint, 'RawInsertBench', new AzureNamedKeyCredential(account, key), { allowInsecureConnection: true });
await client.createTable();
let inserted = 0;
const deadline = Date.now() + seconds * 1000;
const payload = 'x'.repeat(600);
await Promise.all(Array.from({ length: connections }, async (_, w) => {
  let k = 0;
  while (Date.now() < deadline) {
    await client.createEntity({ partitionKey: 'p' + (w % 16), rowKey: `${w}-${k++}`, Body: payload });
    inserted++;
  }
}));
const rawRate = inserted / seconds;

// 2. Sustained webhooks into the same Azurite (closed loop, all connections busy), after a warm-up whose
// deliveries have all been applied. Then how long the applier takes to catch up with what was acknowledged.
await startApp(() => autocannon({ url: `http://127.0.0.1:${appPort}`, method: 'POST', connections: 8, duration: 3, requests: [{ method: 'POST', setupRequest }] }));
await drain(300);
const sustained = await load({});
const ok = sustained['2xx'];
const rate = ok / seconds;
const backlog = await unapplied();
const caughtUp = await drain(600);

// Half rate, open loop: one request every 1/R s on a fixed schedule, latency measured from the scheduled send
// time (so a stall is not hidden by the client waiting). autocannon's overallRate is not used here: it sends each
// connection's quota for a second back to back at the top of the second, so the app sees a burst every second.
// 3. On a fresh Azurite and app, warmed up gently so no backlog runs beside it.
const halfRate = Math.max(1, Math.floor(rate / 2));
await restart();
await startAzurite();
await startApp(() => openLoop(Math.min(200, halfRate), 3));
await drain(120);
const half = await openLoop(halfRate, seconds);
const halfBacklog = await unapplied();

const fmt = (x) => x.toFixed(1);
console.log(JSON.stringify({
  seconds, connections, applyInProcess: process.env.APPLY_IN_PROCESS ?? 'true',
  webhooks: { sustainedPerSecond: Number(fmt(rate)), non2xx: sustained.non2xx, errors: sustained.errors, p50ms: sustained.latency.p50, p99ms: sustained.latency.p99 },
  applier: { unappliedWhenLoadEnded: backlog, secondsToCatchUp: caughtUp.seconds, unappliedAfterThat: caughtUp.left, appliedPerSecondDuringLoadAndCatchUp: Number(fmt(ok / (seconds + caughtUp.seconds))) },
  rawInsertsPerSecond: Number(fmt(rawRate)),
  ratio: Number((rate / rawRate).toFixed(2)),
  halfRate: { targetPerSecond: halfRate, achievedPerSecond: Number(fmt(half.ok / seconds)), non2xx: half.non2xx, errors: half.errors, p50ms: half.p50, p99ms: half.p99, maxMs: half.max, unappliedWhenLoadEnded: halfBacklog },
}, null, 2));
stop();
process.exit(0);
