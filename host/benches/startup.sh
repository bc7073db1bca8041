#!/usr/bin/env bash
# Start-up with many plugins: time from `plugin-host serve` to the first
# answered request, from a cold artifact cache (every component compiled)
# and from a warm one; RSS after start-up and under 256 concurrent requests.
#
#   host/benches/startup.sh            # 100 plugins
#   PLUGINS=20 host/benches/startup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PLUGINS=${PLUGINS:-100}

if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
fi
rustup target add wasm32-wasip2 >/dev/null 2>&1
cargo build --release --target wasm32-wasip2 -p example-checkout >&2
cargo build --release -p plugin-host >&2

BIN=$PWD/target/release/plugin-host
WASM=$PWD/target/wasm32-wasip2/release/example_checkout.wasm
BODY=$PWD/guest-sdk/fixtures/initialize_checkout.json
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export BENCH_SECRET=bench-secret

# $PLUGINS distinct components (a custom section with the index changes each
# file's hash, so a cold cache really compiles every one).
mkdir -p "$WORK/plugins"
python3 - "$WASM" "$WORK/plugins" "$PLUGINS" <<'PY'
import sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
wasm = open(src, "rb").read()
def leb(v):
    b = bytearray()
    while True:
        byte = v & 0x7F; v >>= 7
        b.append(byte | (0x80 if v else 0))
        if not v: return bytes(b)
for i in range(n):
    name = b"plugin-host-bench"; payload = str(i).encode()
    body = leb(len(name)) + name + payload
    open(f"{out}/p{i}.wasm", "wb").write(wasm + b"\x00" + leb(len(body)) + body)
    open(f"{out}/p{i}.toml", "w").write(
        f'id = "p{i}"\ncomponent = "p{i}.wasm"\nclient_secret_env = "BENCH_SECRET"\n'
        'scopes = ["provide_shipping_rates", "modify_order", "add_fee"]\n'
        # The last plugin takes the 256 concurrent requests below.
        + ("max_concurrency = 256\nqueue = 1024\n" if i == n - 1 else "max_concurrency = 2\n"))
PY
{
  echo 'listen = "127.0.0.1:0"'
  echo "data_dir = \"$WORK/data\""
  echo 'watch = false'
  printf 'plugins = ['; for i in $(seq 0 $((PLUGINS - 1))); do printf '"plugins/p%d.toml", ' "$i"; done; echo ']'
  echo '[engine]'
  echo 'max_concurrent_instances = 512'
} > "$WORK/host.toml"

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_and_time() { # sets PID, ADDR and ELAPSED (seconds from spawn to the first 200)
  local t0 t1 url
  t0=$(date +%s.%N)
  RUST_LOG=warn "$BIN" serve --config "$WORK/host.toml" >"$WORK/out" 2>"$WORK/err" &
  PID=$!
  until grep -q '^listening on ' "$WORK/out"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/err" >&2; exit 1; }
    sleep 0.005
  done
  ADDR=$(sed -n 's/^listening on //p' "$WORK/out")
  url="http://$ADDR/plugins/p$((PLUGINS - 1))/events"
  "$BIN" sign --secret-env BENCH_SECRET --body "$BODY" --url "$url" --headers date > "$WORK/signed"
  sed -n '/^curl/,$p' "$WORK/signed" > "$WORK/curl.sh"
  until sh "$WORK/curl.sh" 2>/dev/null | grep -q add_note; do sleep 0.005; done
  t1=$(date +%s.%N)
  ELAPSED=$(echo "$t1 - $t0" | bc)
}

stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $PLUGINS plugins"
start_and_time; cold=$ELAPSED; stop
start_and_time; warm=$ELAPSED
rss_idle=$(rss_kib "$PID")

# 256 concurrent signed requests spread over the last plugin's URL.
date_h=$(sed -n 's/^Date: //p' "$WORK/signed"); auth=$(sed -n 's/^Authorization: //p' "$WORK/signed")
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$BODY", "rb"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Date"] = "$date_h"
wrk.headers["Authorization"] = '$auth'
LUA
url="http://$ADDR/plugins/p$((PLUGINS - 1))/events"
wrk -t1 -c256 -d5s -s "$WORK/post.lua" "$url" > "$WORK/wrk" &
WRK=$!
peak=0
while kill -0 "$WRK" 2>/dev/null; do
  r=$(rss_kib "$PID"); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.1
done
stop
printf 'first request after start: cold cache %.2f s, warm cache %.3f s\n' "$cold" "$warm"
printf 'RSS: %d MiB after start-up, %d MiB peak under 256 concurrent requests\n' $((rss_idle / 1024)) $((peak / 1024))
grep -E "Requests/sec|Non-2xx" "$WORK/wrk" || true
