#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Container output: pipes -> time-stamped lines -> rotated files; corral logs."""
import glob
import os
import re
import signal
import subprocess
import time
from harness import CORRAL, SLOW, Env, check, run, wait_for

RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([PF]) (.*)$")


def records(env, name):
    out = []
    for line in env.raw_log(name).splitlines():
        m = RECORD.match(line)
        check(m, f"not a log record: {line!r}")
        out.append((m.group(1), m.group(2), m.group(3)))
    return out


def logs(env, *args, check_rc=0):
    return env.corral("--log-dir", env.log_dir, "logs", *args, check_rc=check_rc)


def test_streams_and_partial_lines(env: Env):
    env.write_config([("talk", {"command": "payload echo hello stderr oops nonewline "
                                           "prompt: sleep 3 echo after exit 0"})])
    env.up()
    # A line without its newline shows within a second, marked as partial.
    wait_for(lambda: ("stdout", "P", "prompt:") in records(env, "talk"), 3,
             what="the partial line")
    env.wait_status("talk", "exited (code 0)", timeout=15)
    recs = records(env, "talk")
    # Two pipes: the order between streams is only as good as their reads.
    check(sorted(recs[:2]) == [("stderr", "F", "oops"), ("stdout", "F", "hello")], str(recs))
    check(recs[2] == ("stdout", "P", "prompt:"), str(recs))
    check(recs[3] == ("stdout", "F", "after"), str(recs))
    r = logs(env, "talk")
    check(r.stdout == "hello\nprompt:after\n", repr(r.stdout))
    check(r.stderr == "oops\n", repr(r.stderr))
    r = logs(env, "-t", "talk")
    check(re.match(r"^\d{4}-\d\d-\d\dT\S+Z hello\n", r.stdout), r.stdout)
    r = logs(env, "--json", "talk")
    check('"stream": "stderr"' in r.stdout or '"stream":"stderr"' in r.stdout, r.stdout)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    # Logs outlive the supervisor.
    r = logs(env, "--tail", "1", "talk")
    check(r.stdout == "prompt:after\n", repr(r.stdout))
    r = logs(env, "nope", check_rc=4)
    check("no log for 'nope'" in r.stderr, r.stderr)
    env.check_clean()


def test_final_line_without_newline(env: Env):
    env.write_config([("last", {"command": "payload echo one nonewline two exit 3"})])
    env.up()
    env.wait_status("last", "exited (code 3)")
    check(records(env, "last") == [("stdout", "F", "one"), ("stdout", "F", "two")],
          str(records(env, "last")))
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_rotation_keeps_max_files(env: Env):
    env.write_config([("chatty", {"command": "payload flood 300000 exit 0",
                                  "log_max_size": "16K", "log_max_files": "3"})])
    env.up()
    env.wait_status("chatty", "exited (code 0)", timeout=30)
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(env.log_dir, "chatty*")))
    check(files == ["chatty.log", "chatty.log.1", "chatty.log.2"], str(files))
    for f in files:
        size = os.path.getsize(os.path.join(env.log_dir, f))
        check(size <= 16 * 1024 + 200, f"{f} is {size} bytes")
    r = logs(env, "--tail", "3", "chatty")
    check(len(r.stdout.splitlines()) == 3, repr(r.stdout))
    # The order across files is kept: the newest lines come last.
    every = logs(env, "chatty").stdout.splitlines()
    check(every[-3:] == r.stdout.splitlines(), "tail disagrees with the full log")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_follow_across_restart(env: Env):
    env.write_config([("svc", {"command": "payload pid echo ready wait"})])
    env.up()
    env.wait_log("svc", "ready")
    f = subprocess.Popen([CORRAL, "--log-dir", env.log_dir, "logs", "-f", "svc"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []

        def seen(n):
            return len([line for line in lines if line == "ready"]) >= n

        import threading
        t = threading.Thread(target=lambda: [lines.append(l.rstrip("\n")) for l in f.stdout],
                             daemon=True)
        t.start()
        wait_for(lambda: seen(1), what="the first run's line in logs -f")
        env.corral("restart", "svc")
        wait_for(lambda: seen(2), what="the second run's line in logs -f")
        check(lines.count("payload: got SIGTERM") == 1, str(lines))
    finally:
        f.send_signal(signal.SIGTERM)
        f.wait(10)
    check(f.returncode == 0, f"logs -f exit {f.returncode}")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_flood_does_not_stall(env: Env):
    env.write_config([("flood", {"command": "payload flood 2000000000",
                                 "log_max_size": "1M", "log_max_files": "2"}),
                      ("quiet", {"command": "payload echo here wait"})])
    env.up()
    env.wait_status("flood", "running")
    worst = 0
    deadline = time.monotonic() + 3 * SLOW
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        env.ps()
        worst = max(worst, time.monotonic() - t0)
    check(worst < 1.0 * SLOW, f"ps took {worst:.2f}s during a flood")
    env.wait_log("quiet", "here")
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(env.log_dir, "flood*")))
    check(total <= 2 * (1 << 20) + 65536, f"flood logs take {total} bytes")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


if __name__ == "__main__":
    run([test_streams_and_partial_lines, test_final_line_without_newline,
         test_rotation_keeps_max_files, test_follow_across_restart, test_flood_does_not_stall])
