#!/usr/bin/env bash
# The JavaScript guests: installs their npm dependencies when needed, runs
# their tests (node --test) and builds their components (cached by source
# hash). Idempotent; CI runs it before `cargo test`.
#
#   guest-sdk-js/               @checkout-plugin/sdk: npm ci, node --test
#   plugins/example-checkout-js npm ci, node --test,
#                               npm run build -> target/js/example_checkout_js.wasm
#   tests/guests/thrower-js     npm ci, npm run build -> target/js/thrower_js.wasm
#                               (a test guest that throws, for the e2e tests)
#
# `npm ci` runs only when a package's node_modules is missing or its
# package.json / package-lock.json changed since the last install (a hash
# kept in node_modules/.ci-inputs). The component build is skipped when
# the hash of all its inputs (bundled sources, locks, WIT, tool versions)
# equals the stamp next to it (target/js/*.wasm.stamp).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build-js-guests: node and npm are needed (node >= 20)" >&2
  exit 1
fi

# npm ci in $1 unless its node_modules matches its manifest and lock.
install() {
  local dir=$1 stamp="$1/node_modules/.ci-inputs" want
  want=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [[ -d $dir/node_modules && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    echo "== $dir: node_modules up to date"
    return
  fi
  echo "== $dir: npm ci"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

# The SDK first: the plugins link it (file:../../guest-sdk-js) and its
# node_modules hold the build tools.
install guest-sdk-js
install plugins/example-checkout-js
install tests/guests/thrower-js

echo "== guest-sdk-js: node --test"
(cd guest-sdk-js && node --test test/*.test.js)
echo "== plugins/example-checkout-js: node --test"
(cd plugins/example-checkout-js && node --test test/*.test.js)

echo "== plugins/example-checkout-js: build"
(cd plugins/example-checkout-js && npm run --silent build)

echo "== tests/guests/thrower-js: build"
(cd tests/guests/thrower-js && npm run --silent build)
