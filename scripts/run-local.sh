#!/usr/bin/env bash
# The main job, locally, on a fresh machine: installs the node tools, builds the app, starts Azurite and the
# app standalone (in-process queues and timers standing in for Service Bus and the Functions host), then
# drives it with the simulator. Arguments go to the simulator (--out also sets where the app writes its outbox).
# Ctrl+C stops the simulator (which writes a partial report), then the app and Azurite.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_http() { # url, seconds
  for _ in $(seq 1 "$(( $2 * 10 ))"); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; return 1
}

# --out belongs to this script as much as to the simulator: the app's outbox and log go there too.
run_dir="${RUN_DIR:-$root/out/run}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) run_dir="$2"; shift 2 ;;
    --out=*) run_dir="${1#--out=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
run_dir="$(mkdir -p "$run_dir" && cd "$run_dir" && pwd)"

# A run starts from an empty folder, so nothing from an earlier run sits beside its outputs. Only files a run
# writes are removed; anything else means the folder is not a run folder, and the run refuses to touch it.
outputs=(report.html prediction.json portfolio.json snapshots.json app.log outbox)
for entry in "$run_dir"/* "$run_dir"/.[!.]*; do
  [ -e "$entry" ] || continue
  name="$(basename "$entry")"
  if [[ ! " ${outputs[*]} " == *" $name "* ]]; then
    echo "The output folder $run_dir holds $name, which a run does not write: choose an empty or new folder (--out)." >&2
    exit 2
  fi
done
for name in "${outputs[@]}"; do rm -rf "${run_dir:?}/$name"; done

if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing node tools (Azurite) ..."
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "Building ..."
dotnet build CustomerSuccess.Functions.sln -c Release --nologo -clp:ErrorsOnly -v quiet

table_port="$(free_port)"
app_port="${APP_PORT:-$(free_port)}"
pids=()
status=0
# CPU seconds a process has used so far (user + system), from /proc.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo "?"; }
cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ "${#pids[@]}" -ge 2 ] && [ "$status" -eq 0 ]; then
    echo "CPU used by the run's processes: Azurite $(cpu_seconds "${pids[0]}") s, the app $(cpu_seconds "${pids[1]}") s."
  fi
  if [ -n "${AZURITE_DEBUG_LOG:-}" ] && [ "${#pids[@]}" -ge 1 ]; then
    # Azurite's logger writes behind the requests (tens of seconds on a busy machine): let it catch up before the
    # process goes, or the tail of the log is lost.
    last=-1; for _ in $(seq 1 120); do
      size=$(stat -c %s "$AZURITE_DEBUG_LOG" 2>/dev/null || echo 0)
      [ "$size" = "$last" ] && break
      last=$size; sleep 2
    done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$status" -eq 130 ] || [ "$status" -eq 143 ]; then
    echo "Stopped: the simulator, the app and Azurite are no longer running. Outputs so far (report marked partial) in $run_dir."
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Azurite and the app run in sessions of their own, so Ctrl+C in the terminal reaches only this script and the
# simulator: the app must stay up while the simulator reads its results for the partial report.
echo "Starting Azurite (Table storage) on 127.0.0.1:$table_port ..."
# AZURITE_DEBUG_LOG=path: Azurite logs every request there (slow; for counting requests with scripts/azurite-ops.mjs).
azurite_log=(--silent)
if [ -n "${AZURITE_DEBUG_LOG:-}" ]; then azurite_log=(--debug "$AZURITE_DEBUG_LOG"); fi
# AZURITE_LOCATION=folder: Azurite keeps the tables there (a JSON file per service) and they outlive the run, for
# reading the scores' history and dimensions afterwards; by default they live in memory and go with the run.
azurite_store=(--inMemoryPersistence)
if [ -n "${AZURITE_LOCATION:-}" ]; then mkdir -p "$AZURITE_LOCATION"; azurite_store=(--location "$AZURITE_LOCATION"); fi
setsid node node_modules/azurite/dist/src/table/main.js --tableHost 127.0.0.1 --tablePort "$table_port" \
  "${azurite_store[@]}" --skipApiVersionCheck --disableTelemetry "${azurite_log[@]}" &
pids+=($!)

# Secrets for this run only: generated here, handed to the app and the simulator, never written to the repo.
secret() { node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"; }
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"
export FunctionKeys__Default="$(secret)"
export Webhooks__Stripe__SigningSecrets__0="whsec_$(secret)"
export Webhooks__Segment__SharedSecrets__0="$(secret)"
export Webhooks__Zendesk__SigningSecrets__0="$(secret)"
export Lifecycle__UnsubscribeSigningKey="$(secret)"
export Email__OutboxPath="$run_dir/outbox"
export Hosting__Port="$app_port"
export Clock__Mode="${CLOCK_MODE:-Simulated}"
# The simulator moves the clock in steps and waits for the runner to settle; a short poll keeps each step quick.
export LocalRunner__PollInterval="${LOCAL_RUNNER_POLL:-00:00:00.020}"
export ASPNETCORE_ENVIRONMENT=Development
# A run is minutes long, so the JIT's profile-guided re-compilation (tiered PGO) costs more than it earns back: with
# it off the app used about a fifth less CPU in 100-account, 12-day runs (docs/benchmarks.md, "JIT").
export DOTNET_TieredPGO="${DOTNET_TieredPGO:-0}"
export Logging__LogLevel__Default=Warning

# The simulated product's event vocabulary, as CS operations would configure it for their own product.
eval "$(node -e 'const v=require("./src/CustomerSuccess.Simulator/simulated-product.settings.json").Values;for(const[k,x]of Object.entries(v))console.log(`export ${k}=${JSON.stringify(x)}`)')"

# The simulated CS team as CS operations would configure it: the on-call rota and the escalation contact.
simulator="src/CustomerSuccess.Simulator/bin/Release/net10.0/CustomerSuccess.Simulator.dll"
while IFS='=' read -r key value; do export "$key=$value"; done < <(dotnet "$simulator" --print-team-settings "${args[@]}")

echo "Starting the app on http://127.0.0.1:$app_port ..."
# The applier's rate line (events applied per busy second, with the app's simulated day) stays in app.log at Warning:
# it is how a long run shows whether applying slows down as the tables grow (grep "Applier:" app.log).
setsid env "Logging__LogLevel__CustomerSuccess.Functions.Webhooks.ApplierRate=Information" \
  dotnet src/CustomerSuccess.Functions/bin/Release/net10.0/CustomerSuccess.Functions.dll > "$run_dir/app.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$app_port/api/healthz" 60

cat <<EOF
App:          http://127.0.0.1:$app_port   (e.g. curl -H "x-functions-key: $FunctionKeys__Default" http://127.0.0.1:$app_port/api/portfolio)
Function key: $FunctionKeys__Default   (this run only)
Outputs:      $run_dir   (report.html, prediction.json, snapshots.json, portfolio.json, outbox/, app.log)
EOF

sim_status=0
dotnet "$simulator" --app "http://127.0.0.1:$app_port" --out "$run_dir" "${args[@]}" || sim_status=$?

# PARTITION_SIZES=1: per table, the number of partitions and the largest one's rows, read from this run's Azurite
# (after a completed run only: a stopped run stops at once).
if [ "${PARTITION_SIZES:-}" = 1 ] && [ "$sim_status" -eq 0 ]; then
  node scripts/partition-sizes.mjs "$AzureWebJobsStorage" || true
fi
# KEEP_RUNNING=1: after a completed run the app and Azurite stay up, so its pages and API can be explored with the
# key printed above; Ctrl+C stops them.
if [ "${KEEP_RUNNING:-}" = 1 ] && [ "$sim_status" -eq 0 ]; then
  echo "The app stays up: http://127.0.0.1:$app_port/api/dashboard (function key above). Ctrl+C stops it and Azurite."
  while kill -0 "${pids[1]}" 2>/dev/null; do sleep 5; done
fi
exit "$sim_status"
