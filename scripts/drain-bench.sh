#!/usr/bin/env bash
# One worker draining a backlog into PostgreSQL, the figure the worker's batch insert moves
# (docs/scaling.md, "Before and after"): N posts published into a single NATS server, then one
# `quytac worker` started on a fresh, already migrated database, timed until the last post is
# stored. Each binary of BINS runs in turn, RUNS times, alternated, so that the machine's
# changing speed falls on all of them alike; prints each run and the median of each binary.
#
#   BINS="/tmp/before/quytac target/release/quytac" RUNS=5 N=100000 scripts/drain-bench.sh
#
# Needs nats-server, psql and PostgreSQL (QUYTAC_TEST_POSTGRES_URL, by default
# postgres://postgres@127.0.0.1:5432/test: databases of its own are created and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
RUNS=${RUNS:-3}
BINS=${BINS:-target/release/quytac}
PG=${QUYTAC_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
PORT=${PORT:-24322}
WORK=$(mktemp -d)
PIDS=()
DBS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for db in "${DBS[@]}"; do psql "$PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }

"$NATS_SERVER" -a 127.0.0.1 -p "$PORT" -js -sd "$WORK/nats" 2>"$WORK/nats.log" &
PIDS+=($!)
disown  # killed at exit without a word from the shell
URL=nats://127.0.0.1:$PORT
FIRST=${BINS%% *}
for _ in $(seq 60); do
  "$FIRST" publish - --quiet --nats "$URL" --replicas 1 </dev/null >/dev/null 2>&1 && break
  sleep 0.5
done


declare -A RATES
for run in $(seq "$RUNS"); do
  b=0
  for bin in $BINS; do
    b=$((b + 1))
    db="quytac_drain_$$_${run}_$b"
    DBS+=("$db")
    psql "$PG" -qc "CREATE DATABASE $db" >/dev/null
    dburl="${PG%/*}/$db"
    # Migrated before the clock starts (any command that opens the store does it).
    "$bin" admin create-token --role admin --db "$dburl" --audit-key "$WORK/audit.key" >/dev/null
    python3 scripts/bench-posts.py "$N" "r${run}b${b}-" | "$bin" publish - --quiet --nats "$URL" --replicas 1 >/dev/null
    "$bin" worker --db "$dburl" --nats "$URL" --audit-key "$WORK/audit.key" 2>"$WORK/worker.log" &
    w=$!
    PIDS+=($w)
    t0=$(now)
    # The largest id is read from an index, not counted: the poll costs PostgreSQL nothing.
    while [ "$(psql "$dburl" -Atc 'SELECT COALESCE(MAX(id), 0) FROM posts')" -lt "$N" ]; do sleep 0.1; done
    t1=$(now)
    kill -TERM "$w"; wait "$w" || true
    stored=$(psql "$dburl" -Atc 'SELECT COUNT(*) FROM posts')
    [ "$stored" = "$N" ] || { echo "run $run, $bin: $stored posts stored, not $N"; exit 1; }
    rate=$(python3 -c "import sys; print(f'{int(sys.argv[1])/(float(sys.argv[3])-float(sys.argv[2])):.0f}')" "$N" "$t0" "$t1")
    echo "run $run  $bin: $rate posts/s"
    RATES[$b]="${RATES[$b]:-} $rate"
    psql "$PG" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  done
done
b=0
for bin in $BINS; do
  b=$((b + 1))
  echo "median $bin: $(python3 -c "import statistics, sys; print(f'{statistics.median(map(int, sys.argv[1:])):.0f}')" ${RATES[$b]}) posts/s (runs:${RATES[$b]})"
done
