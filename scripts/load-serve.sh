#!/usr/bin/env bash
# Load figures for `quytac serve`, on loopback only: req/s and latency of POST /v1/check and
# POST /v1/posts with wrk, on SQLite and (when QUYTAC_TEST_POSTGRES_URL is set) PostgreSQL, and
# the server's resident memory idle and under load. Bounded: each run lasts DURATION seconds.
#
#   scripts/load-serve.sh            # needs wrk (apt-get install -y wrk) and a release build
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
BIN=${BIN:-target/release/quytac}
# More flags for `quytac serve` (e.g. SERVE_ARGS="--check-inline-chars 0"). The per-client rate
# limit is off: wrk floods from one address on purpose.
SERVE_ARGS=${SERVE_ARGS:-}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
[ -x "$BIN" ] || cargo build --release -p quytac
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

cat > "$WORK/check.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":"p1","text":"Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi. Liên hệ 0912 345 678.","author":{"id":"u1","role":"citizen"}}'
LUA

cat > "$WORK/posts.lua" <<'LUA'
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
request = function()
  counter = counter + 1
  local body = string.format('{"id":"load-%d-%d","text":"Hôm nay trời đẹp, bọn bắc kỳ đi ăn phở %d","author":{"id":"u%d"}}', tid, counter, counter, counter % 50)
  return wrk.format("POST", "/v1/posts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
LUA

run_backend() {
  local name=$1 db=$2
  "$BIN" admin create-token --role moderator --db "$db" > "$WORK/token"
  # shellcheck disable=SC2086
  "$BIN" serve --addr "127.0.0.1:$PORT" --db "$db" --audit-key "$WORK/audit.key" --rate-limit off $SERVE_ARGS 2> "$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  echo "== $name"
  echo "idle RSS: $(rss_mb $SERVER) MB"
  echo "-- POST /v1/check"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/check.lua" "http://127.0.0.1:$PORT/v1/check" \
    | grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors' &
  local wrk_pid=$!
  sleep $((DURATION / 2)); echo "RSS under /v1/check load: $(rss_mb $SERVER) MB"; wait $wrk_pid
  echo "-- POST /v1/posts"
  TOKEN=$(cat "$WORK/token") wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/posts.lua" "http://127.0.0.1:$PORT" \
    | grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors' &
  wrk_pid=$!
  sleep $((DURATION / 2)); echo "RSS under /v1/posts load: $(rss_mb $SERVER) MB"; wait $wrk_pid
  kill -TERM $SERVER; wait $SERVER || true
  SERVER=
}

run_backend "SQLite" "sqlite://$WORK/load.db"
if [ -n "${QUYTAC_TEST_POSTGRES_URL:-}" ]; then
  base=${QUYTAC_TEST_POSTGRES_URL%/*}
  psql "$QUYTAC_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS quytac_load" -c "CREATE DATABASE quytac_load" >/dev/null
  run_backend "PostgreSQL" "$base/quytac_load"
  psql "$QUYTAC_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS quytac_load WITH (FORCE)" >/dev/null
fi
