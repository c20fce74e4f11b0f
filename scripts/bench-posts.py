"""The benchmarks' posts as JSON Lines on standard output: N posts with ids PREFIX0, PREFIX1, …,
a tenth of them flagged, from 5,000 authors (scripts/pipeline-bench.sh, scripts/drain-bench.sh).

    python3 scripts/bench-posts.py N [PREFIX]
"""
import json
import random
import sys

n = int(sys.argv[1])
prefix = sys.argv[2] if len(sys.argv) > 2 else "b"
random.seed(7)
clean = ["Hôm nay trời đẹp, cả nhà đi chơi công viên", "Quán phở đầu ngõ ngon lắm mọi người ạ",
         "Chúc mừng sinh nhật bạn, chúc bạn luôn vui khỏe", "Kẹt xe quá, đi làm muộn mất rồi",
         "Cuối tuần này ai đi đá bóng không", "Sách mới về thư viện, mời các bạn đến đọc"]
bad = ["Mày là đồ ngu, cút đi", "Bọn bắc kỳ toàn lũ lừa đảo", "Liên hệ 0912 345 678 để mua hàng",
       "Tin nóng: sắp đổi tiền, rút hết tiền ra ngay"]
out = sys.stdout
for i in range(n):
    text = random.choice(bad if i % 10 == 0 else clean) + f" #{i}"
    out.write(json.dumps({"id": f"{prefix}{i}", "type": "post", "text": text,
                          "author": {"id": f"u{i % 5000}"}}, ensure_ascii=False) + "\n")
