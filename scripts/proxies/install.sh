#!/usr/bin/env bash
# install.sh: the reverse proxies harness/tests/proxy_real.rs puts in front of
# `wsconform proxy`'s backend.
#
#   scripts/proxies/install.sh [apt] [node]          (default: both, what CI tests)
#
# apt   Debian bookworm packages, pinned: nginx, HAProxy 2.6, Apache httpd 2.4 (its
#       mod_proxy_wstunnel ships in apache2-bin) and Caddy 2.6. The tests run the binaries
#       in the foreground with a configuration in a temporary directory; no service is
#       started. Debian's security archive replaces a version when it ships the next;
#       when a pin is gone the newest is installed and the script says so loudly (update
#       the pins and docs/results/proxies.md then).
# node  `npm ci` of scripts/proxies/node/package-lock.json (http-proxy 1.18.1) into
#       ${WSCONFORM_PROXIES:-$HOME/.cache/wsconform-proxies}/node, reused while the lock
#       file is unchanged.
# Idempotent: what is installed at the pinned version is only checked.
# Exit status 1, naming what failed.
set -euo pipefail

NGINX=1.22.1-9+deb12u12
HAPROXY=2.6.12-1+deb12u4
APACHE=2.4.71-1~deb12u1
CADDY=2.6.2-5

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${WSCONFORM_PROXIES:-$HOME/.cache/wsconform-proxies}

TAG=proxies
# shellcheck source=../apt-pins.sh
. "$HERE/../apt-pins.sh"

apt_step() {
  command -v apt-get >/dev/null || die "no apt-get: install nginx, haproxy, apache2 and caddy by hand"
  apt_pinned docs/results/proxies.md "nginx=$NGINX" "nginx-common=$NGINX" "haproxy=$HAPROXY" \
    "apache2=$APACHE" "apache2-bin=$APACHE" "apache2-data=$APACHE" "apache2-utils=$APACHE" \
    "caddy=$CADDY"
  for bin in nginx haproxy apache2 caddy; do
    command -v "$bin" >/dev/null || [ -x "/usr/sbin/$bin" ] || die "$bin missing after apt-get install"
  done
  [ -f /usr/lib/apache2/modules/mod_proxy_wstunnel.so ] || die "mod_proxy_wstunnel.so missing (apache2-bin)"
}

node_step() {
  command -v node >/dev/null && command -v npm >/dev/null || die "node or npm missing: apt-get install nodejs npm"
  local dir="$CACHE/node" lock="$HERE/node/package-lock.json"
  if cmp -s "$lock" "$dir/package-lock.json" && [ -f "$dir/node_modules/http-proxy/package.json" ]; then
    log "node: http-proxy up to date ($dir)"
    return
  fi
  log "node: npm ci in $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$HERE/node/package.json" "$lock" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $dir"
}

STEPS=(apt node)
DEFAULT_STEPS=(apt node)
run_steps "$@"
log "done"
