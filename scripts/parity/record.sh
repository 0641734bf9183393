#!/usr/bin/env bash
# record.sh: re-record the parity corpus (parity/corpus/) with the real wstest 25.10.1.
# Documented in docs/parity.md; not run in CI (wstest is sequential and slow: hours).
#
#   scripts/parity/record.sh [--role server|client] [--name index.json] [PEER...]
#     PEER     peers to record (default: every one, scripts/parity/peer.sh list)
#     --role   only servers or only clients (default both)
#     --name   file to write in each corpus folder: index.json (default) replaces the
#              recording; index-2.json records a second time beside it, to find verdicts
#              that change from one wstest run to the next
#
# Servers: wstest -m fuzzingclient plays sections 1-7, 9, 10 and rows 1-9 of every
# subsection of 12 and 13 (108 permessage-deflate cases) against the peer's echo server.
# Clients: wstest -m fuzzingserver serves sections 1-7 and 10 to the peer's client driver.
# Each result goes to parity/corpus/PEER/ROLE/: index.json (wstest's format, behavior,
# behaviorClose and remoteCloseCode per case), wstest-results.json (wstest's sentences for
# the cases not OK/OK) and manifest.json (library, version, how started, wstest, date).
#
# Env: AUTOBAHN_TOOLS (folder of setup.sh and run.sh; default ../shared/tools/autobahn
# beside the repository), PORT (first loopback port used, default 9260), KEEP_RAW=DIR keeps
# wstest's whole reports there. Peers are installed with install-peers.sh first.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TOOLS=${AUTOBAHN_TOOLS:-$ROOT/../shared/tools/autobahn}
[ -f "$TOOLS/run.sh" ] || TOOLS=/work/shared/tools/autobahn
[ -f "$TOOLS/run.sh" ] || { echo "[record] no wstest tools (set AUTOBAHN_TOOLS to the folder of setup.sh and run.sh)" >&2; exit 1; }
CORPUS="$ROOT/parity/corpus"
PORT=${PORT:-9260}

roles=(server client)
name=index.json
peers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --role) roles=("$2"); shift 2 ;;
    --name) name=$2; shift 2 ;;
    -*) echo "[record] unknown option $1" >&2; exit 2 ;;
    *) peers+=("$1"); shift ;;
  esac
done
[ ${#peers[@]} -gt 0 ] || mapfile -t peers < <("$HERE/peer.sh" list)

server_cases() {
  local list="1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*" s r
  for s in 1 2 3 4 5; do for r in $(seq 1 9); do list+=",12.$s.$r"; done; done
  for s in 1 2 3 4 5 6 7; do for r in $(seq 1 9); do list+=",13.$s.$r"; done; done
  echo "$list"
}
CLIENT_CASES="1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*"

bash "$TOOLS/setup.sh" >&2
bash "$HERE/install-peers.sh" >&2
AH=${AUTOBAHN_HOME:-$HOME/.cache/autobahn-py2}
WSTEST_VERSION=$("$AH/bin/python2" -c 'import autobahntestsuite as a; print(a.__version__)')
RAW=${KEEP_RAW:-$(mktemp -d)}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

record_server() {
  local peer=$1 port=$2 raw="$RAW/$1/server"
  rm -rf "$raw"; mkdir -p "$raw"
  "$HERE/peer.sh" server "$peer" "$port" >"$raw/peer.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  "$HERE/peer.sh" wait "$port" 60
  local start; start=$(date +%s)
  AGENT=$peer bash "$TOOLS/run.sh" "ws://127.0.0.1:$port/" "$raw" "$(server_cases)" >&2
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  python3 "$HERE/distill.py" "$raw" "$peer" "$CORPUS/$peer/server" --name "$name" --manifest \
    "peer=$peer" "library=$("$HERE/peer.sh" version "$peer")" "role=server" \
    "started=scripts/parity/peer.sh server $peer PORT" "tested_by=wstest -m fuzzingclient (scripts/parity/record.sh)" \
    "wstest=autobahntestsuite $WSTEST_VERSION" "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
    "wstest_seconds=$(( $(date +%s) - start ))"
}

record_client() {
  local peer=$1 port=$2 raw="$RAW/$1/client"
  rm -rf "$raw"; mkdir -p "$raw"
  bash "$TOOLS/run.sh" --fuzzingserver "$port" "$raw" "$CLIENT_CASES" >"$raw/wstest.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  "$HERE/peer.sh" wait "$port" 60
  local start; start=$(date +%s)
  timeout 3600 "$HERE/peer.sh" client "$peer" "ws://127.0.0.1:$port" "$peer" >"$raw/client.log" 2>&1 \
    || echo "[record] $peer client exited with $? (log: $raw/client.log)" >&2
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  python3 "$HERE/distill.py" "$raw" "$peer" "$CORPUS/$peer/client" --name "$name" --manifest \
    "peer=$peer" "library=$("$HERE/peer.sh" version "$peer")" "role=client" \
    "started=scripts/parity/peer.sh client $peer ws://127.0.0.1:PORT $peer" \
    "tested_by=wstest -m fuzzingserver (scripts/parity/record.sh)" \
    "wstest=autobahntestsuite $WSTEST_VERSION" "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
    "wstest_seconds=$(( $(date +%s) - start ))"
}

port=$PORT
for role in "${roles[@]}"; do
  for peer in "${peers[@]}"; do
    port=$((port + 1))
    echo "[record] $peer $role on port $port ($(date -u +%H:%M:%S))" >&2
    "record_$role" "$peer" "$port"
  done
done
echo "[record] done; raw reports in $RAW" >&2
