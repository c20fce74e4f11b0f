#!/usr/bin/env bash
# The HTTP contract of `quytac serve`, checked from outside: the OpenAPI document served at
# /openapi.json passes a standard validator (openapi-spec-validator), and schemathesis, with
# an admin token of a fresh `serve --demo`, generates requests from the document's schemas
# and finds no server error and no response that breaks its schema. Loopback only, bounded
# by the number of examples per operation. `DELETE /v1/tokens/{id}` is left out: generated
# ids would revoke the demo's own tokens (the admin token schemathesis uses among them); the
# API tests cover it (crates/server/tests/api/tokens.rs).
#
#   scripts/api-contract.sh          # installs both tools into target/api-venv on first use
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-target/api-venv}
BIN=${BIN:-target/debug/quytac}
EXAMPLES=${EXAMPLES:-25}
PORT=${PORT:-18390}

if [ ! -x "$VENV/bin/schemathesis" ] || [ ! -x "$VENV/bin/openapi-spec-validator" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==4.*" "openapi-spec-validator==0.*"
fi
[ -x "$BIN" ] || cargo build -p quytac

WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
# A webhook secret, so the Mastodon endpoint answers (a wrong signature is a 401, not a 503).
# schemathesis floods the public endpoints from one address: no per-client rate limit.
QUYTAC_MASTODON_SECRET=api-contract RUST_LOG=warn "$BIN" serve --demo --addr "127.0.0.1:$PORT" --db "sqlite://$WORK/api.db" \
  --audit-key "$WORK/audit.key" --rate-limit off 2> "$WORK/serve.log" &
SERVER=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$(awk '/demo token \(admin\)/ {print $4}' "$WORK/serve.log")
[ -n "$TOKEN" ] || { cat "$WORK/serve.log" >&2; echo "no admin token from serve --demo" >&2; exit 1; }

curl -fs "http://127.0.0.1:$PORT/openapi.json" > "$WORK/openapi.json"
"$VENV/bin/openapi-spec-validator" "$WORK/openapi.json"

# JSON Lines bodies (POST /v1/posts/batch) are serialised by scripts/schemathesis_hooks.py.
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=scripts \
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$EXAMPLES" \
  --seed 20261206 \
  --exclude-path '/v1/tokens/{id}' \
  --no-color
