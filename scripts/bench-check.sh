#!/usr/bin/env bash
# Throughput and peak memory of `quytac check` on a 1-million-line JSON Lines file built from
# ViHSD dev comments (repeated, with a few civil-servant authors and engagements mixed in).
# Usage: scripts/bench-check.sh [LINES]   (needs ../shared/datasets/vihsd/dev.csv and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
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
for run in 1 2 3; do
  /usr/bin/time -f "%e %M" -o /tmp/quytac-bench-time target/release/quytac check "$input" --exit-zero > /dev/null
  read -r secs kb < /tmp/quytac-bench-time
  python3 -c 'import sys; n, size, s, kb = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]); print(f"run {sys.argv[5]}: {n/s:,.0f} items/s, {size/s/1e6:.1f} MB/s, peak RSS {kb/1024:.1f} MiB, {s:.2f} s")' "$lines" "$size" "$secs" "$kb" "$run"
done
