#!/usr/bin/env bash
# etcd for development and tests: find or install it, start a single member or a 3-member cluster on
# loopback ports, wait until it is healthy, stop it by pid.
#
#   scripts/etcd.sh install                                 etcd + etcdctl on PATH (apt-get when missing)
#   scripts/etcd.sh start [--members 1|3] [--data DIR] [--port 2379]
#   scripts/etcd.sh stop  [--data DIR]
#   scripts/etcd.sh status [--data DIR]
#
# Member i listens for clients on port+i*10000 (2379, 12379, 22379) and for peers one port above.
set -euo pipefail

data_dir="${FOSSIL_ETCD_DATA:-./data/etcd-dev}"
members=1
base_port=2379

die() { echo "etcd.sh: $*" >&2; exit 1; }

install_etcd() {
  if command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    die "etcd is not on PATH and this is not a Debian/Ubuntu machine (no apt-get).
Install etcd 3.4 or newer (etcd and etcdctl) from your distribution or https://etcd.io, put it on PATH,
or point the tests at a running etcd with FOSSIL_ETCD_ENDPOINTS=http://127.0.0.1:2379."
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      die "etcd is not installed and installing it needs root. Run as root or with sudo:
  apt-get update && apt-get install -y etcd-server etcd-client"
    fi
  fi
  echo "etcd.sh: installing Debian's etcd-server and etcd-client..." >&2
  # The package lists of a new machine may be missing or stale; refresh once and retry.
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null 2>&1; then
    $sudo apt-get update -q >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null
  fi
  # Debian starts an etcd service on install; it would hold port 2379, and tests bring their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    $sudo systemctl stop etcd || true
  fi
  command -v etcd >/dev/null 2>&1 || die "the etcd-server package installed, but 'etcd' is still not on PATH."
  echo "etcd.sh: $(etcd --version | head -1)" >&2
}

client_port() { echo $((base_port + $1 * 10000)); }
peer_port() { echo $((base_port + $1 * 10000 + 1)); }

endpoints() {
  local list=() i
  for ((i = 0; i < members; i++)); do list+=("http://127.0.0.1:$(client_port "$i")"); done
  (IFS=,; echo "${list[*]}")
}

wait_healthy() {
  local url=$1 deadline=$((SECONDS + 30))
  until curl -fsS "$url/health" 2>/dev/null | grep -q '"health":"true"'; do
    [ $SECONDS -lt $deadline ] || die "etcd at $url did not become healthy within 30s; see $data_dir/*.log"
    sleep 0.2
  done
}

start() {
  install_etcd
  mkdir -p "$data_dir"
  [ -f "$data_dir/members" ] && members_running && die "etcd is already running from $data_dir (stop it first)"
  local cluster="" i
  for ((i = 0; i < members; i++)); do cluster+="${cluster:+,}m$i=http://127.0.0.1:$(peer_port "$i")"; done
  echo "$members $base_port" >"$data_dir/members"
  for ((i = 0; i < members; i++)); do
    nohup etcd --name "m$i" --data-dir "$data_dir/m$i" \
      --listen-client-urls "http://127.0.0.1:$(client_port "$i")" \
      --advertise-client-urls "http://127.0.0.1:$(client_port "$i")" \
      --listen-peer-urls "http://127.0.0.1:$(peer_port "$i")" \
      --initial-advertise-peer-urls "http://127.0.0.1:$(peer_port "$i")" \
      --initial-cluster "$cluster" --initial-cluster-token fossil-dev --initial-cluster-state new \
      --logger zap --log-outputs stderr --log-level warn \
      >>"$data_dir/m$i.log" 2>&1 &
    echo $! >"$data_dir/m$i.pid"
  done
  for ((i = 0; i < members; i++)); do wait_healthy "http://127.0.0.1:$(client_port "$i")"; done
  echo "FOSSIL_ETCD_ENDPOINTS=$(endpoints)"
}

read_members() {
  [ -f "$data_dir/members" ] || die "no etcd was started from $data_dir"
  read -r members base_port <"$data_dir/members"
}

members_running() {
  local f
  for f in "$data_dir"/m*.pid; do
    [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}

stop() {
  local f pid
  for f in "$data_dir"/m*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  echo "etcd.sh: stopped etcd in $data_dir" >&2
}

status() {
  read_members
  ETCDCTL_API=3 etcdctl --endpoints "$(endpoints)" --dial-timeout 2s endpoint status -w table
}

command=${1:-}
[ -n "$command" ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --members) members=$2; shift 2 ;;
    --data) data_dir=$2; shift 2 ;;
    --port) base_port=$2; shift 2 ;;
    *) die "unknown option '$1'" ;;
  esac
done
case "$members" in 1|3|5) ;; *) die "--members must be 1, 3 or 5 (got '$members')" ;; esac

case "$command" in
  install) install_etcd ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "unknown command '$command' (install, start, stop, status)" ;;
esac
