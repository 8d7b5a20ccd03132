// What Azurite itself charges for the shapes of writes the app sends, without the app: the JS Tables SDK against a
// fresh in-memory Azurite, 32 writes in flight over 16 partitions. Usage (after `npm ci`):
//   node scripts/bench-azurite-shapes.mjs batches [seconds]  entities a second by entity-group transaction size
//   node scripts/bench-azurite-shapes.mjs nulls [inserts]    Azurite's CPU per insert of an inbox-shaped row, with and
//                                                            without the 24 properties that can be null (3 pairs, the
//                                                            order alternating; user + system time from /proc)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2];
if (!['batches', 'nulls'].includes(mode)) throw new Error('usage: node scripts/bench-azurite-shapes.mjs batches|nulls [n]');
const account = 'devstoreaccount1';
const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='; // Azurite's public dev key
const connections = 32;

const port = await new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const azurite = spawn('node', [path.join(root, 'node_modules/azurite/dist/src/table/main.js'), '--tableHost', '127.0.0.1', '--tablePort', String(port), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'], { stdio: 'ignore' });
process.on('exit', () => azurite.kill());
for (let i = 0; ; i++) {
  const up = await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(true); }); c.on('error', () => r(false)); });
  if (up) break;
  if (i > 100) throw new Error('Azurite did not start');
  await new Promise((r) => setTimeout(r, 100));
}

let tables = 0;
const newTable = async () => {
  const client = new TableClient(`http://127.0.0.1:${port}/${account}`, `Shape${tables++}`, new AzureNamedKeyCredential(account, key), { allowInsecureConnection: true });
  await client.createTable();
  return client;
};
const azuriteCpuMs = () => {
  const fields = fs.readFileSync(`/proc/${azurite.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

if (mode === 'batches') {
  const seconds = Number(process.argv[3] ?? 8);
  const payload = 'x'.repeat(600);
  for (const size of [1, 2, 5, 10, 25]) {
    const client = await newTable();
    let written = 0;
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(Array.from({ length: connections }, async (_, w) => {
      for (let k = 0; Date.now() < deadline;) {
        const entities = Array.from({ length: size }, () => ({ partitionKey: 'p' + (w % 16), rowKey: `${w}-${k++}`, Body: payload }));
        await (size === 1 ? client.createEntity(entities[0]) : client.submitTransaction(entities.map((e) => ['create', e])));
        written += size;
      }
    }));
    console.log(JSON.stringify({ entitiesPerTransaction: size, entitiesPerSecond: Math.round(written / seconds) }));
  }
} else {
  const inserts = Number(process.argv[3] ?? 12000);
  const body = Buffer.alloc(300, 7);
  const row = (pk, rk) => ({
    partitionKey: pk, rowKey: rk, Provider: 'Segment', EventId: rk, EventType: 'track', OccurredAt: new Date(), ReceivedAt: new Date(),
    CopyId: 'c'.repeat(32), Attempts: 0, BodyChunks: 1, Body0: body, ContentType: 'application/json', UserAgent: 'Segment.io/1.0',
  });
  const empty = ['ZendeskWebhookId', 'ZendeskInvocationId', 'ZendeskSignatureTimestamp', 'TraceParent', 'LastError', 'LastAttemptAt', 'Outcome',
    'AppliedAt', 'AccountId', 'QuarantineReason', ...Array.from({ length: 14 }, (_, i) => `Body${i + 1}`)];
  const withNulls = (pk, rk) => Object.assign(row(pk, rk), Object.fromEntries(empty.map((n) => [n, null])));
  const results = { withNulls: [], without: [] };
  for (let round = 0; round < 6; round++) {
    // with, without, without, with, with, without: each shape goes first in half the pairs.
    const nulls = [true, false, false, true, true, false][round];
    const client = await newTable();
    let started = 0;
    const before = azuriteCpuMs();
    await Promise.all(Array.from({ length: connections }, async (_, w) => {
      for (let k = 0; started < inserts; k++) {
        started++;
        await client.createEntity((nulls ? withNulls : row)('p' + (w % 16), `${w}-${k}`));
      }
    }));
    results[nulls ? 'withNulls' : 'without'].push(Math.round(((azuriteCpuMs() - before) / inserts) * 1000));
  }
  console.log(JSON.stringify({ azuriteCpuMsPer1000Inserts: results }));
}
process.exit(0);
