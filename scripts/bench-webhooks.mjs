// Webhook acknowledgement and the applier, in the same run, on the standalone app against Azurite, next to raw
// single-entity inserts into the same Azurite. Usage (after `npm ci` and a Release build):
//   dotnet build src/CustomerSuccess.Functions -c Release && node scripts/bench-webhooks.mjs [seconds] [connections] [accounts]
// APP_DLL=path/to/CustomerSuccess.Functions.dll (or the executable of a self-contained publish) runs another build
// of the app (e.g. an earlier commit's); with ROUND_TRIPS_ONLY=true through the round-trip phase only, for a
// before/after count; LEGACY_DELIVERIES=true reads its backlog from the earlier layout (WebhookDeliveries rows not
// yet applied).
// TELEMETRY_EXPORTER=none|console|azuremonitor is the app's Telemetry__Exporter (default none), for the telemetry
// on/off overhead: azuremonitor also needs APPLICATIONINSIGHTS_CONNECTION_STRING (and a credential that may publish
// to it) in the environment; console writes every span and metric to the app's stdout (APP_LOG keeps it), which costs
// more than Azure Monitor's batched export.
// ACK_ONLY=true measures the acknowledgement path alone: the app stores and acknowledges every delivery but applies
// none during the run (no in-process applier, a sweep once an hour), so Azurite serves only the inserts that
// acknowledge, as raw inserts do. It isolates what the app's ingestion costs against one durable write; the default
// run, with the applier beside it, measures both sharing one emulator process. Every mode reports the app's CPU per
// 1,000 acknowledged events over the sustained load and over the half-rate load (user + system, from /proc), and
// the sustained and half-rate phases Azurite's as well.
// HALF_RATE=n sets the half-rate phase's open-loop rate instead of half the sustained rate, so two builds can be
// compared at the same load.
// WARMUP_SECONDS=n (default 3) warms the app up for n seconds before the sustained and the half-rate phases, at
// their own load when n > 3 (3: 8 connections, and at most 200 a second), so the phases measure a warm app.
// COLD_STARTS=n measures n starts of the app instead (see below): until it listens, is ready and acknowledges.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
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
const accounts = Number(process.argv[4] ?? 200);
const appDll = process.env.APP_DLL ?? path.join(root, 'src/CustomerSuccess.Functions/bin/Release/net10.0/CustomerSuccess.Functions.dll');
const roundTripsOnly = process.env.ROUND_TRIPS_ONLY === 'true';
const legacy = process.env.LEGACY_DELIVERIES === 'true';
const telemetryExporter = process.env.TELEMETRY_EXPORTER ?? 'none';
const ackOnly = process.env.ACK_ONLY === 'true';
const warmupSeconds = Number(process.env.WARMUP_SECONDS ?? 3);
if (!['none', 'console', 'azuremonitor'].includes(telemetryExporter)) throw new Error(`TELEMETRY_EXPORTER must be none, console or azuremonitor, not ${telemetryExporter}`);
const account = 'devstoreaccount1';
const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='; // Azurite's public dev key
const secrets = { stripe: 'whsec_' + crypto.randomBytes(24).toString('hex'), segment: 'seg_' + crypto.randomBytes(24).toString('hex'), zendesk: 'zd_' + crypto.randomBytes(24).toString('hex') };

const freePort = () => new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const waitPort = async (port) => { for (let i = 0; i < 600; i++) { const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); }); if (ok) return; await new Promise((r) => setTimeout(r, 100)); } throw new Error('port ' + port + ' not up'); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = [];
let proxyServer = null;
const stop = () => { children.forEach((c) => { try { c.kill(); } catch { } }); children.length = 0; if (proxyServer) { proxyServer.close(); proxyServer = null; } };
process.on('exit', stop);

let tablePort; let appPort; let endpoint; let azuriteProcess;
const startAzurite = async () => {
  tablePort = await freePort();
  azuriteProcess = spawn('node', [path.join(root, 'node_modules/azurite/dist/src/table/main.js'), '--tableHost', '127.0.0.1', '--tablePort', String(tablePort), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'], { stdio: 'ignore' });
  children.push(azuriteProcess);
  await waitPort(tablePort);
  endpoint = `http://127.0.0.1:${tablePort}/${account}`;
};

// A pass-through proxy in front of Azurite that counts the requests the app makes (a transaction counts once).
const requests = { total: 0 };
const startCountingProxy = async () => {
  const port = await freePort();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  proxyServer = http.createServer((req, res) => {
    requests.total++;
    const upstream = http.request({ host: '127.0.0.1', port: tablePort, method: req.method, path: req.url, headers: req.headers, agent }, (up) => { res.writeHead(up.statusCode, up.headers); up.pipe(res); });
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  await new Promise((r) => proxyServer.listen(port, '127.0.0.1', r));
  return `http://127.0.0.1:${port}/${account}`;
};

let appProcess = null;
const startApp = async (tableEndpoint, exporter = telemetryExporter) => {
  appPort = await freePort();
  // APP_LOG=file keeps the app's log (warnings and the applier's rate line) for a look afterwards.
  const log = process.env.APP_LOG ? fs.openSync(process.env.APP_LOG, 'a') : 'ignore';
  // A .dll runs on the shared runtime; anything else is an executable (the self-contained handler of scripts/publish.sh).
  appProcess = spawn(appDll.endsWith('.dll') ? 'dotnet' : appDll, appDll.endsWith('.dll') ? [appDll] : [], {
    cwd: path.dirname(appDll),
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: 'Production',
      ASPNETCORE_URLS: `http://127.0.0.1:${appPort}`,
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};TableEndpoint=${tableEndpoint ?? endpoint};`,
      FunctionKeys__Default: crypto.randomBytes(16).toString('hex'),
      Webhooks__Stripe__SigningSecrets__0: secrets.stripe,
      Webhooks__Segment__SharedSecrets__0: secrets.segment,
      Webhooks__Zendesk__SigningSecrets__0: secrets.zendesk,
      Telemetry__Exporter: exporter,
      ...(ackOnly ? { Webhooks__ApplyInProcess: 'false', Webhooks__SweepIntervalSeconds: '3600' } : {}),
      Logging__LogLevel__Default: 'Warning',
      'Logging__LogLevel__CustomerSuccess.Functions.Webhooks.ApplierRate': 'Information',
      'Logging__LogLevel__CustomerSuccess.Functions.Webhooks.WebhookApplier': process.env.APPLIER_LOG_LEVEL ?? 'Warning',
      // Production validates every feature's settings at start; placeholders for the ones this load does not use.
      Alerts__EscalationContact: 'cs-lead@bench.example',
      Alerts__DashboardBaseUrl: 'https://cs.bench.example',
      Alerts__Rota__Members__0: 'csm@bench.example',
      Lifecycle__UnsubscribeSigningKey: crypto.randomBytes(32).toString('hex'),
      Lifecycle__UnsubscribeBaseUrl: `http://127.0.0.1:${appPort}/api/lifecycle/unsubscribe`,
    },
  });
  children.push(appProcess);
  await waitPort(appPort);
};

// Deliveries acknowledged and not applied yet: the inbox (small, so counting it costs Azurite little).
const backlog = async () => {
  const inbox = new TableClient(endpoint, legacy ? 'WebhookDeliveries' : 'WebhookInbox', new AzureNamedKeyCredential(account, key), { allowInsecureConnection: true });
  let count = 0;
  try {
    for await (const e of inbox.listEntities({ queryOptions: { select: ['RowKey'], filter: legacy ? 'Applied eq false' : undefined } })) { count += e ? 1 : 0; }
  } catch (e) { if (e.statusCode !== 404) throw e; }
  return count;
};
const drain = async (limitSeconds) => {
  if (ackOnly) return { left: null, seconds: 0 }; // nothing applies during an acknowledgement-only run
  const started = Date.now();
  for (;;) {
    const left = await backlog();
    const elapsed = (Date.now() - started) / 1000;
    if (left === 0 || elapsed > limitSeconds) return { left, seconds: Number(elapsed.toFixed(1)) };
    await sleep(1000);
  }
};

let n = 0;
const run = Date.now().toString(36);
const acct = (i) => `acct_${run}_${i}`;
const customer = (i) => `cus_bench_${run}_${i}`;
const org = (i) => String(8447346620000 + i);
const now = () => Math.floor(Date.now() / 1000);
const iso = () => new Date().toISOString();
// When the provider says it created an event: now, except during a warm-up, which dates its events a day back, so
// they land in other inbox partitions than the measured load's (an ACK_ONLY run keeps them all in the inbox).
let createdShiftMs = 0;
const created = () => Math.floor((Date.now() + createdShiftMs) / 1000);
const createdIso = () => new Date(Date.now() + createdShiftMs).toISOString();
const warmUp = async (load) => {
  createdShiftMs = -86_400_000;
  try { return await load(); } finally { createdShiftMs = 0; }
};

// The accounts' links, as the providers announce them: a Stripe customer naming its account, a Zendesk organization
// with the account as external_id, and Segment groups whose id is the account id (linked on first sight).
const seedBodies = (i) => [
  ['/api/webhooks/stripe', JSON.stringify({ id: `evt_seed_${run}_${i}`, object: 'event', api_version: '2024-06-20', created: now(), type: 'customer.created', data: { object: { id: customer(i), object: 'customer', name: 'Bench ' + i, metadata: { account_id: acct(i) } } } })],
  ['/api/webhooks/zendesk', JSON.stringify({ type: 'zen:event-type:organization.created', account_id: 22129848, id: `zen_seed_${run}_${i}`, time: iso(), subject: 'zen:organization:' + org(i), detail: { id: org(i), external_id: acct(i), name: 'Bench ' + i }, event: {} })],
  ['/api/webhooks/segment', JSON.stringify({ type: 'group', messageId: `grp_seed_${run}_${i}`, groupId: acct(i), timestamp: iso(), traits: { name: 'Bench ' + i, plan: 'growth' } })],
];
const stripeBody = (id) => JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: created(), type: 'invoice.paid', livemode: false, pending_webhooks: 1, data: { object: { id: 'in_' + id, object: 'invoice', customer: customer(n % accounts), amount_paid: 4900, currency: 'usd', status: 'paid' } } });
const segmentBody = (id) => JSON.stringify({ type: 'track', messageId: id, userId: `usr_${run}_${n % (accounts * 5)}`, event: 'Report Exported', timestamp: createdIso(), properties: { format: 'csv' }, context: { groupId: acct(n % accounts), library: { name: 'analytics-node', version: '6.2.0' } } });
const zendeskBody = (id) => JSON.stringify({ type: 'zen:event-type:ticket.created', account_id: 22129848, id, time: createdIso(), zendesk_event_version: '2022-11-06', subject: 'zen:ticket:' + n, detail: { id: String(n), organization_id: org(n % accounts), priority: 'NORMAL', status: 'NEW', type: 'QUESTION', tags: [] }, event: {} });

const signed = (pathName, body) => {
  const t = now();
  switch (pathName) {
    case '/api/webhooks/stripe': return { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${t},v1=${crypto.createHmac('sha256', secrets.stripe).update(`${t}.${body}`).digest('hex')}` };
    case '/api/webhooks/segment': return { 'content-type': 'application/json', 'x-signature': crypto.createHmac('sha1', secrets.segment).update(body).digest('hex') };
    default: {
      const ts = new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return { 'content-type': 'application/json', 'x-zendesk-webhook-signature': crypto.createHmac('sha256', secrets.zendesk).update(ts + body).digest('base64'), 'x-zendesk-webhook-signature-timestamp': ts };
    }
  }
};

// Each request gets a fresh event id and a signature computed over its exact bytes.
const setupRequest = (req) => {
  const i = n++;
  const id = `evt_${run}_${i}`;
  const [pathName, body] = i % 3 === 0 ? ['/api/webhooks/stripe', stripeBody(id)] : i % 3 === 1 ? ['/api/webhooks/segment', segmentBody(id)] : ['/api/webhooks/zendesk', zendeskBody(id)];
  return { ...req, path: pathName, body, headers: signed(pathName, body) };
};

const post = (pathName, body, agent) => new Promise((resolve) => {
  const req = http.request({ host: '127.0.0.1', port: appPort, method: 'POST', path: pathName, agent, headers: { ...signed(pathName, body), 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', () => resolve(0));
  req.end(body);
});

const seedAccounts = async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  for (let i = 0; i < accounts; i += 16) {
    const batch = [];
    for (let k = i; k < Math.min(accounts, i + 16); k++) for (const [p, b] of seedBodies(k)) batch.push(post(p, b, agent));
    const codes = await Promise.all(batch);
    if (codes.some((c) => c !== 200)) throw new Error('seeding failed: ' + codes.join(','));
  }
  agent.destroy();
};

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
    if (wait > 1) await sleep(wait);
    inFlight.push(send(scheduled));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]) : null);
  return { ok, non2xx, errors, p50: at(0.5), p99: at(1 - 0.01), max: at(1) };
}

const fmt = (x) => Number(x.toFixed(1));
const median = (xs) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2; };
const result = { seconds, connections, accounts, app: path.relative(root, appDll), telemetryExporter };

// Round trips per event: a fresh stack behind the counting proxy, the accounts linked first; then a fixed number
// of events at a moderate rate, all applied; requests counted from the first event to the last one applied.
async function roundTrips(events, perSecond) {
  await startAzurite();
  const proxied = await startCountingProxy();
  await startApp(proxied);
  await seedAccounts();
  await openLoop(Math.min(100, perSecond), 2);
  await drain(300);
  await sleep(2000);
  const before = requests.total;
  const sent = await openLoop(perSecond, events / perSecond);
  const caughtUp = await drain(300);
  await sleep(3000); // the applier's last outcome writes after the inbox empties
  const made = requests.total - before;
  stop();
  return { events: sent.ok, requestsToStorage: made, perEvent: Number((made / Math.max(1, sent.ok)).toFixed(2)), appliedPerEventAfterTheAcknowledgement: Number((made / Math.max(1, sent.ok) - 1).toFixed(2)), leftUnapplied: caughtUp.left };
}

// CPU seconds a process has used so far (user + system, from /proc; clock ticks are 100 a second on Linux): the app's,
// and Azurite's (the one emulator process every write goes through).
const cpuSeconds = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
// Milliseconds of CPU per 1,000 events, from CPU seconds over a count of events.
const msPer1000 = (cpuSecondsUsed, events) => fmt((cpuSecondsUsed * 1000 * 1000) / Math.max(1, events));
const appCpuSeconds = () => cpuSeconds(appProcess.pid);
const azuriteCpuSeconds = () => cpuSeconds(azuriteProcess.pid);

// TELEMETRY_AB=N: the telemetry overhead alone. N pairs of sustained phases, each on a fresh Azurite and app, one
// with Telemetry__Exporter=none and one with TELEMETRY_EXPORTER (azuremonitor by default), the order alternating
// from pair to pair so a machine that slows or speeds up through the runs does not favour one mode. Reports every
// run's acknowledged rate and the app's CPU per 1,000 acknowledged events, and the medians of both per mode.
// Without APPLICATIONINSIGHTS_CONNECTION_STRING in the environment, azuremonitor exports to a stand-in ingestion
// endpoint on loopback that accepts everything the way Application Insights answers (`itemsAccepted`), so the
// measure includes serialising, compressing and sending every batch, as in Azure, and counts the items received.
const abPairs = Number(process.env.TELEMETRY_AB ?? 0);
if (abPairs > 0) {
  const on = telemetryExporter === 'none' ? 'azuremonitor' : telemetryExporter;
  const ingestion = { requests: 0, items: 0 };
  if (on === 'azuremonitor' && !process.env.APPLICATIONINSIGHTS_CONNECTION_STRING) {
    const zlib = await import('node:zlib');
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        ingestion.requests++;
        let items = 0;
        if (req.url.includes('/track')) {
          const raw = Buffer.concat(chunks);
          const text = (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8');
          items = text.split('\n').filter((l) => l.trim()).length;
          ingestion.items += items;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: items, itemsAccepted: items, errors: [] }));
      });
    });
    const port = await freePort();
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    server.unref();
    process.env.APPLICATIONINSIGHTS_CONNECTION_STRING = `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:${port}/;LiveEndpoint=http://127.0.0.1:${port}/`;
  }
  const runs = [];
  for (let pair = 0; pair < abPairs; pair++) {
    for (const mode of pair % 2 === 0 ? ['none', on] : [on, 'none']) {
      await startAzurite();
      await startApp(undefined, mode);
      await seedAccounts();
      await autocannon({ url: `http://127.0.0.1:${appPort}`, method: 'POST', connections: 8, duration: 3, requests: [{ method: 'POST', setupRequest }] });
      await drain(300);
      const cpuBefore = appCpuSeconds();
      const load = await autocannon({ url: `http://127.0.0.1:${appPort}`, method: 'POST', connections, duration: seconds, requests: [{ method: 'POST', setupRequest }] });
      const cpu = appCpuSeconds() - cpuBefore;
      const ok = load['2xx'];
      runs.push({ pair: pair + 1, exporter: mode, acknowledgedPerSecond: fmt(ok / seconds), non2xx: load.non2xx, p99ms: load.latency.p99, appCpuMsPer1000Events: msPer1000(cpu, ok) });
      console.error(JSON.stringify(runs.at(-1)));
      stop();
      await sleep(2000);
    }
  }
  const summary = (mode) => {
    const mine = runs.filter((r) => r.exporter === mode);
    return { runs: mine.length, medianAcknowledgedPerSecond: fmt(median(mine.map((r) => r.acknowledgedPerSecond))), medianAppCpuMsPer1000Events: fmt(median(mine.map((r) => r.appCpuMsPer1000Events))) };
  };
  const off = summary('none');
  const with_ = summary(on);
  // Each pair ran on the same machine minutes apart: its ratio cancels most of what the machine did meanwhile.
  const pairRatios = Array.from({ length: abPairs }, (_, i) => {
    const [a, b] = runs.filter((r) => r.pair === i + 1);
    const [x, y] = a.exporter === 'none' ? [a, b] : [b, a];
    return Number((y.acknowledgedPerSecond / x.acknowledgedPerSecond).toFixed(3));
  });
  result.telemetryOverhead = {
    exporterOn: on, seconds, connections, standInIngestion: ingestion.requests > 0 ? ingestion : undefined, off, on: with_, pairRatios, medianPairRatio: median(pairRatios),
    throughputCostPercent: Number(((1 - median(pairRatios)) * 100).toFixed(1)),
    appCpuCostPercent: Number(((with_.medianAppCpuMsPer1000Events / off.medianAppCpuMsPer1000Events - 1) * 100).toFixed(1)),
    runs,
  };
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}

// COLD_STARTS=n: what a new instance costs before it is up to speed (the Functions host starts one on every scale-out
// and after every idle period). One Azurite with the tables already provisioned (as a scale-out finds them), then n
// starts of the app, each measured from the spawn: until it listens, until /api/readyz answers 200, until its first
// webhook is acknowledged, and then 1,000 more at 8 concurrent; the app's CPU at ready and over those 1,000.
const coldStarts = Number(process.env.COLD_STARTS ?? 0);
if (coldStarts > 0) {
  await startAzurite();
  const stopApp = async () => {
    const exited = new Promise((r) => appProcess.once('exit', r));
    appProcess.kill();
    await exited;
    children.splice(children.indexOf(appProcess), 1);
  };
  await startApp();
  await stopApp(); // the first start provisions the tables; the measured ones find them
  const runs = [];
  for (let i = 0; i < coldStarts; i++) {
    const spawned = performance.now();
    await startApp();
    const listenMs = performance.now() - spawned;
    for (;;) {
      const status = await new Promise((resolve) => http.get({ host: '127.0.0.1', port: appPort, path: '/api/readyz' }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', () => resolve(0)));
      if (status === 200) break;
      await sleep(20);
    }
    const readyMs = performance.now() - spawned;
    const cpuAtReady = appCpuSeconds();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const [firstPath, firstBody] = seedBodies(i)[0];
    if (await post(firstPath, firstBody, agent) !== 200) throw new Error('the first webhook was not acknowledged');
    const firstAckMs = performance.now() - spawned;
    const cpuBefore = appCpuSeconds();
    const started = performance.now();
    let sent = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (sent < 1000) {
        sent++;
        const r = setupRequest({});
        if (await post(r.path, r.body, agent) !== 200) throw new Error('a webhook was not acknowledged');
      }
    }));
    runs.push({
      listenMs: Math.round(listenMs), readyMs: Math.round(readyMs), appCpuMsAtReady: Math.round(cpuAtReady * 1000), firstAckMs: Math.round(firstAckMs),
      next1000Ms: Math.round(performance.now() - started), appCpuMsNext1000: Math.round((appCpuSeconds() - cpuBefore) * 1000),
    });
    agent.destroy();
    await stopApp();
  }
  const medianOf = (k) => median(runs.map((r) => r[k]));
  result.coldStart = { starts: coldStarts, median: Object.fromEntries(Object.keys(runs[0]).map((k) => [k, medianOf(k)])), runs };
  console.log(JSON.stringify(result, null, 2));
  stop();
  process.exit(0);
}

if (roundTripsOnly) {
  result.roundTrips = await roundTrips(3000, 300);
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}

// 1. Raw single-entity inserts into a fresh Azurite, same concurrency, before the app exists.
await startAzurite();
const client = new TableClient(endpoint, 'RawInsertBench', new AzureNamedKeyCredential(account, key), { allowInsecureConnection: true });
await client.createTable();
let inserted = 0;
const rawAzuriteCpuBefore = azuriteCpuSeconds();
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
result.rawInsertsPerSecond = fmt(rawRate);
result.rawAzuriteCpuMsPer1000Inserts = msPer1000(azuriteCpuSeconds() - rawAzuriteCpuBefore, inserted);

// 2. Sustained: the accounts linked first, a warm-up applied, then autocannon's closed loop with every connection
// busy. The applier runs beside it: what it has not applied is what the inbox still holds, read when the load ends
// and 10 s later, then until it is empty.
await startApp();
await seedAccounts();
await warmUp(() => autocannon({ url: `http://127.0.0.1:${appPort}`, method: 'POST', connections: warmupSeconds > 3 ? connections : 8, duration: warmupSeconds, requests: [{ method: 'POST', setupRequest }] }));
await drain(300);
const cpuBefore = appCpuSeconds();
const azuriteCpuBefore = azuriteCpuSeconds();
const sustained = await autocannon({ url: `http://127.0.0.1:${appPort}`, method: 'POST', connections, duration: seconds, requests: [{ method: 'POST', setupRequest }] });
const appCpu = appCpuSeconds() - cpuBefore;
const azuriteCpu = azuriteCpuSeconds() - azuriteCpuBefore;
const acknowledged = sustained['2xx'];
const rate = acknowledged / seconds;
result.sustained = {
  acknowledgedPerSecond: fmt(rate), non2xx: sustained.non2xx, errors: sustained.errors, p50ms: sustained.latency.p50, p99ms: sustained.latency.p99,
  ratioToRawInserts: Number((rate / rawRate).toFixed(2)),
  // The app's CPU (user + system) over the load per 1,000 acknowledged events: with the applier, its work is in it too.
  appCpuMsPer1000Events: msPer1000(appCpu, acknowledged),
  azuriteCpuMsPer1000Events: msPer1000(azuriteCpu, acknowledged),
};
const atEnd = ackOnly ? 0 : await backlog();
await sleep(ackOnly ? 0 : Math.max(0, 10_000 - 200));
const after10s = ackOnly ? 0 : await backlog();
const caughtUp = await drain(600);
result.applier = ackOnly ? { deferred: 'ACK_ONLY: nothing was applied during this run', inbox: await backlog() } : {
  appliedPerSecondDuringTheLoad: fmt((acknowledged - atEnd) / seconds),
  ratioToAcknowledged: Number(((acknowledged - atEnd) / Math.max(1, acknowledged)).toFixed(2)),
  backlogWhenLoadEnded: atEnd,
  backlog10sAfter: after10s,
  secondsUntilNoneLeft: fmt(10 + caughtUp.seconds),
  leftAfterThat: caughtUp.left,
};

// 3. Half rate, open loop, on a fresh Azurite and app: one request every 1/R s on a fixed schedule, latency from each
// request's scheduled time (a stall cannot hide behind a waiting client), the backlog read when it ends.
// HALF_RATE=n fixes the open-loop rate (the same load for two builds, so their CPU per event compares directly).
const halfRate = Number(process.env.HALF_RATE ?? 0) || Math.max(1, Math.floor(rate / 2));
stop();
await sleep(2000);
await startAzurite();
await startApp();
await seedAccounts();
await warmUp(() => openLoop(warmupSeconds > 3 ? halfRate : Math.min(200, halfRate), warmupSeconds));
await drain(120);
const halfCpuBefore = appCpuSeconds();
const halfAzuriteCpuBefore = azuriteCpuSeconds();
const half = await openLoop(halfRate, seconds);
const halfCpu = appCpuSeconds() - halfCpuBefore;
const halfAzuriteCpu = azuriteCpuSeconds() - halfAzuriteCpuBefore;
const halfBacklog = ackOnly ? 0 : await backlog();
result.halfRate = {
  targetPerSecond: halfRate, achievedPerSecond: fmt(half.ok / seconds), non2xx: half.non2xx, errors: half.errors, p50ms: half.p50, p99ms: half.p99, maxMs: half.max,
  appCpuMsPer1000Events: msPer1000(halfCpu, half.ok),
  azuriteCpuMsPer1000Events: msPer1000(halfAzuriteCpu, half.ok),
  ...(ackOnly ? {} : { backlogWhenLoadEnded: halfBacklog, backlogInSecondsOfTraffic: Number((halfBacklog / halfRate).toFixed(2)) }),
};
stop();
await sleep(2000);
if (ackOnly) {
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}

// 4. Requests to storage per event, on a fresh stack behind a counting proxy.
result.roundTrips = await roundTrips(3000, 300);

console.log(JSON.stringify(result, null, 2));
stop();
process.exit(0);
