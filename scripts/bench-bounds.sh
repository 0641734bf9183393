#!/usr/bin/env bash
# Bounds of issue #22 measured on the whole catalogue (docs/bounds.md records the figures):
#
# 1. flood   every default case of the catalogue against a server that floods small
#            messages on every connection: peak RSS of the run (VmHWM of the process)
#            and the size of the report directory. Runs the ignored test
#            `full_catalogue_flood` of harness/tests/bounds.rs, which prints the figures
#            (CI runs the same bounds on a representative subset instead).
#            With chromium, also how the flooded report's page (every case failing)
#            loads, for 1 agent and copied under 5 agent names.
# 2. html    a report of the default catalogue for 5 agents: its size, and how long
#            headless Chromium takes to load it (`--dump-dom` returns after the load
#            event), minus the time it takes for an empty page, best of 3.
#
#   scripts/bench-bounds.sh [flood] [html]        (default: both)
#
# Needs a release build (cargo build --release) and, for html, chromium
# (scripts/browsers/install.sh browsers). Everything stays on loopback.
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
WSCONFORM="$TARGET_DIR/release/wsconform"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
WHAT=("$@")
[[ ${#WHAT[@]} -eq 0 ]] && WHAT=(flood html)

want() { [[ " ${WHAT[*]} " == *" $1 "* ]]; }

# Copies the one agent of report directory $1 under 4 more agent names (agent-2 to
# agent-5) and re-renders index.html.
five_agents() {
    python3 - "$1" <<'EOF'
import json, os, sys
d = sys.argv[1]
index = json.load(open(os.path.join(d, "index.json")))
(agent, cases), = index.items()
for n in range(2, 6):
    name = f"agent-{n}"
    entries = {}
    for cid, entry in cases.items():
        case = json.load(open(os.path.join(d, entry["reportfile"])))
        case["agent"] = name
        f = f"agent_{n}_case_" + cid.replace(".", "_") + ".json"
        json.dump(case, open(os.path.join(d, f), "w"))
        entries[cid] = dict(entry, reportfile=f)
    index[name] = entries
json.dump(index, open(os.path.join(d, "index.json"), "w"), indent=3, sort_keys=True)
EOF
    "$WSCONFORM" report html "$1" >/dev/null
}

# Loads file $1 in headless Chromium 3 times; prints the best time in ms.
load() {
    local best=999999
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s%N)
        "$CHROME" --headless=new --no-sandbox --disable-gpu --no-first-run \
            --user-data-dir="$SCRATCH/profile" --dump-dom "file://$1" >/dev/null 2>&1
        t1=$(date +%s%N)
        local ms=$(((t1 - t0) / 1000000))
        ((ms < best)) && best=$ms
    done
    echo "$best"
}

# Says how large report directory $1 and its page are, and how long the page takes to load.
measure() {
    local what page blank
    what=$(python3 -c "import json,sys; i=json.load(open(sys.argv[1])); print(len(i), 'agents x', len(next(iter(i.values()))), 'cases')" "$1/index.json")
    echo "report: $what; index.html $(stat -c %s "$1/index.html") bytes; directory $(du -sb "$1" | cut -f1) bytes"
    echo '<!doctype html><title>blank</title>' > "$SCRATCH/blank.html"
    blank=$(load "$SCRATCH/blank.html")
    page=$(load "$1/index.html")
    echo "chromium: blank page ${blank} ms, report ${page} ms: the report loads in $((page - blank)) ms"
}

CHROME="$(command -v chromium || command -v chromium-browser || true)"
if want html && [[ -z "$CHROME" ]]; then
    echo "chromium missing: scripts/browsers/install.sh browsers" >&2
    exit 1
fi

if want flood; then
    echo "== flood: the whole catalogue against a server flooding small messages"
    FLOODED="$SCRATCH/flooded"
    WSCONFORM_KEEP_FLOOD_REPORT="$FLOODED" \
        cargo test --release -p wsconform --test bounds -- --ignored full_catalogue_flood \
        --nocapture --test-threads 1 2>&1 | grep -oE '^test result.*|flood \(.*' || {
        echo "flood measurement failed" >&2
        exit 1
    }
    if [[ -n "$CHROME" && -d "$FLOODED" ]]; then
        echo "== the flooded report's page (every case fails): 1 agent, then 5"
        measure "$FLOODED"
        five_agents "$FLOODED"
        measure "$FLOODED"
    fi
fi

if want html; then
    echo "== html: a report of the whole catalogue for 5 agents, loaded by headless Chromium"
    DIR="$SCRATCH/report"
    # One real run of the whole catalogue against the built-in echo server, then the same
    # results under 5 agent names (the page's size and shape are what is measured).
    "$WSCONFORM" run -q --agent agent-1 --out "$DIR" >/dev/null || true
    five_agents "$DIR"
    measure "$DIR"
fi
