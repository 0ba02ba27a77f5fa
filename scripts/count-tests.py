#!/usr/bin/env python3
"""Print 'N passed, N failed[, N skipped]' from meson's testlog.json files.

Tests speak TAP, so each subtest counts on its own ('ok', 'not ok', and
'# SKIP' directives); a test that printed no TAP counts once, by its result.
A test that crashed or timed out after some TAP lines adds one failure."""
import json
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def count(test):
    """(passed, failed, skipped) for one entry of testlog.json."""
    p = fl = sk = 0
    plan_skip = False
    for out in (test.get("stdout") or "").splitlines():
        if out.startswith("1..0") and "SKIP" in out.upper():
            plan_skip = True
        m = TAP.match(out)
        if not m:
            continue
        if "# SKIP" in m.group(2).upper():
            sk += 1
        elif m.group(1) == "ok":
            p += 1
        else:
            fl += 1
    result = test["result"]
    if p + fl + sk == 0:
        if result == "SKIP" or plan_skip:
            return 0, 0, 1
        if result in ("OK", "EXPECTEDFAIL"):
            return 1, 0, 0
        return 0, 1, 0
    if result in ("TIMEOUT", "ERROR", "FAIL") and fl == 0:
        fl = 1
    return p, fl, sk


totals = [0, 0, 0]
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            if line.strip():
                for i, n in enumerate(count(json.loads(line))):
                    totals[i] += n
passed, failed, skipped = totals
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
