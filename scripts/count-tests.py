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


MARKER = "#### corral-test: "


def tally(lines):
    """(passed, failed, skipped, results seen, plan or None) of TAP lines."""
    p = fl = sk = seen = 0
    plan = None
    for out in lines:
        m = re.match(r"^1\.\.(\d+)", out)
        if m:
            plan = int(m.group(1))
            if plan == 0 and "SKIP" in out.upper():
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
    return p, fl, sk, seen, plan


def count(test):
    """(passed, failed, skipped) for one entry of testlog.json."""
    p, fl, sk, seen, plan = tally((test.get("stdout") or "").splitlines())
    result = test["result"]
    if seen == 0 and plan != 0:
        if result == "SKIP":
            return 0, 0, 1
        if result in ("OK", "EXPECTEDFAIL"):
            return 1, 0, 0
        return 0, 1, 0
    if result in ("TIMEOUT", "ERROR", "FAIL") and fl == 0:
        fl = 1
    return p, fl, sk


def count_raw(lines):
    """(passed, failed, skipped) of TAP streams, one a test file, each
    opened by a MARKER line. A file whose plan promised more results than
    came, or that printed nothing at all, adds failures."""
    segments, cur = [], None
    for out in lines:
        if out.startswith(MARKER):
            cur = []
            segments.append(cur)
        elif cur is not None:
            cur.append(out)
        elif TAP.match(out) or re.match(r"^1\.\.\d+", out):
            cur = [out]  # no marker: one stream
            segments.append(cur)
    totals = [0, 0, 0]
    for seg in segments:
        p, fl, sk, seen, plan = tally(seg)
        if plan is None:
            fl += 1 if seen == 0 else 0
        else:
            fl += max(plan - seen, 0)
        totals = [totals[0] + p, totals[1] + fl, totals[2] + sk]
    return tuple(totals)


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
