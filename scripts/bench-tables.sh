#!/usr/bin/env bash
# Table storage client vs the official JS SDK, same workload, same Azurite, one run.
# Usage: scripts/bench-tables.sh [inserts=20000] [concurrency=32] [batches=200]
set -euo pipefail
cd "$(dirname "$0")/.."

INSERTS="${1:-20000}"
CONCURRENCY="${2:-32}"
BATCHES="${3:-200}"

[ -d node_modules/azurite ] || npm ci --no-audit --no-fund

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')"
node node_modules/azurite/dist/src/table/main.js --tableHost 127.0.0.1 --tablePort "$PORT" \
  --inMemoryPersistence --skipApiVersionCheck --disableTelemetry --silent >/dev/null 2>&1 &
AZURITE_PID=$!
trap 'kill "$AZURITE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
ENDPOINT="http://127.0.0.1:$PORT/devstoreaccount1"

dotnet build tests/CustomerSuccess.Functions.Benchmarks -c Release -v quiet -nologo >/dev/null
DOTNET_RESULT="$(dotnet run --project tests/CustomerSuccess.Functions.Benchmarks -c Release --no-build -- tables "$ENDPOINT" "$INSERTS" "$CONCURRENCY" "$BATCHES")"
JS_RESULT="$(node scripts/bench-tables.mjs "$ENDPOINT" "$INSERTS" "$CONCURRENCY" "$BATCHES")"

echo "Azurite 3.35.0 (in memory) at $ENDPOINT; $INSERTS point inserts and $BATCHES x 100-entity batches at concurrency $CONCURRENCY; query of $INSERTS entities (best of 3 passes)"
echo "$(nproc) cores, $(dotnet --version) SDK, node $(node --version)"
node -e '
const rows = process.argv.slice(1).map((s) => JSON.parse(s));
const cols = [["client", "client"], ["pointInsertsPerSec", "point inserts/s"], ["batchesPerSec", "batches/s"], ["batchEntitiesPerSec", "batch entities/s"], ["queryEntitiesPerSec", "query entities/s"]];
console.log("| " + cols.map((c) => c[1]).join(" | ") + " |");
console.log("|" + cols.map((c, i) => (i ? "---:" : "---")).join("|") + "|");
for (const r of rows) console.log("| " + cols.map((c) => r[c[0]]).join(" | ") + " |");
' "$DOTNET_RESULT" "$JS_RESULT"
