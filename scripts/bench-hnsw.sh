#!/usr/bin/env bash
# Side-by-side HNSW benchmark: Fossil.Kv.Vectors against hnswlib (C++, via Debian's python3-hnswlib),
# same .fvecs files, same M / efConstruction / ef / k, single thread each.
#
#   scripts/bench-hnsw.sh [--data DIR] [--n 100000] [--dim 128] [--queries 1000] [--clusters 100]
#                         [--m 16] [--ef-construction 200] [--ef 16,32,64,128,256] [--k 10]
#                         [--metric l2|cosine|ip] [--seed 42] [--rounds 3] [--min-seconds 1]
#
# Generates DIR/base.fvecs + DIR/query.fvecs when missing (seeded, so reproducible offline) and the
# exact ground truth DIR/gt-<metric>.ivecs on the first run. Runs the two implementations alternately
# --rounds times (the machine is shared; alternating spreads any noise over both) and prints, per ef,
# recall and the best queries/s of the rounds, then the best build rate. Raw JSON goes to DIR/results/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${TMPDIR:-/tmp}/fossil-kv-bench/hnsw"
n=100000 dim=128 queries=1000 clusters=100
m=16 efc=200 ef=16,32,64,128,256 k=10 metric=l2 seed=42 rounds=3 min_seconds=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data="$2" ;;
    --n) n="$2" ;;
    --dim) dim="$2" ;;
    --queries) queries="$2" ;;
    --clusters) clusters="$2" ;;
    --m) m="$2" ;;
    --ef-construction) efc="$2" ;;
    --ef) ef="$2" ;;
    --k) k="$2" ;;
    --metric) metric="$2" ;;
    --seed) seed="$2" ;;
    --rounds) rounds="$2" ;;
    --min-seconds) min_seconds="$2" ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done

# Debian's hnswlib is installed for the system interpreter, not for a pyenv one that may shadow it.
py=/usr/bin/python3
if ! "$py" -c 'import hnswlib, numpy' 2>/dev/null; then
  echo "installing python3-hnswlib and python3-numpy..." >&2
  apt-get install -y python3-hnswlib python3-numpy >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y python3-hnswlib python3-numpy >/dev/null; }
fi

echo "building Fossil.Kv.Vectors.Benchmarks (Release)..." >&2
dotnet build -c Release "$root/tests/Fossil.Kv.Vectors.Benchmarks" -v quiet -nologo >/dev/null
ours="$root/tests/Fossil.Kv.Vectors.Benchmarks/bin/Release/net10.0/Fossil.Kv.Vectors.Benchmarks"

mkdir -p "$data/results"
if [[ ! -f "$data/base.fvecs" || ! -f "$data/query.fvecs" ]]; then
  echo "generating $n x $dim clustered vectors ($clusters clusters) and $queries queries in $data..." >&2
  "$ours" generate --out "$data" --n "$n" --queries "$queries" --dim "$dim" --clusters "$clusters" --seed 1 >/dev/null
fi
gt="$data/gt-$metric.ivecs"

common=(--base "$data/base.fvecs" --query "$data/query.fvecs" --gt "$gt" --m "$m" --ef-construction "$efc"
        --ef "$ef" --k "$k" --metric "$metric" --seed "$seed" --min-seconds "$min_seconds")
stamp="$(date +%Y%m%d-%H%M%S)"
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds: Fossil.Kv.Vectors..." >&2
  "$ours" "${common[@]}" > "$data/results/$stamp-ours-$r.json"
  echo "round $r/$rounds: hnswlib..." >&2
  "$py" "$root/scripts/hnswlib_bench.py" "${common[@]}" > "$data/results/$stamp-hnswlib-$r.json"
done

"$py" - "$data/results" "$stamp" "$rounds" <<'PY'
import json, sys
folder, stamp, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(who):
    return [json.load(open(f"{folder}/{stamp}-{who}-{r}.json")) for r in range(1, rounds + 1)]
ours, theirs = load("ours"), load("hnswlib")
o0, t0 = ours[0], theirs[0]
print(f"{o0['n']} x {o0['dim']}-d, {o0['queries']} queries, metric {o0['metric']}, M={o0['m']}, "
      f"efConstruction={o0['ef_construction']}, k={o0['k']}, single thread, best of {rounds} alternating rounds "
      f"(ours: {o0.get('simd', '?')}; {t0['implementation']})")
def best(runs, ef, key):
    return max(next(x[key] for x in r["results"] if x["ef"] == ef) for r in runs)
def rec(runs, ef):
    return next(x["recall"] for x in runs[0]["results"] if x["ef"] == ef)
hdr = f"{'ef':>5} | {'recall ours':>11} {'hnswlib':>8} {'diff':>7} | {'q/s ours':>9} {'hnswlib':>9} {'ratio':>6} | {'cpu q/s ours':>12} {'hnswlib':>9} {'ratio':>6}"
print(hdr)
print("-" * len(hdr))
for x in o0["results"]:
    ef = x["ef"]
    ro, rt = rec(ours, ef), rec(theirs, ef)
    qo, qt = best(ours, ef, "qps"), best(theirs, ef, "qps")
    co, ct = best(ours, ef, "qps_cpu"), best(theirs, ef, "qps_cpu")
    print(f"{ef:>5} | {ro:>11.4f} {rt:>8.4f} {ro - rt:>+7.4f} | {qo:>9.0f} {qt:>9.0f} {qo / qt:>6.2f} | {co:>12.0f} {ct:>9.0f} {co / ct:>6.2f}")
bo = max(r["build_vectors_per_second"] for r in ours)
bt = max(r["build_vectors_per_second"] for r in theirs)
co = max(r["build_cpu_vectors_per_second"] for r in ours)
ct = max(r["build_cpu_vectors_per_second"] for r in theirs)
print(f"build vectors/s: ours {bo:.0f}, hnswlib {bt:.0f} (ratio {bo / bt:.2f}); cpu-time: ours {co:.0f}, hnswlib {ct:.0f} (ratio {co / ct:.2f})")
print("per round (build v/s, q/s at each ef):")
for name, runs in (("ours", ours), ("hnswlib", theirs)):
    for i, r in enumerate(runs, 1):
        print(f"  {name:>7} #{i}: build {r['build_vectors_per_second']:.0f}; " + ", ".join(f"ef{x['ef']}={x['qps']:.0f}" for x in r["results"]))
PY
