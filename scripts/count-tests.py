#!/usr/bin/env python3
"""Print 'N passed, N failed[, N skipped]' from meson's testlog.json.

Tests speak TAP, so each subtest counts on its own ('ok', 'not ok', and
'# SKIP' directives); a test that printed no TAP counts once, by its result.
A test that crashed or timed out after some TAP lines adds one failure."""
import json
import re
import sys

passed = failed = skipped = 0
tap = re.compile(r"^(not ok|ok)\b(.*)$")
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t["result"]
        p = fl = sk = 0
        plan_skip = False
        for out in (t.get("stdout") or "").splitlines():
            m = tap.match(out)
            if out.startswith("1..0") and "SKIP" in out.upper():
                plan_skip = True
            if not m:
                continue
            if "# SKIP" in m.group(2).upper():
                sk += 1
            elif m.group(1) == "ok":
                p += 1
            else:
                fl += 1
        if p + fl + sk == 0:
            if result == "SKIP" or plan_skip:
                sk = 1
            elif result in ("OK", "EXPECTEDFAIL"):
                p = 1
            else:
                fl = 1
        elif result in ("TIMEOUT", "ERROR") and fl == 0:
            fl = 1
        passed += p
        failed += fl
        skipped += sk
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
