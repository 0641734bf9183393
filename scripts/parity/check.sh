#!/usr/bin/env bash
# check.sh: the parity check that CI runs (.ci/run). Installs the pinned peers (cached,
# install-peers.sh), builds wsconform, then scripts/parity/check.py replays every
# recording of parity/corpus/ against the same peers with wsconform and fails on any
# verdict that differs from wstest's and is not listed in parity/deliberate-differences.tsv.
#
#   scripts/parity/check.sh [--peers a,b] [--roles server|client] [--work DIR]
#
# Reports and logs of the runs go to target/parity/ (--work). See docs/parity.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
command -v python3 >/dev/null || { echo "parity: python3 missing: apt-get install python3 python3-venv" >&2; exit 1; }
python3 scripts/parity/test_check.py
# Also builds wsconform (the rust step is CI's own test build, so nothing new after it).
bash scripts/parity/install-peers.sh
target=${CARGO_TARGET_DIR:-target}
rc=0
python3 scripts/parity/check.py --wsconform "$target/release/wsconform" "$@" || rc=$?
echo "parity: check took $(( $(date +%s) - start )) s"
exit "$rc"
