#!/usr/bin/env bash
# The README's run command: builds and starts a node. With no etcd endpoints configured the node
# starts and supervises its own etcd (data in ./data/etcd). Extra arguments go to the node, e.g.
#   scripts/run.sh --urls http://127.0.0.1:5081 --Fossil:Etcd:Endpoints=http://127.0.0.1:2379
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/etcd.sh install
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project src/Fossil.Kv.Node -c Release -- "$@"
