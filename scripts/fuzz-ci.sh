#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS seconds (default 30)
# and fails on any crash. Prints, per target, the executions per second and
# how long it ran, from libFuzzer's final stats (-print_final_stats=1).
#
# Needs a nightly toolchain (cargo-fuzz builds with sanitizers). Without one it
# fails under CI=true (naming what to install); elsewhere it says it skipped and
# exits 0, so stable-only machines can still run the CI script.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
seconds="${FUZZ_SECONDS:-30}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
        echo "fuzz-ci: FAILED: no nightly toolchain under CI=true (install it: rustup toolchain install nightly)"
        exit 1
    fi
    echo "fuzz-ci: SKIPPED: no nightly toolchain (cargo +nightly failed; rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-ci: cargo-fuzz missing; installing it"
    cargo +nightly install cargo-fuzz --locked || cargo install cargo-fuzz
fi

# Targets that read HTTP header text get the handshake dictionary.
dict_for() {
    case "$1" in
        handshake_request | handshake_response | extensions | deflate_negotiation) echo "-dict=$root/fuzz/http.dict" ;;
        *) echo "" ;;
    esac
}

script_start=$(date +%s)
echo "fuzz-ci: building every target"
cargo +nightly fuzz build
mapfile -t targets < <(cargo +nightly fuzz list)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
rows=()
for target in "${targets[@]}"; do
    log="$logs/$target.log"
    echo "fuzz-ci: $target for ${seconds}s"
    start=$(date +%s)
    status=clean
    # shellcheck disable=SC2046 # the dictionary flag is one word or none
    if ! cargo +nightly fuzz run "$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 $(dict_for "$target") \
        >"$log" 2>&1; then
        status=CRASH
    fi
    elapsed=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    if [ -z "$execs" ] && [ "$status" = clean ]; then
        status="NO STATS"
    fi
    if [ "$status" != clean ]; then
        failed+=("$target")
        echo "fuzz-ci: $target FAILED; end of its log:"
        tail -n 40 "$log" | sed 's/^/    /'
        grep -h 'Test unit written to' "$log" | sed 's/^/    /' || true
    fi
    rows+=("$(printf '%-20s %-8s %12s %10s %8ss' "$target" "$status" "${execs:--}" "${rate:--}" "$elapsed")")
done

echo
printf '%-20s %-8s %12s %10s %9s\n' target result executions exec/s run-time
for row in "${rows[@]}"; do
    echo "$row"
done
echo "fuzz-ci: total $(($(date +%s) - script_start))s for ${#targets[@]} targets at ${seconds}s each"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-ci: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)"
    exit 1
fi
echo "fuzz-ci: no crash"
