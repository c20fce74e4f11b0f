#!/usr/bin/env python3
"""The appeal race, from outside, against a running `quytac serve` on loopback.

For each round: a civil servant's post is ingested, a reviewer decides its case, then an appeal
(by a citizen), a decision by a moderator and a second decision by the same reviewer are sent
at the same moment. Counts the rounds whose appeal was decided by the moderator or by the
reviewer whose decision was appealed — never allowed.

    scripts/appeal-race.py http://127.0.0.1:8080 ADMIN_TOKEN MODERATOR REVIEWER CITIZEN [ROUNDS]
"""
import json
import sys
import threading
import urllib.error
import urllib.request


def call(base, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def name(token):
    return token.split("_")[1]


def main():
    base, admin, moderator, reviewer, citizen = sys.argv[1:6]
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 80
    run = threading.get_ident()
    wrong = 0
    decision = {"rule": "CS-5", "category": "regional_discrimination", "action": "remove"}
    for i in range(rounds):
        post = {"id": f"race-{run}-{i}", "text": "Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi",
                "author": {"id": f"cs-{i}", "role": "civil_servant"}}
        status, out = call(base, "POST", "/v1/posts", admin, post)
        case = out["case"]["id"]
        call(base, "POST", f"/v1/cases/{case}/decision", reviewer, dict(decision, statement="Gỡ."))
        barrier = threading.Barrier(3)

        def send(token, path, body):
            barrier.wait()
            call(base, "POST", path, token, body)

        threads = [
            threading.Thread(target=send, args=(citizen, f"/v1/cases/{case}/appeal", {"reason": "Sai."})),
            threading.Thread(target=send, args=(moderator, f"/v1/cases/{case}/decision", dict(decision, statement="M"))),
            threading.Thread(target=send, args=(reviewer, f"/v1/cases/{case}/decision", dict(decision, statement="R"))),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _, detail = call(base, "GET", f"/v1/cases/{case}", admin)
        bad = {f"moderator:{name(moderator)}", f"reviewer:{name(reviewer)}"}
        if any(d["on_appeal"] and d["moderator"] in bad for d in detail["decisions"]):
            wrong += 1
    print(f"{wrong} of {rounds} appeals decided by a moderator or by the appealed reviewer")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
