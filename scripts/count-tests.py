#!/usr/bin/env python3
"""Print 'N passed, N failed[, N skipped]' from meson's testlog.json files
and, after --tap, files of raw TAP (the VM run).

Tests speak TAP, so each subtest counts on its own ('ok', 'not ok', and
'# SKIP' directives); a test that printed no TAP counts once, by its result.
A test that crashed or timed out after some TAP lines adds one failure; in
raw TAP, every result a plan ('1..N') promised but never came is a failure."""
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


def count_raw(lines):
    """(passed, failed, skipped) of concatenated TAP streams."""
    p = fl = sk = 0
    planned = seen = 0
    for out in lines:
        if re.match(r"^1\.\.\d+", out):
            fl += max(planned - seen, 0)
            planned, seen = int(out[3:].split()[0]), 0
            if planned == 0 and "SKIP" in out.upper():
                sk += 1
            continue
        m = TAP.match(out)
        if not m:
            continue
        seen += 1
        if "# SKIP" in m.group(2).upper():
            sk += 1
        elif m.group(1) == "ok":
            p += 1
        else:
            fl += 1
    fl += max(planned - seen, 0)
    return p, fl, sk


totals = [0, 0, 0]
raw = False
for path in sys.argv[1:]:
    if path == "--tap":
        raw = True
        continue
    with open(path) as f:
        if raw:
            counts = [count_raw(f.read().splitlines())]
        else:
            counts = [count(json.loads(line)) for line in f if line.strip()]
    for c in counts:
        for i, n in enumerate(c):
            totals[i] += n
passed, failed, skipped = totals
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
