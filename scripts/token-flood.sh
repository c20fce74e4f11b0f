#!/usr/bin/env bash
# The forged-token flood of issue 11 (item 2), measured: starts `quytac serve` on a fresh
# SQLite database with one real moderator token, then sends `GET /v1/cases` with forged
# bearer tokens — the real token's id with a random secret, so each one reaches the
# verification — at CONNS connections for DURATION seconds (wrk), while a real request is
# timed once a second. Prints the server's resident memory before and after (and its peak),
# the forged requests' rate and status, and the real requests' latencies.
#
# Usage: scripts/token-flood.sh [BIN]   (default: $QUYTAC_BIN, else target/release/quytac)
# Environment: DURATION (s, default 10), CONNS (default 32), THREADS (wrk, default 2).
# Target: memory grows by less than 150 MB; every real request answers within 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${QUYTAC_BIN:-target/release/quytac}}"
DURATION="${DURATION:-10}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { echo "token-flood: needs wrk" >&2; exit 2; }
[ -x "$BIN" ] || { echo "token-flood: no binary at $BIN" >&2; exit 2; }

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

db="sqlite://$tmp/flood.db"
real="$("$BIN" admin create-token --db "$db" --role moderator --label flood | tail -n 1)"
id="${real#qt_}"
id="${id%%_*}"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
RUST_LOG=warn "$BIN" serve --db "$db" --addr "127.0.0.1:$port" --audit-key "$tmp/audit.key" \
  >"$tmp/serve.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$base/healthz" >/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }

kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
real_request() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 30 \
    -H "Authorization: Bearer $real" "$base/v1/cases"
}

cat >"$tmp/forged.lua" <<LUA
local hex = "0123456789abcdef"
math.randomseed(os.time())
request = function()
  local t = {}
  for i = 1, 64 do
    local k = math.random(1, 16)
    t[i] = hex:sub(k, k)
  end
  return wrk.format("GET", "/v1/cases", {["Authorization"] = "Bearer qt_${id}_" .. table.concat(t)})
end
done = function(summary, latency, requests)
  io.write(string.format("forged: %d requests, %.0f req/s, non-2xx/3xx %d, socket errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

first="$(real_request)"
[ "${first%% *}" = 200 ] || { echo "token-flood: the real token was refused ($first)" >&2; exit 1; }
before="$(kb VmRSS)"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s -s "$tmp/forged.lua" "$base/v1/cases" \
  >"$tmp/wrk.txt" 2>&1 &
wrk_pid=$!
: >"$tmp/real.txt"
for _ in $(seq 1 $((DURATION - 1))); do
  sleep 1
  real_request >>"$tmp/real.txt"
done
wait "$wrk_pid" || true
after="$(kb VmRSS)"
peak="$(kb VmHWM)"
sleep 3
settled="$(kb VmRSS)"

echo "binary: $BIN ($("$BIN" --version 2>/dev/null || echo quytac))"
echo "flood: ${CONNS} connections, ${DURATION} s, forged qt_${id}_<random 64 hex>"
grep '^forged:' "$tmp/wrk.txt" || cat "$tmp/wrk.txt"
awk '{printf "real request: status %s, %.3f s\n", $1, $2}' "$tmp/real.txt"
sort -k2 -g "$tmp/real.txt" | awk '{a[NR]=$2} END {printf "real requests: %d, median %.3f s, max %.3f s\n", NR, a[int((NR+1)/2)], a[NR]}'
echo "server RSS: before ${before} kB, after ${after} kB, peak ${peak} kB, 3 s later ${settled} kB"
echo "growth: $(( (after - before) / 1024 )) MB (peak $(( (peak - before) / 1024 )) MB)"
