#!/usr/bin/env bash
# Figures of the check pipeline (issue 12) on this machine, with a release build:
#  1. `quytac check` over the generated file (the ceiling: checking alone, all cores);
#  2. publish → 1 worker → PostgreSQL (posts stored per second);
#  3. publish → 2 workers → PostgreSQL on a 3-node NATS cluster, with a worker and a NATS node
#     killed (SIGKILL) mid-run and started again: every post stored exactly once, the audit
#     log verifies, each author's posts stored in the order published, posts stored per second
#     and the ratio to `quytac check`;
#  4. `POST /v1/posts` with `--nats` under wrk (posts/s, latency percentiles), each piece's CPU
#     time per post, and two workers draining what the stream took in.
#
#   N=1000000 N1=100000 scripts/pipeline-bench.sh
#   BUNDLE=1 HTTP=0 N=200000 scripts/pipeline-bench.sh   # one message a post, no wrk run
#   KEEP_LOGS=/tmp/logs scripts/pipeline-bench.sh         # keeps the workers' and nodes' logs
# Needs nats-server, psql, wrk, curl and PostgreSQL (QUYTAC_TEST_POSTGRES_URL, by default
# postgres://postgres@127.0.0.1:5432/test: a database of its own is created and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}          # posts of the 2-worker run
N1=${N1:-$((N / 10))}    # posts of the 1-worker run
DURATION=${DURATION:-10} # seconds of the wrk run
CONNECTIONS=${CONNECTIONS:-64}
BUNDLE=${BUNDLE:-64}     # posts per message of `quytac publish` (1: one message a post)
HTTP=${HTTP:-1}          # 0 skips the wrk run
BIN=${BIN:-target/release/quytac}
PG=${QUYTAC_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
[ -x "$BIN" ] || cargo build --release -p quytac
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # fresh_db runs in a command substitution (a subshell), so its databases are known by name.
  for db in one two http; do psql "$PG" -qc "DROP DATABASE IF EXISTS quytac_bench_$$_$db WITH (FORCE)" >/dev/null 2>&1 || true; done
  [ -n "${KEEP_LOGS:-}" ] && mkdir -p "$KEEP_LOGS" && cp "$WORK"/*.log "$KEEP_LOGS"/
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=map(float,sys.argv[1:]); print(f'{n/(b-a):.0f}')" "$@"; }

fresh_db() {
  local name="quytac_bench_$$_$1"
  psql "$PG" -qc "CREATE DATABASE $name" >/dev/null
  echo "${PG%/*}/$name"
}

count() { psql "$1" -Atc "$2" 2>/dev/null || echo 0; }  # 0 until a worker made the schema

# CPU seconds (user + system) used so far by the processes of each command name; the capacity
# model of docs/scaling.md is built from the differences: CPU time per post of each piece.
cpu_snapshot() {
  python3 - <<'PY'
import os
tick = os.sysconf("SC_CLK_TCK")
used = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
    used[name] = used.get(name, 0) + (int(rest[11]) + int(rest[12])) / tick
for name, secs in used.items():
    print(name, secs)
PY
}
cpu_report() { # before-file after-file posts
  python3 - "$@" <<'PY'
import sys
def load(path):
    return {k: float(v) for k, v in (line.split() for line in open(path))}
before, after, posts = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
parts = []
for name in ("quytac", "nats-server", "postgres", "wrk"):
    used = after.get(name, 0) - before.get(name, 0)
    if used > 0:
        parts.append(f"{name} {used * 1e6 / posts:.0f} us")
print("CPU per post: " + ", ".join(parts))
PY
}

# A 3-node cluster on ports 24222-24224 (routes 26222-26224).
start_node() {
  local i=$1 routes=""
  for j in 0 1 2; do [ "$j" != "$i" ] && routes="$routes,nats://127.0.0.1:$((26222 + j))"; done
  "$NATS_SERVER" -a 127.0.0.1 -p $((24222 + i)) -js -sd "$WORK/nats$i" -n "bench$i" \
    --cluster_name quytac-bench --cluster "nats://127.0.0.1:$((26222 + i))" --routes "${routes#,}" \
    2>"$WORK/nats$i.log" &
  NODE[$i]=$!
  PIDS+=($!)
}
declare -a NODE
for i in 0 1 2; do start_node "$i"; done
URLS=nats://127.0.0.1:24222,nats://127.0.0.1:24223,nats://127.0.0.1:24224
for _ in $(seq 60); do
  "$BIN" publish - --quiet --nats "$URLS" --replicas 3 </dev/null >/dev/null 2>&1 && break
  sleep 0.5
done

echo "== generating $N posts"
python3 scripts/bench-posts.py "$N" > "$WORK/posts.jsonl"
head -n "$N1" "$WORK/posts.jsonl" | sed 's/"id": "b/"id": "one/' > "$WORK/posts1.jsonl"

echo "== quytac check (the ceiling)"
t0=$(now); "$BIN" check "$WORK/posts.jsonl" --exit-zero >/dev/null; t1=$(now)
CHECK=$(rate "$N" "$t0" "$t1")
echo "check: $CHECK posts/s"

wait_stored() { # db expected
  while [ "$(count "$1" 'SELECT COUNT(*) FROM posts')" -lt "$2" ]; do sleep 0.5; done
}

echo "== 1 worker, $N1 posts"
DB1=$(fresh_db one)
"$BIN" publish "$WORK/posts1.jsonl" --bundle "$BUNDLE" --quiet --nats "$URLS" --replicas 3 2>&1 | tail -1
cpu_snapshot >"$WORK/cpu0"
"$BIN" worker --db "$DB1" --nats "$URLS" --audit-key "$WORK/audit.key" 2>"$WORK/w1.log" &
W=$!; PIDS+=($W)
t0=$(now); wait_stored "$DB1" "$N1"; t1=$(now)
cpu_snapshot >"$WORK/cpu1"
kill -TERM $W; wait $W || true
ONE=$(rate "$N1" "$t0" "$t1")
echo "1 worker: $ONE posts/s stored"
echo "  draining: $(cpu_report "$WORK/cpu0" "$WORK/cpu1" "$N1")"

echo "== 2 workers, $N posts, a worker and a NATS node killed mid-run"
DB2=$(fresh_db two)
"$BIN" worker --db "$DB2" --nats "$URLS" --ack-wait 10 --audit-key "$WORK/audit.key" 2>"$WORK/wa.log" &
WA=$!; PIDS+=($WA)
"$BIN" worker --db "$DB2" --nats "$URLS" --ack-wait 10 --audit-key "$WORK/audit.key" 2>"$WORK/wb.log" &
WB=$!; PIDS+=($WB)
t0=$(now)
"$BIN" publish "$WORK/posts.jsonl" --bundle "$BUNDLE" --quiet --nats "$URLS" --replicas 3 >"$WORK/publish.out" 2>"$WORK/publish.err" &
PUB=$!; PIDS+=($PUB)
while [ "$(count "$DB2" 'SELECT COUNT(*) FROM posts')" -lt $((N / 3)) ]; do sleep 0.5; done
echo "killing worker $WA and NATS node 1 (SIGKILL) at $(count "$DB2" 'SELECT COUNT(*) FROM posts') posts"
kill -9 "$WA" "${NODE[1]}"
sleep 2
start_node 1
"$BIN" worker --db "$DB2" --nats "$URLS" --ack-wait 10 --audit-key "$WORK/audit.key" 2>>"$WORK/wa.log" &
WA=$!; PIDS+=($WA)
wait $PUB && echo "publish: exit 0 ($(tail -1 "$WORK/publish.err"))" || { echo "publish failed"; cat "$WORK/publish.err"; exit 1; }
wait_stored "$DB2" "$N"; t1=$(now)
TWO=$(rate "$N" "$t0" "$t1")
# Let any redelivery of the killed worker's batch come and go, then stop the workers.
sleep 12
kill -TERM "$WA" "$WB"; wait "$WA" "$WB" || true
POSTS=$(count "$DB2" 'SELECT COUNT(*) FROM posts')
DISTINCT=$(count "$DB2" 'SELECT COUNT(DISTINCT external_id) FROM posts')
EVENTS=$(count "$DB2" "SELECT COUNT(*) FROM audit_events WHERE action = 'post.ingested'")
# A post stored (posts.id order) after a later post of its author (ids b<i>, in file order).
LATE=$(count "$DB2" "SELECT COUNT(*) FROM (SELECT substr(external_id, 2)::bigint AS i, lag(substr(external_id, 2)::bigint) OVER (PARTITION BY author_id ORDER BY id) AS before FROM posts) t WHERE before > i")
echo "stored: $POSTS rows, $DISTINCT distinct ids, $EVENTS post.ingested events (expected $N each)"
echo "order: $LATE posts stored after a later post of their author (expected 0)"
tail -1 "$WORK/wa.log"; tail -1 "$WORK/wb.log"
TOKEN=$("$BIN" admin create-token --role admin --db "$DB2" --audit-key "$WORK/audit.key")
# Verifying a million posts' events takes longer than a request may by default (30 s).
"$BIN" serve --addr 127.0.0.1:28080 --db "$DB2" --audit-key "$WORK/audit.key" --request-timeout 1800 2>"$WORK/serve.log" &
S=$!; PIDS+=($S)
for _ in $(seq 100); do curl -fs http://127.0.0.1:28080/healthz >/dev/null && break; sleep 0.1; done
echo "audit verify: $(curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:28080/v1/audit/verify | python3 -c 'import json,sys; v=json.load(sys.stdin); print(("ok" if v["ok"] else "BROKEN") + " %d events, %d signed heads, %d chains" % (v["events"], v["heads"], len(v["chains"])) if "ok" in v else "no answer: %s" % v)')"
kill -TERM $S; wait $S || true
echo "2 workers: $TWO posts/s stored (publish to last post stored, failures included)"
python3 -c "import sys; print(f'ratio to quytac check: {float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$TWO" "$CHECK"
[ "$POSTS" = "$N" ] && [ "$DISTINCT" = "$N" ] && [ "$EVENTS" = "$N" ] || { echo "NOT stored exactly once"; exit 1; }

if [ "$HTTP" = 0 ]; then
  echo "HTTP=0: no HTTP figures"
elif command -v wrk >/dev/null; then
  echo "== POST /v1/posts with --nats (wrk, ${DURATION}s, $CONNECTIONS connections)"
  DB3=$(fresh_db http)
  TOKEN=$("$BIN" admin create-token --role moderator --db "$DB3" --audit-key "$WORK/audit.key")
  ADMIN=$("$BIN" admin create-token --role admin --db "$DB3" --audit-key "$WORK/audit.key")
  "$BIN" serve --addr 127.0.0.1:28081 --db "$DB3" --nats "$URLS" --replicas 3 --audit-key "$WORK/audit.key" 2>"$WORK/serve2.log" &
  S=$!; PIDS+=($S)
  for _ in $(seq 100); do curl -fs http://127.0.0.1:28081/healthz >/dev/null && break; sleep 0.1; done
  cat > "$WORK/posts.lua" <<'LUA'
-- `tid` is each thread's global, set by setup (a local here would be shared by every thread,
-- and their posts would be duplicates that JetStream drops).
local counter = 0
local n = 0
function setup(thread) thread:set("tid", n); n = n + 1 end
request = function()
  counter = counter + 1
  local body = string.format('{"id":"w%d-%d","text":"Hôm nay trời đẹp %d","author":{"id":"u%d"}}', tid, counter, counter, counter % 500)
  return wrk.format("POST", "/v1/posts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
LUA
  cpu_snapshot >"$WORK/cpu2"
  TOKEN=$TOKEN wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/posts.lua" http://127.0.0.1:28081 \
    >"$WORK/wrk.out"
  cpu_snapshot >"$WORK/cpu3"
  grep -E 'Requests/sec|^ +(50|75|90|99)%|Non-2xx|Socket errors' "$WORK/wrk.out"
  ANSWERED=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
  QUEUED=$(curl -s -H "Authorization: Bearer $ADMIN" http://127.0.0.1:28081/v1/pipeline \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["depth"])')
  echo "  ingress: $(cpu_report "$WORK/cpu2" "$WORK/cpu3" "$ANSWERED") ($ANSWERED requests answered, $QUEUED posts in the stream)"
  kill -TERM $S; wait $S || true
  # The stream held the peak; two workers drain it afterwards.
  WH=()
  t0=$(now)
  for k in 1 2; do
    "$BIN" worker --db "$DB3" --nats "$URLS" --audit-key "$WORK/audit.key" 2>"$WORK/wh$k.log" &
    WH+=($!); PIDS+=($!)
  done
  wait_stored "$DB3" "$QUEUED"; t1=$(now)
  kill -TERM "${WH[@]}"; wait "${WH[@]}" || true
  echo "  the peak drained: $QUEUED posts stored by 2 workers in $(python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$t0" "$t1") s ($(rate "$QUEUED" "$t0" "$t1") posts/s)"
else
  echo "wrk is missing (apt-get install -y wrk): no HTTP figures"
fi
