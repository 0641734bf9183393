#!/usr/bin/env bash
# load-check.sh: do verdicts hold up on a busy machine? Sections 1-7 and 10 against the
# parity check's pinned peers, three runs each, as server and as client, beside two
# busy-loop processes; compared across runs and with wstest's corpus (docs/confirmation.md).
#
#   scripts/load-check.sh [--peers a,b] [--roles server|client] [--runs N] [--load N] [--work DIR]
#
# A bench (a few minutes), not run in CI. Exit status 1 when a verdict varied across runs
# or differs from wstest's without a listed reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/parity/install-peers.sh python node
cargo build --release -q -p wsconform --bin wsconform
exec python3 scripts/load-check.py --wsconform "${CARGO_TARGET_DIR:-target}/release/wsconform" "$@"
