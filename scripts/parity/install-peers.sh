#!/usr/bin/env bash
# install-peers.sh: install the pinned third-party peers of the parity check, and the
# Python HTTP/2 server of harness/tests/http2_real.rs.
#
#   scripts/parity/install-peers.sh [python] [node] [rust] [hypercorn]
#                                  (default: the first three, the parity peers)
#
# Where: ${WSCONFORM_PEERS:-$HOME/.cache/wsconform-peers}, reused when present; a step
# whose pins have not changed since it last succeeded only checks (idempotent).
#   venv/          Python venv: websockets 17.4, aiohttp 3.14.5, autobahn 26.10.2 and their
#                  dependencies, every one pinned (peers/python/requirements.txt), from PyPI
#   node/          `npm ci` of peers/node/package-lock.json: ws 8.23.0, from npm
#   rust           tokio-tungstenite 0.30.0 and fastwebsockets 0.10.0 (crates.io, Cargo.lock):
#                  the harness crate's examples, built into the workspace's target/release
#                  by `cargo test --workspace --release --no-run`, so that after CI's test
#                  step it builds nothing
#   hypercorn/     a venv of its own: Hypercorn 0.18.0 (RFC 8441 through h2 4.4.1) and its
#                  dependencies, every one pinned (scripts/http2/requirements.txt), from PyPI;
#                  it serves scripts/http2/asgi_echo.py. HAProxy and Apache, the other
#                  HTTP/2 servers of that test, come from scripts/proxies/install.sh.
# Needs python3 (with venv), node and npm (node 18 or later), cargo.
# Exit status 1, naming what is missing, when a step fails.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${WSCONFORM_PEERS:-$HOME/.cache/wsconform-peers}

log() { echo "[install-peers] $*" >&2; }
die() { echo "[install-peers] ERROR: $*" >&2; exit 1; }

# A venv at DIR from the pinned requirements file REQ, checked by importing MODULES (a
# comma list); reused while REQ is unchanged and the modules import.
venv_step() {
  local dir=$1 req=$2 modules=$3 name=$4
  command -v python3 >/dev/null || die "python3 missing: apt-get install python3 python3-venv"
  if [ -x "$dir/bin/python" ] && cmp -s "$req" "$dir/.requirements.txt" \
     && "$dir/bin/python" -c "import $modules" 2>/dev/null; then
    log "$name: venv up to date ($dir)"
    return
  fi
  log "$name: creating $dir from ${req#"$ROOT"/}"
  rm -rf "$dir"
  python3 -m venv "$dir" || die "python3 -m venv failed: apt-get install python3-venv"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req" \
    || die "pip install -r $req failed"
  "$dir/bin/python" -c "import $modules" || die "$name: $modules do not import after the install"
  cp "$req" "$dir/.requirements.txt"
}

node_step() {
  local dir="$PEERS/node"
  command -v node >/dev/null && command -v npm >/dev/null || die "node or npm missing: apt-get install nodejs npm (node 18 or later)"
  if [ -f "$dir/node_modules/ws/package.json" ] && cmp -s "$HERE/peers/node/package-lock.json" "$dir/package-lock.json"; then
    log "node: node_modules up to date ($dir)"
    return
  fi
  log "node: npm ci in $dir"
  mkdir -p "$dir"
  cp "$HERE/peers/node/package.json" "$HERE/peers/node/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $dir"
}

rust_step() {
  command -v cargo >/dev/null || die "cargo missing: install a Rust toolchain (rustup)"
  # The very command of CI's test step (without running): a narrower `cargo build -p
  # wsconform --examples` resolves features differently and rebuilds much of the tree.
  log "rust: cargo test --workspace --release --no-run (builds the example peers and wsconform)"
  (cd "$ROOT" && cargo test --workspace --release --no-run -q) || die "cargo build of the example peers failed"
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(python node rust)
mkdir -p "$PEERS"
for step in "${steps[@]}"; do
  case "$step" in
    python) venv_step "$PEERS/venv" "$HERE/peers/python/requirements.txt" websockets,aiohttp,autobahn python ;;
    hypercorn) venv_step "$PEERS/hypercorn" "$ROOT/scripts/http2/requirements.txt" hypercorn,h2 hypercorn ;;
    node) node_step ;;
    rust) rust_step ;;
    *) die "unknown step $step (python, node, rust, hypercorn)" ;;
  esac
done
log "ready: $PEERS"
