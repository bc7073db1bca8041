#!/usr/bin/env bash
# The example-checkout in Rust, JavaScript and Python, side by side:
# component size, fuel, memory and time of one `initialize_checkout` under
# `invoke`, then each served by one `plugin-host serve` (default log level,
# default settings unless HOST_TOML / PLUGIN_TOML say otherwise) under wrk,
# 32 connections for 10 s each: requests/s, latency, non-2xx, deadline
# faults, and where a call's time went (from /metrics).
#
#   host/benches/languages.sh
#   DURATION=30s CONNECTIONS=64 host/benches/languages.sh
#   PLUGIN_TOML='max_concurrency = 2' host/benches/languages.sh        # every manifest
#   HOST_TOML=$'[engine]\npagemap_scan = false' host/benches/languages.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
fi
rustup target add wasm32-wasip2 >/dev/null 2>&1
cargo build --release --target wasm32-wasip2 -p example-checkout >&2
cargo build --release -p plugin-host >&2
scripts/build-js-guests.sh >&2
scripts/build-py-guests.sh >&2

BIN=${BIN:-$PWD/target/release/plugin-host}
BODY=$PWD/guest-sdk/fixtures/initialize_checkout.json
declare -A WASM=(
  [rust]=$PWD/target/wasm32-wasip2/release/example_checkout.wasm
  [javascript]=$PWD/target/js/example_checkout_js.wasm
  [python]=$PWD/target/py/example_checkout_py.wasm
)
LANGS=(rust javascript python)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== invoke, initialize_checkout ($(stat -c %s "$BODY") B), warm artifact cache, best of 5"
printf '%-11s %12s %12s %14s %10s\n' language wasm_bytes fuel peak_memory time_ms
for lang in "${LANGS[@]}"; do
  best=""
  for _ in 1 2 3 4 5; do
    "$BIN" invoke "${WASM[$lang]}" "$BODY" >/dev/null 2>"$WORK/report"
    # The report's lines: "fuel: <used> / <limit>", "memory: <peak> / <limit>", "time: <ms> ms / ..."
    fuel=$(sed -n 's/^fuel: *\([0-9,]*\).*/\1/p' "$WORK/report" | tr -d ,)
    memory=$(sed -n 's/^memory: *\([^/]*[^ /]\) *\/.*/\1/p' "$WORK/report" | tr -d ' ')
    ms=$(sed -n 's/^time: *\([0-9.]*\).*/\1/p' "$WORK/report")
    if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$ms; fi
  done
  printf '%-11s %12s %12s %14s %10s\n' "$lang" "$(stat -c %s "${WASM[$lang]}")" "$fuel" "$memory" "$best"
done

export BENCH_SECRET=bench-secret
plugins=""
for lang in "${LANGS[@]}"; do
  cat > "$WORK/$lang.toml" <<TOML
id = "$lang"
component = "${WASM[$lang]}"
client_secret_env = "BENCH_SECRET"
scopes = ["provide_shipping_rates", "modify_order", "add_fee"]
${PLUGIN_TOML:-}
TOML
  plugins="$plugins\"$lang.toml\", "
done
cat > "$WORK/host.toml" <<TOML
listen = "127.0.0.1:0"
data_dir = "$WORK/data"
plugins = [$plugins]
watch = false
${HOST_TOML:-}
TOML
"$BIN" serve --config "$WORK/host.toml" >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 600); do grep -q '^listening on ' "$WORK/out" && break; sleep 0.1; done
ADDR=$(sed -n 's/^listening on //p' "$WORK/out")
[ -n "$ADDR" ] || { echo "the server did not start:" >&2; cat "$WORK/err" >&2; exit 1; }

run() { # $1 = plugin id; prints "rps p50 p99 non2xx errors"
  local url="http://$ADDR/plugins/$1/events"
  "$BIN" sign --secret-env BENCH_SECRET --body "$BODY" --url "$url" --headers "date" >"$WORK/signed"
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$BODY", "rb"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Date"] = "$(sed -n 's/^Date: //p' "$WORK/signed")"
wrk.headers["Authorization"] = '$(sed -n 's/^Authorization: //p' "$WORK/signed")'
done = function(summary, latency, requests)
  local s = summary.errors
  io.write(string.format("RESULT %.0f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    s.status, s.connect + s.read + s.write + s.timeout))
end
LUA
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/post.lua" "$url" | sed -n 's/^RESULT //p'
}

metric() { # $1 = series name, $2 = plugin: the value, 0 if absent
  curl -s "http://$ADDR/metrics" | awk -v n="$1{plugin=\"$2\"}" '$1 == n { print $2; found = 1 } END { if (!found) print 0 }'
}

echo "== serve, wrk -t1 -c$CONNECTIONS -d$DURATION each, default log level; settings: ${PLUGIN_TOML:-defaults} ${HOST_TOML:-}"
printf '%-11s %8s %8s %8s %7s %7s %9s %10s %10s %10s\n' language req/s p50_ms p99_ms non2xx errors timeouts wait_ms inst_ms exec_ms
for lang in "${LANGS[@]}"; do
  read -r rps p50 p99 non2xx errs < <(run "$lang")
  timeouts=$(curl -s "http://$ADDR/metrics" | awk -v n="plugin_host_faults_total{plugin=\"$lang\",kind=\"timeout\"}" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }')
  avg() { awk -v s="$(metric "plugin_host_$1_seconds_sum" "$lang")" -v c="$(metric "plugin_host_$1_seconds_count" "$lang")" 'BEGIN { printf "%.3f", c ? 1000 * s / c : 0 }'; }
  printf '%-11s %8s %8s %8s %7s %7s %9s %10s %10s %10s\n' "$lang" "$rps" "$p50" "$p99" "$non2xx" "$errs" "$timeouts" \
    "$(avg sandbox_wait)" "$(avg instantiation)" "$(avg execution)"
done
echo "(wait/inst/exec: mean ms per call of plugin_host_sandbox_wait/instantiation/execution_seconds)"
