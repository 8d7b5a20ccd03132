// Per table of a running Table endpoint: how many partitions, how many rows, and the largest partition's row count.
// The emulator scans a whole partition for every point read or write, so the largest partition is what a long run's
// per-write cost follows. Usage:
//   node scripts/partition-sizes.mjs [connection string]   (default: $AzureWebJobsStorage, as run-local.sh sets it)
// PARTITION_SIZES=1 bash scripts/run-local.sh ... prints it at the end of a run.
import { AzureNamedKeyCredential, TableClient, TableServiceClient } from '@azure/data-tables';

const connectionString = process.argv[2] ?? process.env.AzureWebJobsStorage;
if (!connectionString) {
  console.error('usage: node scripts/partition-sizes.mjs "<connection string with TableEndpoint, AccountName and AccountKey>"');
  process.exit(2);
}

const parts = Object.fromEntries(connectionString.split(';').filter(Boolean).map((p) => {
  const at = p.indexOf('=');
  return [p.slice(0, at), p.slice(at + 1)];
}));
if (!parts.TableEndpoint || !parts.AccountName || !parts.AccountKey) {
  console.error('the connection string needs TableEndpoint, AccountName and AccountKey');
  process.exit(2);
}

const endpoint = parts.TableEndpoint.replace(/\/$/, '');
const credential = new AzureNamedKeyCredential(parts.AccountName, parts.AccountKey);
const options = { allowInsecureConnection: endpoint.startsWith('http:') };
const service = new TableServiceClient(endpoint, credential, options);

const rows = [];
for await (const table of service.listTables()) {
  const client = new TableClient(endpoint, table.name, credential, options);
  const sizes = new Map();
  for await (const entity of client.listEntities({ queryOptions: { select: ['PartitionKey'] } })) {
    sizes.set(entity.partitionKey, (sizes.get(entity.partitionKey) ?? 0) + 1);
  }

  let largest = ['', 0];
  let total = 0;
  for (const [key, count] of sizes) {
    total += count;
    if (count > largest[1]) largest = [key, count];
  }

  rows.push({ table: table.name, partitions: sizes.size, rows: total, largest: largest[1], largestKey: largest[0] });
}

rows.sort((a, b) => b.largest - a.largest || a.table.localeCompare(b.table));
const header = ['table', 'partitions', 'rows', 'largest partition (rows)', 'its key'];
const lines = rows.map((r) => [r.table, String(r.partitions), String(r.rows), String(r.largest), r.largestKey]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const format = (cells) => cells.map((c, i) => (i > 0 && i < 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
console.log('Partition sizes:');
console.log(format(header));
for (const line of lines) console.log(format(line));
