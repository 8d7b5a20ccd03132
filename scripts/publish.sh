#!/usr/bin/env bash
# Lays out the deployment package the Functions host expects and zips it:
#   host.json, <FunctionName>/function.json for every function, handler/ (the self-contained linux-x64 server
#   that host.json's customHandler.description.defaultExecutablePath points at).
# Output: artifacts/publish/app/ (the layout) and artifacts/publish/package.zip (what azd / zip deploy uploads).
set -euo pipefail
cd "$(dirname "$0")/.."

out="artifacts/publish"
app="$out/app"
rm -rf "$out"
mkdir -p "$app"

dotnet publish src/CustomerSuccess.Functions/CustomerSuccess.Functions.csproj -c Release -r linux-x64 --self-contained true \
  -p:PublishReadyToRun=false -p:DebugType=none --nologo -clp:ErrorsOnly -o "$app/handler"

cp host.json "$app/"
for dir in src/CustomerSuccess.Functions/functions/*/; do
  name="$(basename "$dir")"
  mkdir -p "$app/$name"
  cp "$dir/function.json" "$app/$name/function.json"
done
# The handler reads no function.json under the host; the copy in handler/ is only for standalone runs.
rm -rf "$app/handler/functions" "$app/handler/local.settings.json"

exe="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["customHandler"]["description"]["defaultExecutablePath"])' host.json)"
if [ ! -x "$app/$exe" ]; then
  echo "host.json points at $exe, which is not an executable in the package." >&2
  exit 1
fi

(cd "$app" && if command -v zip >/dev/null; then zip -qr -X ../package.zip .; else python3 -m zipfile -c ../package.zip .; fi)
echo "Package: $out/package.zip ($(du -h "$out/package.zip" | cut -f1)), layout in $app"
