// Interop check against the official JS Tables SDK: reads the entity the .NET client wrote (types kept as the
// service reports them) and writes one with every EDM type for the .NET client to read back.
// Usage: TABLES_ACCOUNT=... TABLES_KEY=... node tests/interop/tables-interop.mjs <tableEndpoint> <table> <partition>
import { AzureNamedKeyCredential, TableClient } from "@azure/data-tables";

const [endpoint, table, partition] = process.argv.slice(2);
if (!endpoint || !table || !partition) {
  console.error("usage: tables-interop.mjs <tableEndpoint> <table> <partition>");
  process.exit(2);
}

const credential = new AzureNamedKeyCredential(process.env.TABLES_ACCOUNT, process.env.TABLES_KEY);
const client = new TableClient(endpoint, table, credential, { allowInsecureConnection: true });

const fromDotnet = await client.getEntity(partition, "fromDotnet", { disableTypeConversion: true });
const read = {};
for (const [name, property] of Object.entries(fromDotnet)) {
  if (name === "etag" || name === "timestamp" || name === "odata.metadata") continue;
  read[name] = property;
}

await client.createEntity({
  partitionKey: partition,
  rowKey: "fromJs",
  Int32: 2147483647,
  Int64: { value: "-9223372036854775808", type: "Int64" },
  Double: { value: 2.5, type: "Double" },
  WholeDouble: { value: 4, type: "Double" },
  Bool: false,
  When: { value: "2025-01-02T03:04:05.6789012Z", type: "DateTime" },
  WhenDate: new Date("2025-06-07T08:09:10.123Z"),
  Id: { value: "c0ffee00-1234-4abc-8def-0123456789ab", type: "Guid" },
  Bytes: new Uint8Array([1, 2, 3, 254]),
  Text: "héllo 'quoted' ☃",
});

console.log(JSON.stringify({ ok: true, read }));
