#!/usr/bin/env bash
# Python guests: test the Python SDK (guest-sdk-py) and the Python
# example-checkout (plugins/example-checkout-py) natively, then build the
# example into target/py/example_checkout_py.wasm with componentize-py.
#
# Idempotent, and cheap when nothing changed:
# - target/py-venv is created with componentize-py==0.25.1 only when it is
#   missing or holds another version (needs PyPI the first time);
# - the generated bindings (target/py/bindings, for the SDK's component
#   tests) and the component are rebuilt only when their inputs changed
#   (a stamp next to each holds the hash of the WIT, the sources, the SDK
#   and the componentize-py version).
#
# Paths are relative to the repository root, whatever the working directory
# or CARGO_TARGET_DIR. PYTHON picks the interpreter for the venv (default
# python3, 3.10 or later). Exit non-zero on the first failure.
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/py-venv"
OUT="$ROOT/target/py"
PY="$VENV/bin/python"
CPY="$VENV/bin/componentize-py"
export PYTHONDONTWRITEBYTECODE=1

step() { printf '==> %s\n' "$*" >&2; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# 1. The venv with the pinned componentize-py.
t=$(now)
want="componentize-py $COMPONENTIZE_PY_VERSION"
have="$("$CPY" --version 2>/dev/null || true)"
if [[ "$have" != "$want" ]]; then
    step "venv: installing componentize-py==$COMPONENTIZE_PY_VERSION into target/py-venv (had: ${have:-none})"
    "${PYTHON:-python3}" -m venv --clear "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
    have="$("$CPY" --version)"
    [[ "$have" == "$want" ]] || { echo "error: got $have, wanted $want" >&2; exit 1; }
fi
step "venv: $have ($(took "$t"))"

# 2. Bindings for world checkout-plugin, which the SDK's component tests load.
t=$(now)
mkdir -p "$OUT"
wit_hash="$( { echo "$have"; cat guest-sdk/wit/*.wit; } | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OUT/bindings.stamp" || "$(cat "$OUT/bindings.stamp")" != "$wit_hash" ]]; then
    rm -rf "$OUT/bindings" "$OUT/bindings.stamp"
    "$CPY" -q -d guest-sdk/wit -w checkout-plugin bindings "$OUT/bindings"
    echo "$wit_hash" >"$OUT/bindings.stamp"
fi
step "bindings: target/py/bindings ($(took "$t"))"

# 3. The SDK's tests (the component side included, against the bindings).
t=$(now)
(cd guest-sdk-py && CHECKOUT_PLUGIN_SDK_BINDINGS="$OUT/bindings" "$PY" -m unittest -q)
step "guest-sdk-py: tests passed ($(took "$t"))"

# 4. The example's tests.
t=$(now)
(cd plugins/example-checkout-py && PYTHONPATH="$ROOT/plugins/example-checkout-py/src:$ROOT/guest-sdk-py" "$PY" -m unittest -q)
step "example-checkout-py: tests passed ($(took "$t"))"

# 5. The component (skipped when its stamp matches).
t=$(now)
PYTHONPATH="$ROOT/guest-sdk-py" "$PY" -m checkout_plugin_sdk.build \
    --componentize-py "$CPY" \
    --src plugins/example-checkout-py/src --app app \
    -o target/py/example_checkout_py.wasm
step "example-checkout-py: component ($(took "$t"))"
