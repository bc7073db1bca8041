#!/usr/bin/env bash
# The hardening issue's "done when", on the release binary with
# examples/host.toml (max_concurrency 8, queue 32, the [http] deadlines):
#   1. six back-to-back `wrk -t1 -c32 -d3s` runs with a signed
#      initialize_checkout: non-2xx answers per run, then the
#      sandboxes_in_use gauge once idle (0 expected);
#   2. 400 stalled request heads and 100 stalled bodies
#      (host/benches/stalled_clients.py): when the server closed them, and
#      whether /healthz kept answering;
#   3. SIGTERM with a stalled body open: seconds until the process exits
#      (shutdown_drain_ms is 10 s in examples/host.toml).
#
#   host/benches/hardening.sh
#   BIN=/tmp/other/plugin-host host/benches/hardening.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
fi
rustup target add wasm32-wasip2 >/dev/null 2>&1
cargo build -q --release --target wasm32-wasip2 -p example-checkout -p gift-wrap -p platform-sync -p loyalty-points >&2
cargo build -q --release -p plugin-host >&2
BIN=${BIN:-$PWD/target/release/plugin-host}

export EXAMPLE_CHECKOUT_SECRET=dev-example-secret GIFT_WRAP_SECRET=dev-gift-secret \
  PLATFORM_SYNC_SECRET=dev-sync-secret PLATFORM_SYNC_BOLD_TOKEN=dev-bold-token \
  PLATFORM_SYNC_WEBHOOK_SECRET=dev-webhook-secret \
  PLATFORM_SYNC_BOLD_HMAC_SECRET=dev-bold-hmac-secret \
  LOYALTY_POINTS_SECRET=dev-loyalty-secret PLUGIN_HOST_STATE_KEY=ZGV2LW9ubHktc3RhdGUta2V5LWRvLW5vdC11c2UhISE=
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # sets PID and ADDR
  RUST_LOG=warn "$BIN" serve --config examples/host.toml --listen 127.0.0.1:0 \
    >"$WORK/out" 2>"$WORK/err" &
  PID=$!
  for _ in $(seq 1 1200); do grep -qs '^listening on ' "$WORK/out" && break; sleep 0.05; done
  ADDR=$(sed -n 's/^listening on //p' "$WORK/out")
  [ -n "$ADDR" ] || { echo "server did not start:" >&2; cat "$WORK/err" >&2; exit 1; }
}
start

echo "== 1. six wrk -t1 -c32 -d3s runs (signed initialize_checkout)"
URL="http://$ADDR/plugins/example-checkout/events"
BODY=guest-sdk/fixtures/initialize_checkout.json
"$BIN" sign --secret-env EXAMPLE_CHECKOUT_SECRET --body "$BODY" --url "$URL" --headers date >"$WORK/signed"
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$BODY", "rb"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Date"] = "$(sed -n 's/^Date: //p' "$WORK/signed")"
wrk.headers["Authorization"] = '$(sed -n 's/^Authorization: //p' "$WORK/signed")'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f req/s, non-2xx %d, socket errors %d\n",
    summary.requests / (summary.duration / 1e6), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
for i in 1 2 3 4 5 6; do
  wrk -t1 -c32 -d3s -s "$WORK/post.lua" "$URL" | sed -n "s/^RESULT /run $i: /p"
done
sleep 1
curl -s "http://$ADDR/metrics" | grep '^plugin_host_sandboxes_in_use' || echo "(no sandboxes_in_use gauge)"

echo "== 2. 400 stalled heads and 100 stalled bodies"
python3 host/benches/stalled_clients.py "$ADDR" --heads 400 --bodies 100 --limit 45

echo "== 3. SIGTERM with a stalled body open"
python3 - "$ADDR" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /plugins/example-checkout/events HTTP/1.1\r\nHost: x\r\n"
          b"Content-Length: 1048576\r\n\r\n" + b" " * 1000)
time.sleep(60)
PY
STALLER=$!
sleep 1
BEGIN=$(date +%s.%N)
kill -TERM "$PID"
wait "$PID" && CODE=0 || CODE=$?
END=$(date +%s.%N)
PID=
kill "$STALLER" 2>/dev/null || true
printf 'exited with %s after %.1f s (shutdown_drain_ms = 10000)\n' "$CODE" "$(echo "$END - $BEGIN" | bc)"
