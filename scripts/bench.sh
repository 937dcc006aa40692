#!/usr/bin/env bash
# Both benchmarks of docs/benchmarks.md: the append benchmark (EventStore appends side by side with raw
# etcd Puts) and the raw etcd client benchmark. Each starts its own single etcd member with data in a
# temporary directory on the local disk, unless FOSSIL_ETCD_ENDPOINTS names one.
#
#   scripts/bench.sh [--seconds 5] [--partitions 1,4] [--runs 2]    results also in artifacts/bench/
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5
partitions=1,4
runs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

scripts/etcd.sh install
command -v dotnet >/dev/null 2>&1 || { echo "bench.sh: the .NET SDK (dotnet) is not on PATH; see README.md" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Benchmark process only: idle thread-pool workers stop spinning for work, which on 2 cores otherwise
# competes with etcd for CPU (docs/benchmarks.md). Override by exporting another value.
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-0}

dotnet build -c Release tests/Fossil.Kv.Benchmarks -nologo -clp:ErrorsOnly
dotnet build -c Release tests/Fossil.Kv.Etcd.Benchmarks -nologo -clp:ErrorsOnly

endpoint_args=()
if [ -n "${FOSSIL_ETCD_ENDPOINTS:-}" ]; then endpoint_args=(--endpoints "${FOSSIL_ETCD_ENDPOINTS%%,*}"); fi

out=artifacts/bench
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
for run in $(seq 1 "$runs"); do
  echo "== append benchmark, run $run" >&2
  dotnet run -c Release --no-build --project tests/Fossil.Kv.Benchmarks -- append ${endpoint_args[@]+"${endpoint_args[@]}"} \
    --seconds "$seconds" --partitions "$partitions" --json "$out/append-$stamp-$run.json" | tee "$out/append-$stamp-$run.txt"
  echo "== raw etcd client benchmark, run $run" >&2
  dotnet run -c Release --no-build --project tests/Fossil.Kv.Etcd.Benchmarks -- ${endpoint_args[@]+"${endpoint_args[@]}"} \
    --seconds "$seconds" | tee "$out/etcd-$stamp-$run.txt"
done
