#!/usr/bin/env bash
# peer.sh: start one pinned third-party peer of the parity check (installed by install-peers.sh).
#
#   peer.sh list                       the peers' names, one a line
#   peer.sh version NAME               library and version, read from what is installed
#   peer.sh server NAME PORT           run NAME's echo server on 127.0.0.1:PORT (foreground)
#   peer.sh client NAME BASE AGENT     run NAME's Autobahn fuzzingserver driver against BASE
#                                      (ws://127.0.0.1:PORT): /getCaseCount, every case one
#                                      at a time echoing until the server closes, /updateReports
#   peer.sh wait PORT [SECONDS]        wait until 127.0.0.1:PORT accepts connections (default 30 s)
#
# Peers: py-websockets, py-aiohttp, py-autobahn (PyPI), node-ws (npm),
# rs-tokio-tungstenite, rs-fastwebsockets (crates.io; examples of the harness crate).
# Env: WSCONFORM_PEERS (default $HOME/.cache/wsconform-peers), CARGO_TARGET_DIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${WSCONFORM_PEERS:-$HOME/.cache/wsconform-peers}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PY="$PEERS/venv/bin/python"
NAMES=(py-websockets py-aiohttp py-autobahn node-ws rs-tokio-tungstenite rs-fastwebsockets)

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }
die() { echo "[peer] $*" >&2; exit 1; }

need() {
  [ -e "$1" ] || die "$1 missing: run scripts/parity/install-peers.sh $2"
}

# The command line of NAME in ROLE (server or client); arguments follow it.
command_of() {
  local name=$1 role=$2
  case "$name" in
    py-websockets | py-aiohttp | py-autobahn)
      need "$PY" python
      echo "$PY $HERE/peers/python/${name#py-}_peer.py $role" ;;
    node-ws)
      need "$PEERS/node/node_modules/ws/package.json" node
      echo "node $HERE/peers/node/ws_peer.js $role" ;;
    rs-tokio-tungstenite)
      local bin="$TARGET/release/examples/tungstenite_echo"
      [ "$role" = server ] || bin="$TARGET/release/examples/tungstenite_client"
      need "$bin" rust
      echo "$bin" ;;
    rs-fastwebsockets)
      local bin="$TARGET/release/examples/fastwebsockets_echo"
      [ "$role" = server ] || bin="$TARGET/release/examples/fastwebsockets_client"
      need "$bin" rust
      echo "$bin" ;;
    *) die "unknown peer $name (peer.sh list)" ;;
  esac
}

# The version of a crate as Cargo.lock pins it.
locked() { awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"; }

case "${1:-}" in
  list) printf '%s\n' "${NAMES[@]}" ;;
  version)
    [ $# -eq 2 ] || usage
    case "$2" in
      py-*) need "$PY" python
            lib=${2#py-}
            echo "$lib $("$PY" -c "import importlib.metadata as m; print(m.version('$lib'))") (Python $("$PY" -c 'import platform; print(platform.python_version())'))" ;;
      node-ws) need "$PEERS/node/node_modules/ws/package.json" node
               echo "ws $(node -p "require('$PEERS/node/node_modules/ws/package.json').version") (node $(node --version))" ;;
      rs-tokio-tungstenite) echo "tokio-tungstenite $(locked tokio-tungstenite) (tungstenite $(locked tungstenite), Rust)" ;;
      rs-fastwebsockets) echo "fastwebsockets $(locked fastwebsockets) (hyper $(locked hyper), Rust)" ;;
      *) die "unknown peer $2 (peer.sh list)" ;;
    esac ;;
  server)
    [ $# -eq 3 ] || usage
    cmd=$(command_of "$2" server)
    export NODE_PATH="$PEERS/node/node_modules"
    # shellcheck disable=SC2086 # the command is words without spaces inside them
    exec $cmd "$3" ;;
  client)
    [ $# -eq 4 ] || usage
    cmd=$(command_of "$2" client)
    export NODE_PATH="$PEERS/node/node_modules"
    # shellcheck disable=SC2086
    exec $cmd "$3" "$4" ;;
  wait)
    [ $# -ge 2 ] || usage
    deadline=$(( $(date +%s) + ${3:-30} ))
    until (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do
      [ "$(date +%s)" -lt "$deadline" ] || die "nothing listens on 127.0.0.1:$2 after ${3:-30} s"
      sleep 0.2
    done ;;
  *) usage ;;
esac
