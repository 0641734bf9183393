# apt-pins.sh: sourced by the install scripts (scripts/browsers/install.sh,
# scripts/proxies/install.sh): their log lines, the steps they run, and Debian packages
# installed at pinned versions, idempotently.
#
#   TAG=proxies
#   . "$(dirname "${BASH_SOURCE[0]}")/../apt-pins.sh"
#   apt_pinned docs/results/proxies.md nginx=1.22.1-9+deb12u12 ...
#
# Debian's security archive replaces a version when it ships the next, so a pin can
# vanish: then apt_pinned installs the newest and says so loudly, naming the script
# and the page (its first argument) whose pins to update.

log() { echo "[$TAG] $*" >&2; }
die() { echo "[$TAG] ERROR: $*" >&2; exit 1; }

# run_steps [STEP...]: runs the function STEP_step (a dash in STEP read as an underscore)
# of each STEP in order, or of each of DEFAULT_STEPS when none is named. STEPS lists every
# step the script has; an unknown STEP fails before any step runs.
run_steps() {
  local wanted=("$@") known s
  [ $# -gt 0 ] || wanted=("${DEFAULT_STEPS[@]}")
  printf -v known '%s, ' "${STEPS[@]}"
  for s in "${wanted[@]}"; do
    [[ " ${STEPS[*]} " == *" $s "* ]] || die "unknown step $s (${known%, })"
  done
  for s in "${wanted[@]}"; do
    "${s//-/_}_step"
  done
}

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

apt_install() {
  # Fresh machines have no package lists yet.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; then
    apt-get update -q >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
  fi
}

# apt_pinned DOC PACKAGE=VERSION...: installs each package not installed at its pin.
apt_pinned() {
  local doc=$1 want=() loose=() pair pkg pin
  shift
  for pair in "$@"; do
    pkg=${pair%%=*} pin=${pair#*=}
    if [ "$(installed_version "$pkg")" = "$pin" ]; then
      log "$pkg $pin installed"
    else
      want+=("$pair")
      loose+=("$pkg")
    fi
  done
  [ ${#want[@]} -eq 0 ] && return 0
  log "apt-get install ${want[*]}"
  apt_install "${want[@]}" && return 0
  log "WARNING: a pinned version is no longer in Debian's archive; installing the newest of ${loose[*]}"
  apt_install "${loose[@]}" || die "apt-get install ${loose[*]} failed"
  for pkg in "${loose[@]}"; do
    log "WARNING: now $pkg $(installed_version "$pkg"): update the pins in $0 and $doc"
  done
}
