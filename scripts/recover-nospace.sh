#!/usr/bin/env bash
# Gets a Fossil.Kv store out of etcd's NOSPACE alarm (ADR 0006, "NOSPACE"). Over its quota etcd refuses every
# write that grows it, so appends fail with 507 no_space while reads go on. The way out, in this order:
#   1. evict    the segments named with --evict (under NOSPACE only their events can be deleted; that is what frees space)
#   2. compact  etcd's history up to now, waiting until it is physically gone (deleted keys still take space until then)
#   3. defrag   every member, one at a time (only defragmentation shrinks the database file)
#   4. disarm   the NOSPACE alarm, so etcd takes writes again
#   5. evict    the same segments again: with writes possible their eviction finishes (records, stream heads, files)
#
# usage: scripts/recover-nospace.sh [--etcd URLS] [--prefix PREFIX] [--evict SID]... [--yes]
#   Without --evict it only compacts, defragments and disarms (enough when space was freed already).
#   `scripts/fossil segments list` shows the sealed segments, oldest first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fossil=("${FOSSIL_CLI:-$root/scripts/fossil}")
global=()
evict=()
yes=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --etcd|--prefix) global+=("$1" "$2"); shift 2 ;;
        --evict) evict+=("$2"); shift 2 ;;
        --yes|-y) yes=(--yes); shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "recover-nospace.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if [[ ${#yes[@]} -eq 0 ]]; then
    read -r -p "evict ${evict[*]:-nothing}, then compact, defragment and disarm etcd? [y/N] " answer
    [[ "$answer" == y || "$answer" == Y ]] || { echo "nothing done"; exit 1; }
fi

step() { echo; echo "== $*"; }
step "etcd before"
"${fossil[@]}" "${global[@]}" etcd status
for sid in "${evict[@]}"; do
    step "evict $sid (events first)"
    "${fossil[@]}" "${global[@]}" segments evict "$sid" --yes
done
step "compact to the current revision"
"${fossil[@]}" "${global[@]}" etcd compact --physical --yes
step "defragment every member"
"${fossil[@]}" "${global[@]}" etcd defrag --yes
step "disarm NOSPACE"
"${fossil[@]}" "${global[@]}" etcd disarm
for sid in "${evict[@]}"; do
    if "${fossil[@]}" "${global[@]}" segments show "$sid" >/dev/null 2>&1; then
        step "finish evicting $sid"
        "${fossil[@]}" "${global[@]}" segments evict "$sid" --yes
    fi
done
step "etcd after"
"${fossil[@]}" "${global[@]}" etcd status
