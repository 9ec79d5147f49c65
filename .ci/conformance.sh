#!/usr/bin/env bash
# API conformance: Schemathesis (from PyPI) generates requests from /api/v1/openapi.json and checks
# every answer against the document: no 5xx, no status, media type or body the document does not
# name, no request valid by the document refused as malformed (see .ci/schemathesis.toml).
# Usage: .ci/conformance.sh BINARY [SECONDS-PER-ACCOUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$1
seconds=${2:-50}

venv=${ONEWINDOW_SCHEMATHESIS_VENV:-$HOME/.cache/onewindow/schemathesis}
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.30,<5'
fi

data=$(mktemp -d)
port=18090
"$binary" demo --cases 50 --as-of 2026-11-02 --data "$data" --addr "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
api="http://127.0.0.1:$port/api/v1"

token_of() {
  local session
  session=$(curl -sf -X POST "$api/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | jq -r .token)
  curl -sf -X POST "$api/auth/tokens" -H "Authorization: Bearer $session" \
    -H 'Content-Type: application/json' -d '{"name":"conformance","days":30}' | jq -r .token
}

status=0
# The supervisor reads everything; the clerk files and moves cases; the administrator keeps the
# catalogue, the calendar and the accounts. Logging out and revoking tokens would end the run's
# own credentials, so those two are left out.
for account in supervisor:jiancha-2026 clerk:chuangkou-2026 admin:guanli-2026; do
  token=$(token_of "${account%%:*}" "${account#*:}")
  echo "  as ${account%%:*}"
  "$venv/bin/st" --config-file .ci/schemathesis.toml run "$api/openapi.json" --url "$api" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance \
    --exclude-path /auth/logout --exclude-path-regex '^/auth/tokens/' \
    --phases examples,coverage,fuzzing --max-time "$seconds" --seed 20261206 -w 1 \
    --no-color >"$data/st-${account%%:*}.log" 2>&1 || status=1
  tail -n 12 "$data/st-${account%%:*}.log"
  if [ "$status" -ne 0 ]; then
    echo "conformance failures as ${account%%:*}:"
    grep -E '^_{3,} |^- ST|^\[[0-9]{3}\]|curl -X' "$data/st-${account%%:*}.log" | head -n 60 || true
    break
  fi
done
if grep -q 'panicked' "$data/server.log"; then
  echo "the server panicked during the run:"
  grep -A5 panicked "$data/server.log" | head -n 40
  status=1
fi
exit $status
