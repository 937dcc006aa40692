#!/usr/bin/env bash
# The fault-injection run of docs/reliability.md: a 3-member etcd cluster on loopback, node processes
# with 3 s segments, concurrent appenders/readers/subscribers, etcd and node processes killed and paused
# on a schedule; then the history checker. Exits non-zero when the checker finds any violation.
#
#   scripts/chaos.sh [--seconds 120] [--nodes 2] [--appenders 6] [--seed 1]
#
# The recorded history (operations.jsonl, final-log.jsonl, faults.log) and the node logs stay in
# artifacts/chaos/<UTC time>/; the etcd members live in a temporary directory removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds|--nodes|--appenders|--seed) [ $# -ge 2 ] || { echo "chaos.sh: $1 needs a value" >&2; exit 2; }; args+=("$1" "$2"); shift 2 ;;
    *) echo "chaos.sh: unknown argument $1 (expected --seconds, --nodes, --appenders, --seed)" >&2; exit 2 ;;
  esac
done

scripts/etcd.sh install
command -v dotnet >/dev/null 2>&1 || { echo "chaos.sh: the .NET SDK (dotnet) is not on PATH; see README.md" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Builds the node in Release too: the chaos program starts the Fossil.Kv.Node.dll copied beside it.
dotnet build -c Release tests/Fossil.Kv.Chaos -nologo -clp:ErrorsOnly

work=artifacts/chaos/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$work"
dotnet tests/Fossil.Kv.Chaos/bin/Release/net10.0/Fossil.Kv.Chaos.dll --work "$(pwd)/$work" ${args[@]+"${args[@]}"} | tee "$work/report.txt"
exit "${PIPESTATUS[0]}"
