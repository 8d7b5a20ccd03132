#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the node tools (Azurite, the official Tables SDK for interop
# checks), builds the solution with warnings as errors, and runs the test project. Azurite is started by the
# test fixtures themselves, on free ports. The build restores the Bicep CLI (NuGet package, PackageDownload) and
# makes it executable; the infra tests run bicep build, lint, build-params and snapshot on infra/ and fail on any
# diagnostic (tests/CustomerSuccess.Functions.Tests/Infra). Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null; then
  echo "dotnet SDK not found (global.json pins 10.0.x)." >&2
  exit 1
fi

if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Headless Chromium for the dashboard test (Debian package; no browser download).
if ! command -v chromium >/dev/null && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed; the dashboard browser test will fail" >&2
fi

dotnet build CustomerSuccess.Functions.sln -c Release --nologo -clp:ErrorsOnly

results="$(mktemp -d)"
set +e
dotnet test CustomerSuccess.Functions.sln -c Release --no-build --nologo \
  --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
set -e

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  p=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*'); passed=$((passed + ${p:-0}))
  f=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*'); failed=$((failed + ${f:-0}))
done
rm -rf "$results"
echo "${passed} passed, ${failed} failed"
exit $status
