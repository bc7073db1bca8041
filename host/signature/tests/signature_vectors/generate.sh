#!/usr/bin/env bash
# Regenerates vectors.json: draft-cavage HMAC signature test cases computed
# independently of the Rust code, with openssl (HMAC, SHA-256 digests) and jq
# (JSON). Run from anywhere: bash host/signature/tests/signature_vectors/generate.sh
#
# Every case is a request (method, path as received, headers, body), the
# verifier's secrets and policy, the clock ("now", Unix seconds) and the
# expected outcome: "ok" or the SignatureError code. "replay": true means a
# second use through a ReplayGuard must fail with "replayed". "signer" (on one
# case) gives the Signer settings that must reproduce the case's headers
# byte for byte.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
out="$here/vectors.json"

NOW=1700000000
DATE=$(date -u -d "@$NOW" '+%a, %d %b %Y %H:%M:%S GMT') # Tue, 14 Nov 2023 22:13:20 GMT
SECRET='bold-client-secret-1'
SECRET2='bold-client-secret-2'
METHOD=POST
PATH_Q='/plugins/example-checkout/events?shop_id=42&x=a%20b'
HOST='localhost:8080'
CT='application/json'
BODY='{"event":"initialize_checkout","order":{"public_order_id":"abc123"}}'

# hmac ALG SECRET STRING -> base64 MAC
hmac() { printf '%s' "$3" | openssl dgst "-$1" -hmac "$2" -binary | base64 -w0; }
# digest BODY -> SHA-256=<base64>
digest() { printf 'SHA-256=%s' "$(printf '%s' "$1" | openssl dgst -sha256 -binary | base64 -w0)"; }
# http_date UNIX_SECONDS
http_date() { date -u -d "@$1" '+%a, %d %b %Y %H:%M:%S GMT'; }
# auth KEYID ALG HEADERS SIG -> npm http-signature's Authorization layout
params() { printf 'keyId="%s",algorithm="%s",headers="%s",signature="%s"' "$1" "$2" "$3" "$4"; }
# pairs NAME VALUE ... -> [["NAME","VALUE"],...]
pairs() { jq -cn '$ARGS.positional as $a | [range(0; $a | length; 2) | [$a[.], $a[. + 1]]]' --args "$@"; }

DEFAULT_POLICY='{"algorithms":["hmac-sha256"],"max_skew_secs":300,"require_digest":false,"require_request_target":false}'
cases='[]'
# add NAME EXPECT HEADERS_JSON, with optional overrides in the environment:
# C_METHOD C_PATH C_BODY C_SECRETS (JSON) C_POLICY (JSON) C_REPLAY C_SIGNER (JSON)
add() {
  cases=$(jq -c \
    --arg name "$1" --arg expect "$2" --argjson headers "$3" \
    --arg method "${C_METHOD:-$METHOD}" --arg path "${C_PATH:-$PATH_Q}" \
    --arg body "${C_BODY-$BODY}" \
    --argjson secrets "${C_SECRETS:-[\"$SECRET\"]}" \
    --argjson policy "${C_POLICY:-$DEFAULT_POLICY}" \
    --argjson now "$NOW" --argjson replay "${C_REPLAY:-false}" \
    --argjson signer "${C_SIGNER:-null}" \
    '. + [{name: $name, method: $method, path: $path, headers: $headers, body: $body,
           secrets: $secrets, policy: $policy, now: $now, expect: $expect, replay: $replay}
          + (if $signer == null then {} else {signer: $signer} end)]' <<<"$cases")
}

DIGEST=$(digest "$BODY")
RT="(request-target): post $PATH_Q"

# ---------------------------------------------------------------- accepted
s=$(hmac sha256 "$SECRET" "date: $DATE")
add date-only ok "$(pairs Date "$DATE" Content-Type "$CT" Authorization "Signature $(params bold hmac-sha256 date "$s")")"

add headers-param-absent-defaults-to-date ok "$(pairs Date "$DATE" Authorization \
  "Signature keyId=\"bold\",algorithm=\"hmac-sha256\",signature=\"$s\"")"

add whitespace-after-commas ok "$(pairs Date "$DATE" Authorization \
  "Signature keyId=\"bold\", algorithm=\"hmac-sha256\",  headers=\"date\", signature=\"$s\"")"

add algorithm-name-uppercase ok "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold HMAC-SHA256 date "$s")")"

C_BODY='{"event":"tampered"}' \
add date-only-does-not-cover-body ok "$(pairs Date "$DATE" Authorization "Signature $(params bold hmac-sha256 date "$s")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"date: $DATE")
add request-target-date ok "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"

full="$RT"$'\n'"host: $HOST"$'\n'"date: $DATE"$'\n'"digest: $DIGEST"$'\n'"content-type: $CT"$'\n'"content-length: ${#BODY}"
s=$(hmac sha256 "$SECRET" "$full")
C_POLICY='{"algorithms":["hmac-sha256"],"max_skew_secs":300,"require_digest":true,"require_request_target":true}' \
add all-headers-strict-policy ok "$(pairs Host "$HOST" Date "$DATE" Digest "$DIGEST" Content-Type "$CT" \
  Content-Length "${#BODY}" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) host date digest content-type content-length' "$s")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"x-date: $DATE")
add x-date-instead-of-date ok "$(pairs X-Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) x-date' "$s")")"

s=$(hmac sha256 "$SECRET" "x-date: $DATE")
add headers-param-absent-defaults-to-x-date ok "$(pairs X-Date "$DATE" Authorization \
  "Signature keyId=\"bold\",algorithm=\"hmac-sha256\",signature=\"$s\"")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"date: $DATE"$'\n'"digest: $DIGEST")
add bare-signature-header ok "$(pairs Date "$DATE" Digest "$DIGEST" Signature \
  "$(params bold hmac-sha256 '(request-target) date digest' "$s")")"

# The one a Signer must reproduce exactly (its default header list).
C_SIGNER="{\"key_id\":\"plugin-host\",\"algorithm\":\"hmac-sha256\",\"headers\":\"(request-target) date digest\",\"host\":\"$HOST\",\"content_type\":\"$CT\",\"secret\":\"$SECRET\"}" \
add signer-reference ok "$(pairs Date "$DATE" Content-Type "$CT" Digest "$DIGEST" Authorization \
  "Signature $(params plugin-host hmac-sha256 '(request-target) date digest' "$s")")"

C_REPLAY=true \
add replayed-second-use ok "$(pairs Date "$DATE" Digest "$DIGEST" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date digest' "$s")")"

s=$(hmac sha1 "$SECRET" "$RT"$'\n'"date: $DATE")
C_POLICY='{"algorithms":["hmac-sha256","hmac-sha1"],"max_skew_secs":300,"require_digest":false,"require_request_target":false}' \
add hmac-sha1-when-allowed ok "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha1 '(request-target) date' "$s")")"
SHA1_AUTH="Signature $(params bold hmac-sha1 '(request-target) date' "$s")"

s=$(hmac sha512 "$SECRET" "$RT"$'\n'"date: $DATE")
C_POLICY='{"algorithms":["hmac-sha512"],"max_skew_secs":300,"require_digest":false,"require_request_target":false}' \
add hmac-sha512-when-allowed ok "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha512 '(request-target) date' "$s")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"date: $DATE")
C_SECRETS="[\"$SECRET2\",\"$SECRET\"]" \
add rotation-old-secret ok "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"
s2=$(hmac sha256 "$SECRET2" "$RT"$'\n'"date: $DATE")
C_SECRETS="[\"$SECRET2\",\"$SECRET\"]" \
add rotation-new-secret ok "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s2")")"

for off in -300 300; do
  d=$(http_date $((NOW + off)))
  s=$(hmac sha256 "$SECRET" "date: $d")
  add "skew-edge-$off" ok "$(pairs Date "$d" Authorization "Signature $(params bold hmac-sha256 date "$s")")"
done

# ---------------------------------------------------------------- refused
s=$(hmac sha256 "$SECRET" "date: $DATE")
add missing-signature-header missing_signature "$(pairs Date "$DATE")"
add not-signature-scheme bad_scheme "$(pairs Date "$DATE" Authorization "Bearer abc")"
add malformed-unterminated-quote malformed_params "$(pairs Date "$DATE" Authorization \
  "Signature keyId=\"bold\",algorithm=\"hmac-sha256\",signature=\"$s")"
add malformed-unquoted-value malformed_params "$(pairs Date "$DATE" Authorization \
  "Signature keyId=bold,algorithm=\"hmac-sha256\",signature=\"$s\"")"
add malformed-trailing-garbage malformed_params "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 date "$s") x")"
add duplicated-param duplicate_param "$(pairs Date "$DATE" Authorization \
  "Signature keyId=\"bold\",algorithm=\"hmac-sha256\",headers=\"date\",headers=\"date\",signature=\"$s\"")"
add missing-key-id missing_param "$(pairs Date "$DATE" Authorization \
  "Signature algorithm=\"hmac-sha256\",headers=\"date\",signature=\"$s\"")"
add missing-algorithm missing_param "$(pairs Date "$DATE" Authorization \
  "Signature keyId=\"bold\",headers=\"date\",signature=\"$s\"")"
add unknown-algorithm unknown_algorithm "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold rsa-sha256 date "$s")")"
add hs2019-not-supported unknown_algorithm "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hs2019 date "$s")")"
add hmac-sha1-not-allowed-by-default algorithm_not_allowed "$(pairs Date "$DATE" Authorization "$SHA1_AUTH")"

s=$(hmac sha256 "$SECRET" "date: $DATE"$'\n'"content-type: $CT")
add signed-header-missing-from-request missing_header "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 'date content-type' "$s")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"digest: $DIGEST")
add date-not-signed date_not_signed "$(pairs Date "$DATE" Digest "$DIGEST" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) digest' "$s")")"

s=$(hmac sha256 "$SECRET" "date: yesterday")
add date-unparsable bad_date "$(pairs Date yesterday Authorization "Signature $(params bold hmac-sha256 date "$s")")"

for off in -301 301; do
  d=$(http_date $((NOW + off)))
  s=$(hmac sha256 "$SECRET" "date: $d")
  add "skew-beyond-$off" skew "$(pairs Date "$d" Authorization "Signature $(params bold hmac-sha256 date "$s")")"
done
d=$(http_date $((NOW - 86400)))
s=$(hmac sha256 "$SECRET" "x-date: $d")
add skew-x-date-old skew "$(pairs X-Date "$d" Authorization "Signature $(params bold hmac-sha256 x-date "$s")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"date: $DATE"$'\n'"digest: $DIGEST")
C_BODY='{"event":"initialize_checkout","order":{"public_order_id":"abc124"}}' \
add digest-mismatch-body-changed digest_mismatch "$(pairs Date "$DATE" Digest "$DIGEST" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date digest' "$s")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"date: $DATE")
C_POLICY='{"algorithms":["hmac-sha256"],"max_skew_secs":300,"require_digest":true,"require_request_target":false}' \
add digest-required-not-signed digest_not_signed "$(pairs Date "$DATE" Digest "$DIGEST" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"

s=$(hmac sha256 "$SECRET" "date: $DATE"$'\n'"digest: $DIGEST")
C_POLICY='{"algorithms":["hmac-sha256"],"max_skew_secs":300,"require_digest":false,"require_request_target":true}' \
add request-target-required-not-signed request_target_not_signed "$(pairs Date "$DATE" Digest "$DIGEST" Authorization \
  "Signature $(params bold hmac-sha256 'date digest' "$s")")"

s=$(hmac sha256 'some-other-secret' "$RT"$'\n'"date: $DATE")
C_SECRETS="[\"$SECRET2\",\"$SECRET\"]" \
add wrong-secret bad_signature "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"

add signature-not-base64 signature_not_base64 "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 date 'not*base64!')")"
short=$(printf '0123456789abcdef' | base64 -w0)
add signature-wrong-length bad_signature_length "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 date "$short")")"

s=$(hmac sha256 "$SECRET" "$RT"$'\n'"date: $DATE")
C_PATH='/plugins/gift-wrap/events?shop_id=42&x=a%20b' \
add tampered-path bad_signature "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"
C_PATH='/plugins/example-checkout/events?shop_id=42&x=a+b' \
add path-compared-as-received bad_signature "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"
C_METHOD=PUT \
add tampered-method bad_signature "$(pairs Date "$DATE" Authorization \
  "Signature $(params bold hmac-sha256 '(request-target) date' "$s")")"

s=$(hmac sha256 "$SECRET" "date: $DATE"$'\n'"content-type: $CT")
add tampered-signed-header bad_signature "$(pairs Date "$DATE" Content-Type 'text/plain' Authorization \
  "Signature $(params bold hmac-sha256 'date content-type' "$s")")"

jq '{generated_by: "generate.sh (openssl dgst -hmac, jq)", cases: .}' <<<"$cases" >"$out"
echo "wrote $(jq '.cases | length' "$out") cases to $out"
