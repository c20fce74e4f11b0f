#!/usr/bin/env bash
# Throughput and peak memory of `quytac check` on a JSON Lines file built from ViHSD dev
# comments (repeated, with a few civil-servant authors and engagements mixed in), beside
# Python's `json.loads` merely parsing the same file, both measured in the same run. The machine
# may be shared and noisy, so each is run RUNS times and the median is the figure to quote.
# Usage: scripts/bench-check.sh [LINES [RUNS]]   (needs ../shared/datasets/vihsd/dev.csv, GNU
# time and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
runs=${2:-3}
input=${TMPDIR:-/tmp}/quytac-bench-$lines.jsonl
cargo build --release -q -p quytac
if [ ! -s "$input" ]; then
  python3 - "$lines" "$input" <<'PY'
import csv, json, sys
n, path = int(sys.argv[1]), sys.argv[2]
texts = [r["free_text"] for r in csv.DictReader(open("../shared/datasets/vihsd/dev.csv", encoding="utf-8"))]
roles = ["citizen"] * 8 + ["civil_servant", "agency"]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        item = {"id": f"p{i}", "type": "post", "text": texts[i % len(texts)],
                "author": {"id": f"u{i % 5000}", "role": roles[i % len(roles)]}}
        if i % 50 == 7:
            item["engages"] = {"kind": "share", "target_id": f"p{i - 3}"}
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
PY
fi
size=$(stat -c %s "$input")
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
quytac_secs=()
python_secs=()
for run in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e %M" -o "$timing" target/release/quytac check "$input" --exit-zero > /dev/null
  read -r secs kb < "$timing"
  quytac_secs+=("$secs")
  python3 -c 'import sys; n, size, s, kb = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]); print(f"run {sys.argv[5]}: quytac check {n/s:,.0f} items/s, {size/s/1e6:.1f} MB/s, peak RSS {kb/1024:.1f} MiB, {s:.2f} s")' "$lines" "$size" "$secs" "$kb" "$run"
  # Python reads and parses every line, nothing more: the floor of any Python checker.
  secs=$(python3 - "$input" <<'PY'
import json, sys, time
t = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        json.loads(line)
print(f"{time.perf_counter() - t:.3f}")
PY
)
  python_secs+=("$secs")
  python3 -c 'import sys; n, s = int(sys.argv[1]), float(sys.argv[2]); print(f"run {sys.argv[3]}: python json.loads {n/s:,.0f} items/s, {s:.2f} s")' "$lines" "$secs" "$run"
done
python3 - "$lines" "${quytac_secs[*]}" "${python_secs[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
q = statistics.median(float(x) for x in sys.argv[2].split())
p = statistics.median(float(x) for x in sys.argv[3].split())
print(f"median: quytac check {n/q:,.0f} items/s, python json.loads {n/p:,.0f} items/s, ratio {p/q:.2f}x")
PY
