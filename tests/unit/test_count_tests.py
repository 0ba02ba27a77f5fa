#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/count-tests.py decides CI's verdict: check it on streams whose
counts are known, leading and trailing plans, skips, short and empty runs."""
import json
import os
import subprocess
import sys
import tempfile

SRC = os.environ.get("SRCDIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
COUNT = os.path.join(SRC, "scripts", "count-tests.py")
M = "#### corral-test: "

CASES = [
    ("leading plan, one failure, one missing",
     ["--tap"], M + "a\n1..3\nok 1\nnot ok 2\n", "1 passed, 2 failed"),
    ("trailing plan and a skip", ["--tap"], M + "b\nok 1\nok 2 # SKIP no\n1..2\n",
     "1 passed, 0 failed, 1 skipped"),
    ("a file that printed nothing", ["--tap"], M + "c\n# crashed\n", "0 passed, 1 failed"),
    ("a skipped file", ["--tap"], M + "d\n1..0 # SKIP needs root\n",
     "0 passed, 0 failed, 1 skipped"),
    ("meson: TAP subtests", [], json.dumps({"result": "OK", "stdout": "1..2\nok 1\nok 2\n"}),
     "2 passed, 0 failed"),
    ("meson: a crash after some results", [],
     json.dumps({"result": "ERROR", "stdout": "1..3\nok 1\n"}), "1 passed, 1 failed"),
    ("meson: no TAP at all", [], json.dumps({"result": "FAIL", "stdout": ""}),
     "0 passed, 1 failed"),
]

print(f"1..{len(CASES)}")
failed = 0
for i, (name, args, text, want) in enumerate(CASES, 1):
    with tempfile.NamedTemporaryFile("w", suffix=".log") as f:
        f.write(text + "\n")
        f.flush()
        got = subprocess.run([sys.executable, COUNT, *args, f.name], capture_output=True,
                             text=True).stdout.strip()
    ok = got == want
    failed += not ok
    print(f"{'ok' if ok else 'not ok'} {i} - {name}" + ("" if ok else f": got '{got}'"))
sys.exit(1 if failed else 0)
