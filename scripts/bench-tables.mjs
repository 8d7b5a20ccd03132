// The Table benchmark workload run by the official JS SDK (@azure/data-tables): point inserts with the same
// concurrency, 100-entity transactions, and a full-table query. Prints one JSON line.
// Usage: node scripts/bench-tables.mjs <tableEndpoint> [inserts] [concurrency] [batches]
import { AzureNamedKeyCredential, TableClient } from "@azure/data-tables";

const [endpoint, insertsArg, concurrencyArg, batchesArg] = process.argv.slice(2);
const inserts = Number(insertsArg ?? 20000);
const concurrency = Number(concurrencyArg ?? 32);
const batches = Number(batchesArg ?? 200);
const account = new URL(endpoint).pathname.replaceAll("/", "");
// Azurite's well-known development key (public, documented).
const key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const credential = new AzureNamedKeyCredential(account, key);
const run = Math.random().toString(16).slice(2, 10);
const client = (name) => new TableClient(endpoint, name, credential, { allowInsecureConnection: true });

const entity = (partition, i) => ({
  partitionKey: partition,
  rowKey: String(i).padStart(8, "0"),
  Account: `acct-${i}`,
  Score: i % 100,
  Events: { value: String(i * 1000), type: "Int64" },
  Ratio: { value: i / 7, type: "Double" },
  At: new Date(Date.UTC(2026, 0, 1) + i * 1000),
});

async function runConcurrent(count, width, operation) {
  let next = -1;
  const worker = async () => {
    let i;
    while ((i = ++next) < count) await operation(i);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

const warm = client(`jswarm${run}`);
await warm.createTable();
await runConcurrent(500, concurrency, (i) => warm.createEntity(entity("w", i)));

const points = client(`jspoint${run}`);
await points.createTable();
let t = performance.now();
await runConcurrent(inserts, concurrency, (i) => points.createEntity(entity(`p${i % 64}`, i)));
const pointSeconds = (performance.now() - t) / 1000;

const batchClient = client(`jsbatch${run}`);
await batchClient.createTable();
t = performance.now();
await runConcurrent(batches, concurrency, async (b) => {
  const actions = Array.from({ length: 100 }, (_, i) => ["create", entity(`b${b}`, i)]);
  await batchClient.submitTransaction(actions);
});
const batchSeconds = (performance.now() - t) / 1000;

// Best of three passes, as on the .NET side.
let queryRate = 0;
for (let pass = 0; pass < 3; pass++) {
  t = performance.now();
  let queried = 0;
  for await (const page of points.listEntities().byPage({ maxPageSize: 1000 })) queried += page.length;
  const seconds = (performance.now() - t) / 1000;
  if (queried !== inserts) throw new Error(`query returned ${queried} of ${inserts}`);
  queryRate = Math.max(queryRate, queried / seconds);
}

console.log(JSON.stringify({
  client: "@azure/data-tables 13.3.2 (Node)",
  pointInsertsPerSec: Math.round(inserts / pointSeconds),
  batchesPerSec: Math.round((batches / batchSeconds) * 10) / 10,
  batchEntitiesPerSec: Math.round((batches * 100) / batchSeconds),
  queryEntitiesPerSec: Math.round(queryRate),
}));
