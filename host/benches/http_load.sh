#!/usr/bin/env bash
# Load run through HTTP: `plugin-host serve` with example-checkout in a fresh
# sandbox per request, and the same server binary with the handler compiled
# in (`--native-handlers`), in one run, under wrk. Every server runs as
# operators run it: the default log level (one line per request, `info`).
# `sandboxed-nolog` is the sandboxed server with `RUST_LOG=warn`, for what
# request logs cost. Prints requests/s, p50/p99/p99.9 latency, the ratio
# sandboxed/native and the ratio logs on/off.
#
#   host/benches/http_load.sh            # 10 s per server, 32 connections
#   LOGS=off host/benches/http_load.sh   # every server with RUST_LOG=warn
#   LOG_FORMAT=json host/benches/http_load.sh
#   DURATION=30s CONNECTIONS=64 ROUNDS=3 host/benches/http_load.sh
#   ENGINE_TOML=$'[engine]\nprewarm = true' host/benches/http_load.sh   # A/B an engine setting
#   HOST_TOML='sandbox_threads = 1' host/benches/http_load.sh             # ... or a top-level key
#   BIN=/tmp/other/plugin-host host/benches/http_load.sh                   # ... or another build
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-2}
HALF_PEAK=${HALF_PEAK:-1}   # then a fixed-rate run at half the sandboxed peak, for p99 (oha)
LOGS=${LOGS:-on}            # on: the default log level (info); off: RUST_LOG=warn
LOG_FORMAT=${LOG_FORMAT:-human}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
fi
rustup target add wasm32-wasip2 >/dev/null 2>&1
cargo build --release --target wasm32-wasip2 -p example-checkout >&2
cargo build --release -p plugin-host --features native-example-handlers >&2

BIN=${BIN:-$PWD/target/release/plugin-host}   # BIN=<other build> for A/B runs of two builds
WASM=$PWD/target/wasm32-wasip2/release/example_checkout.wasm
BODY=$PWD/guest-sdk/fixtures/initialize_checkout.json
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

export BENCH_SECRET=bench-secret
cat > "$WORK/example-checkout.toml" <<TOML
id = "example-checkout"
component = "$WASM"
client_secret_env = "BENCH_SECRET"
scopes = ["provide_shipping_rates", "modify_order", "add_fee"]
TOML
cat > "$WORK/host.toml" <<TOML
listen = "127.0.0.1:0"
data_dir = "$WORK/data"
plugins = ["example-checkout.toml"]
watch = false
${HOST_TOML:-}
[log]
format = "$LOG_FORMAT"
[defaults]
max_concurrency = 256
queue = 1024
${ENGINE_TOML:-}
TOML

start() { # $1 = name, $2 = RUST_LOG ("" = the default), rest = extra args; sets ADDR
  local out="$WORK/$1.out"
  if [ -n "$2" ]; then export RUST_LOG="$2"; else unset RUST_LOG; fi
  "$BIN" serve --config "$WORK/host.toml" "${@:3}" >"$out" 2>"$WORK/$1.err" &
  unset RUST_LOG
  PIDS+=($!)
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$out"; then ADDR=$(sed -n 's/^listening on //p' "$out"); return; fi
    sleep 0.05
  done
  echo "server $1 did not start:" >&2; cat "$WORK/$1.err" >&2; exit 1
}
LEVEL=""; [ "$LOGS" = off ] && LEVEL=warn
start sandboxed "$LEVEL"; SANDBOXED=$ADDR
start sandboxed-nolog warn; QUIET=$ADDR
start native "$LEVEL" --native-handlers; NATIVE=$ADDR

run() { # $1 = addr; prints "rps p50 p99 p999 non2xx socket_errors"
  local url="http://$1/plugins/example-checkout/events"
  # Bold signs `date` only; a fresh signature for each run stays in the 300 s window.
  "$BIN" sign --secret-env BENCH_SECRET --body "$BODY" --url "$url" --headers "date" >"$WORK/signed"
  local date auth
  date=$(sed -n 's/^Date: //p' "$WORK/signed")
  auth=$(sed -n 's/^Authorization: //p' "$WORK/signed")
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$BODY", "rb"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Date"] = "$date"
wrk.headers["Authorization"] = '$auth'
done = function(summary, latency, requests)
  local s = summary.errors
  io.write(string.format("RESULT %.0f %.3f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    s.status, s.connect + s.read + s.write + s.timeout))
end
LUA
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/post.lua" "$url" | sed -n 's/^RESULT //p'
}

run_at_rate() { # $1 = addr, $2 = requests/s; prints "p50 p99 p999" in ms (oha, fixed rate)
  local url="http://$1/plugins/example-checkout/events"
  "$BIN" sign --secret-env BENCH_SECRET --body "$BODY" --url "$url" --headers "date" >"$WORK/signed"
  "$OHA" --no-tui --output-format json -z "$DURATION" -c "$CONNECTIONS" -q "$2" -m POST \
    -T application/json -D "$BODY" \
    -H "Date: $(sed -n 's/^Date: //p' "$WORK/signed")" \
    -H "Authorization: $(sed -n 's/^Authorization: //p' "$WORK/signed")" "$url" >"$WORK/oha.json"
  python3 - "$WORK/oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if k != "200")
print(f'{p["p50"]*1e3:.3f} {p["p99"]*1e3:.3f} {p["p99.9"]*1e3:.3f} {r["summary"]["requestsPerSec"]:.0f} {bad}')
PY
}

# Sanity: both answer the same actions.
for addr in "$SANDBOXED" "$QUIET" "$NATIVE"; do
  url="http://$addr/plugins/example-checkout/events"
  "$BIN" sign --secret-env BENCH_SECRET --body "$BODY" --url "$url" | sed -n '/^curl/,$p' > "$WORK/curl.sh"
  sh "$WORK/curl.sh" | grep -q '"add_note"' || { echo "server at $addr did not answer the event" >&2; exit 1; }
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "wrk: $THREADS thread(s), $CONNECTIONS connections, $DURATION per run, $ROUNDS round(s) alternating"
echo "logs: sandboxed and native at ${LEVEL:-the default level (info)}, format $LOG_FORMAT; sandboxed-nolog at warn"
printf '%-15s %10s %9s %9s %9s %7s %7s\n' server req/s p50_ms p99_ms p99.9_ms non2xx errors
best_s=0; best_n=0; best_q=0
PAIRS=""   # per round: "sandboxed nolog native"
for round in $(seq 1 "$ROUNDS"); do
  row=""
  for which in sandboxed sandboxed-nolog native; do
    case $which in sandboxed) addr=$SANDBOXED ;; sandboxed-nolog) addr=$QUIET ;; native) addr=$NATIVE ;; esac
    read -r rps p50 p99 p999 non2xx errs < <(run "$addr")
    printf '%-15s %10s %9s %9s %9s %7s %7s\n' "$which" "$rps" "$p50" "$p99" "$p999" "$non2xx" "$errs"
    case $which in
      sandboxed) [ "$rps" -gt "$best_s" ] && best_s=$rps ;;
      sandboxed-nolog) [ "$rps" -gt "$best_q" ] && best_q=$rps ;;
      native) [ "$rps" -gt "$best_n" ] && best_n=$rps ;;
    esac
    row="$row $rps"
  done
  PAIRS="$PAIRS$row
"
done
awk -v s="$best_s" -v n="$best_n" -v q="$best_q" 'BEGIN {
  printf "best req/s: sandboxed %d, sandboxed-nolog %d, native %d\n", s, q, n }'
# The machine is noisy: ratios of the runs of one round (back to back), and
# their median, say more than ratios of bests.
printf '%s' "$PAIRS" | awk 'NF == 3 {
    sn[NR] = $1 / $3; lq[NR] = $1 / $2
    printf "round %d: sandboxed/native %.3f, logs on/off %.3f\n", NR, sn[NR], lq[NR]
  }
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END { printf "median of rounds: ratio sandboxed/native %.2f; logs on/off %.3f\n", median(sn, NR), median(lq, NR) }'
echo "log lines written: sandboxed $(wc -l < "$WORK/sandboxed.err"), sandboxed-nolog $(wc -l < "$WORK/sandboxed-nolog.err")"

if [ "$HALF_PEAK" = 1 ]; then
  OHA=${OHA:-$(command -v oha || true)}
  if [ -z "$OHA" ]; then
    echo "installing oha (cargo install oha --locked, a few minutes)" >&2
    cargo install oha --locked --root "$PWD/target/tools" >&2
    OHA=$PWD/target/tools/bin/oha
  fi
  rate=$((best_s / 2))
  echo "fixed rate $rate req/s (half the sandboxed peak), oha, $CONNECTIONS connections, $DURATION:"
  printf '%-10s %9s %9s %9s %10s %7s\n' server p50_ms p99_ms p99.9_ms req/s non200
  for which in sandboxed native; do
    addr=$SANDBOXED; [ "$which" = native ] && addr=$NATIVE
    read -r p50 p99 p999 rps bad < <(run_at_rate "$addr" "$rate")
    printf '%-10s %9s %9s %9s %10s %7s\n' "$which" "$p50" "$p99" "$p999" "$rps" "$bad"
  done
fi
