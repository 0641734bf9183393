#!/usr/bin/env bash
# Wall time and peak memory of a full wsconform run, against the built-in
# reference echo server and against a third-party server (tokio-tungstenite,
# harness/examples/tungstenite_echo.rs), plus the masking benchmark of ws-spec.
# The cost of TLS: `wsconform echo` tested over ws:// and over wss:// (`echo
# --tls`, generated CA), the whole catalogue and the 9.x throughput cases alone.
#
#   scripts/bench.sh                 # JOBS=4 by default
#   JOBS=8 PANEL_URL=ws://127.0.0.1:9120/ scripts/bench.sh
#
# Compression: sections 12 and 13 (216 cases) against COMPRESSION_URL (default: the
# `wsconform echo` server, which negotiates permessage-deflate), with wstest's wall
# time on the same server beside it. wstest needs about half an hour for these, so it
# runs only with WSTEST=1 (via AUTOBAHN_RUN, default /work/shared/tools/autobahn/run.sh);
# WSTEST_REPORT=DIR instead prints the time of an earlier wstest run of 12/13 on that
# server, the sum of its case durations (wstest runs cases one at a time).
#
#   COMPRESSION_URL=ws://127.0.0.1:9100/ WSTEST=1 scripts/bench.sh
#
# PANEL_URL, when set, is tested too. When `kosoku` (PyPI) is on PATH, it runs
# the same third-party server with the same parallelism (sections 12 and 13
# excluded: tokio-tungstenite has no permessage-deflate) for comparison.
# Every server is on loopback; the script stops the ones it starts.
set -euo pipefail

cd "$(dirname "$0")/.."
JOBS="${JOBS:-4}"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
WSCONFORM="$TARGET_DIR/release/wsconform"
ECHO_BIN="$TARGET_DIR/release/examples/tungstenite_echo"
SCRATCH="$(mktemp -d)"
SERVER_PID=""
ECHO_PIDS=()

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    for pid in "${ECHO_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

echo "== build (release)"
cargo build --release -q -p wsconform --bin wsconform --example tungstenite_echo

if [[ -x /usr/bin/time ]]; then
    HAVE_GNU_TIME=1
else
    HAVE_GNU_TIME=0
    echo "note: /usr/bin/time not found: peak RSS unknown, wall time from bash"
fi

# measure LABEL CMD...: runs CMD with its stdout in $SCRATCH/out and prints one line:
# label, wall seconds, peak RSS, exit code, and a verdict summary when CMD printed JSON.
measure() {
    local label="$1"
    shift
    local code=0 wall rss
    if [[ "$HAVE_GNU_TIME" == 1 ]]; then
        /usr/bin/time -f '%e %M' -o "$SCRATCH/time" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || code=$?
        # GNU time puts "Command exited with non-zero status N" first on failure.
        read -r wall rss < <(tail -n 1 "$SCRATCH/time") || true
        rss="$((rss / 1024)) MiB"
    else
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || code=$?
        t1=$(date +%s.%N)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
        rss="unknown"
    fi
    printf '%-44s wall %7s s   peak RSS %9s   exit %s' "$label" "$wall" "$rss" "$code"
    if command -v python3 >/dev/null && head -c 1 "$SCRATCH/out" | grep -q '{'; then
        python3 - "$SCRATCH/out" <<'EOF' || true
import json, sys
s = json.load(open(sys.argv[1]))
counts = ", ".join(f"{k} {v}" for k, v in (s.get("counts") or {}).items() if v)
failing = s.get("failing") or []
more = f": {' '.join(failing[:8])}{' ...' if len(failing) > 8 else ''}" if failing else ""
print(f"\n    {s.get('total')} cases ({counts}); {len(failing)} failing{more}")
EOF
    else
        printf '\n    %s\n' "$(tail -n 1 "$SCRATCH/out")"
    fi
    if [[ "$code" -ge 2 ]]; then
        sed -n '1,5p' "$SCRATCH/err" >&2
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

wait_for_port() {
    local port="$1"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "server on port $port did not come up" >&2
    return 1
}

RUN=("$WSCONFORM" run --no-report --format json -j "$JOBS")

echo "== wsconform -j $JOBS, full catalogue"
measure "built-in reference server" "${RUN[@]}"
measure "built-in reference server, --quick" "${RUN[@]}" --quick

# start_echo NAME ARGS...: runs `wsconform echo --port 0 ARGS` in the background,
# waits for its banner (the last line it prints before serving) and sets
# ECHO_URL from it.
start_echo() {
    local name="$1" last="$2"
    shift 2
    "$WSCONFORM" echo --port 0 "$@" >"$SCRATCH/$name.out" 2>&1 &
    ECHO_PIDS+=("$!")
    for _ in $(seq 1 100); do
        grep -q "$last" "$SCRATCH/$name.out" && break
        sleep 0.1
    done
    ECHO_URL="$(sed -n 's/^wsconform echo server listening on //p' "$SCRATCH/$name.out")"
    if [[ -z "$ECHO_URL" ]] || ! grep -q "$last" "$SCRATCH/$name.out"; then
        echo "wsconform echo $* did not come up:" >&2
        cat "$SCRATCH/$name.out" >&2
        return 1
    fi
}

echo "== TLS: wsconform echo over ws:// and over wss:// (echo --tls, generated CA)"
start_echo plain "listening on"
PLAIN_URL="$ECHO_URL"
start_echo tls "CA certificate" --tls --ca-out "$SCRATCH/ca.pem"
TLS_URL="$ECHO_URL"
measure "wsconform echo, ws://" "${RUN[@]}" "$PLAIN_URL"
measure "wsconform echo --tls, wss://" "${RUN[@]}" --ca "$SCRATCH/ca.pem" "$TLS_URL"
measure "wsconform echo, ws://, 9.* only" "${RUN[@]}" --cases '9.*' "$PLAIN_URL"
measure "wsconform echo --tls, wss://, 9.* only" "${RUN[@]}" --cases '9.*' --ca "$SCRATCH/ca.pem" "$TLS_URL"

echo "== compression: sections 12 and 13 (216 cases), wsconform and wstest on one server"
COMPRESSION_URL="${COMPRESSION_URL:-$PLAIN_URL}"
measure "wsconform, 12.* 13.* ($COMPRESSION_URL)" "${RUN[@]}" --cases '12.*,13.*' "$COMPRESSION_URL"
if [[ "${WSTEST:-0}" == 1 ]]; then
    AUTOBAHN_RUN="${AUTOBAHN_RUN:-/work/shared/tools/autobahn/run.sh}"
    measure "wstest, 12.* 13.* ($COMPRESSION_URL)" \
        bash "$AUTOBAHN_RUN" "$COMPRESSION_URL" "$SCRATCH/wstest" '12.*,13.*'
elif [[ -n "${WSTEST_REPORT:-}" ]]; then
    python3 - "$WSTEST_REPORT/index.json" <<'EOF'
import json, sys
index = json.load(open(sys.argv[1]))
for agent, cases in index.items():
    ids = [c for c in cases if c.split(".")[0] in ("12", "13")]
    total = sum(cases[c].get("duration", 0) for c in ids) / 1000
    label = f"wstest, {agent} (earlier run, sum of cases)"
    print(f"{label:<44} wall {total:7.2f} s   {len(ids)} cases")
EOF
else
    echo "wstest: not run (WSTEST=1 runs it, about 30 min; WSTEST_REPORT=DIR reads an earlier run)"
fi

PORT="$(free_port)"
"$ECHO_BIN" "$PORT" 2>/dev/null &
SERVER_PID=$!
wait_for_port "$PORT"
THIRD="ws://127.0.0.1:$PORT/"
measure "tokio-tungstenite ($THIRD)" "${RUN[@]}" "$THIRD"
# Autobahn's own sections only (no section 0), the selection kosoku runs below.
measure "tokio-tungstenite, Autobahn sections" "${RUN[@]}" --exclude '0.*' "$THIRD"

if [[ -n "${PANEL_URL:-}" ]]; then
    measure "PANEL_URL ($PANEL_URL)" "${RUN[@]}" "$PANEL_URL"
fi

if command -v kosoku >/dev/null; then
    echo "== kosoku -p $JOBS against the same tokio-tungstenite server"
    measure "kosoku (12.* and 13.* excluded)" \
        kosoku "127.0.0.1:$PORT" -p "$JOBS" -x '12.*' -x '13.*' -o "$SCRATCH/kosoku"
else
    echo "== kosoku not on PATH (pip install kosoku): comparison skipped"
fi

kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

echo "== masking benchmark (cargo bench -p ws-spec)"
cargo bench -q -p ws-spec --bench mask 2>/dev/null || echo "cargo bench -p ws-spec failed"
