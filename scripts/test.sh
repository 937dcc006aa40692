#!/usr/bin/env bash
# The README's test command: installs what is missing (etcd), builds, runs every test project, and
# ends with one line "N passed, N failed". Tests start their own etcd processes on free loopback
# ports; set FOSSIL_ETCD_ENDPOINTS to run the single-member tests against an etcd of your own.
set -euo pipefail
cd "$(dirname "$0")/.."

configuration=${CONFIGURATION:-Release}
results=artifacts/test-results

scripts/etcd.sh install
# The TLS tests make their certificates with the openssl command.
if ! command -v openssl >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null; }
fi
command -v dotnet >/dev/null 2>&1 || { echo "test.sh: the .NET SDK (dotnet) is not on PATH; see README.md" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Fossil.Kv.sln -c "$configuration" -nologo -clp:ErrorsOnly

rm -rf "$results"
status=0
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stalled CI run.
dotnet test Fossil.Kv.sln -c "$configuration" --no-build -nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" \
  --blame-hang-timeout 5m "$@" || status=$?

# Sum the counters of every test run into the one closing line CI reads.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
[ "$failed" -eq 0 ] || status=1
exit "$status"
