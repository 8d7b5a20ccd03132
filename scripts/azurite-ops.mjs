// Summarizes an Azurite debug log (AZURITE_DEBUG_LOG=path bash scripts/run-local.sh ...): per table and operation,
// the requests, the operations inside entity-group transactions, the transactions the service refused (and with
// which status) and Azurite's own time. Usage: node scripts/azurite-ops.mjs path/to/debug.log
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const path = process.argv[2];
if (!path) {
  console.error('usage: node scripts/azurite-ops.mjs AZURITE_DEBUG_LOG');
  process.exit(2);
}

const requests = new Map(); // request id -> { table, op, ops, status, ms }
const entry = (id) => requests.get(id) ?? requests.set(id, {}).get(id);
for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
  const id = line.split(' ', 2)[1];
  if (!id) continue;
  let m;
  if ((m = line.match(/tableName=(\S+)/))) entry(id).table ??= m[1];
  if ((m = line.match(/Operation=(\w+)/))) entry(id).op = m[1];
  if (line.includes('Raw request string is')) {
    const inner = [...line.matchAll(/(PATCH|PUT|POST|DELETE|MERGE) http:\/\/[^/]+\/[^/]+\/([A-Za-z][A-Za-z0-9]*)/g)];
    if (inner.length) Object.assign(entry(id), { table: inner[0][2], op: 'Batch:' + inner[0][1], ops: inner.length });
  }
  if (line.includes('Raw response string is') && requests.has(id)) {
    const refused = [...line.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((x) => x[1]).find((s) => s >= '400');
    if (refused) entry(id).status = refused;
  }
  if ((m = line.match(/TotalTimeInMS=(\d+)/))) entry(id).ms = Number(m[1]);
}

const rows = new Map();
let total = 0;
for (const r of requests.values()) {
  if (!r.op) continue;
  const key = `${r.table ?? '?'}\t${r.op}${r.status ? ' refused ' + r.status : ''}`;
  const row = rows.get(key) ?? rows.set(key, { requests: 0, ops: 0, ms: 0 }).get(key);
  row.requests += 1;
  row.ops += r.ops ?? 1;
  row.ms += r.ms ?? 0;
  total += r.ms ?? 0;
}

console.log('requests\toperations\tazurite s\tshare\ttable\toperation');
for (const [key, r] of [...rows].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${r.requests}\t${r.ops}\t${(r.ms / 1000).toFixed(1)}\t${((100 * r.ms) / total).toFixed(1)}%\t${key}`);
}
console.log(`total: ${[...rows.values()].reduce((n, r) => n + r.requests, 0)} requests, ${(total / 1000).toFixed(1)} s of Azurite time`);
