#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corral events and corral inspect."""
import json
import os
import signal
import socket
import subprocess
import time
from harness import CORRAL, SLOW, Env, check, run, wait_for


def test_events_stream_in_order(env: Env):
    env.write_config([("svc", {"command": "payload wait"}),
                      ("crash", {"command": "payload sleep 0.3 exit 4", "restart": "on-failure:1",
                                 "restart_delay": "50ms", "start_grace": "100ms"})])
    env.up()
    env.wait_status("svc", "running")
    # Quiet before anyone subscribes: crash's first runs end in fatal. (The
    # subscribers connect one after the other; an event between two
    # connections would be seen by some and not others.)
    env.wait_status("crash", lambda c: c["state"] == "fatal", timeout=20)
    # The CLI, as a script would use it, and a second subscriber.
    cli = subprocess.Popen([CORRAL, "--run-dir", env.run_dir, "events", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    human = subprocess.Popen([CORRAL, "--run-dir", env.run_dir, "events"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ev = env.events()
    time.sleep(0.3 * SLOW)  # the CLIs subscribe on their own time
    env.corral("restart", "svc")
    env.corral("stop", "svc")
    env.corral("start", "crash", check_rc=None)
    env.wait_status("crash", lambda c: c["state"] == "fatal", timeout=20)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    # The stream ends when the supervisor goes down; the CLIs exit 0.
    out, err = cli.communicate(timeout=10 * SLOW)
    check(cli.returncode == 0, f"events --json exit {cli.returncode}: {err}")
    hout, herr = human.communicate(timeout=10 * SLOW)
    check(human.returncode == 0, f"events exit {human.returncode}: {herr}")
    got = [json.loads(line) for line in out.splitlines()]

    svc = [(e["from"], e["to"]) for e in got if e["name"] == "svc"]
    check(svc[:6] == [("running", "stopping"), ("stopping", "stopped"),
                      ("stopped", "starting"), ("starting", "running"),
                      ("running", "stopping"), ("stopping", "stopped")], f"svc events: {svc}")
    crash = [(e["from"], e["to"]) for e in got if e["name"] == "crash"]
    check(crash[-3:] == [("starting", "running"), ("running", "exited"), ("exited", "fatal")],
          f"crash events: {crash}")
    check(("exited", "backoff") in crash, str(crash))
    exits = [e for e in got if e["name"] == "crash" and e["to"] == "exited"]
    check(all(e["exit"]["kind"] == "code" and e["exit"]["code"] == 4 for e in exits), str(exits))
    fatal = [e for e in got if e["to"] == "fatal"][-1]
    check("restart_max = 1" in fatal["reason"], str(fatal))
    backoff = [e for e in got if e["to"] == "backoff"][0]
    check(0 < backoff["delay_ms"] <= 50, str(backoff))
    times = [e["time_ms"] for e in got]
    check(times == sorted(times), "events out of order")
    # Every subscriber saw the same stream.
    ev.thread.join(5)
    check([(e["name"], e["from"], e["to"]) for e in ev.items][:len(got)] ==
          [(e["name"], e["from"], e["to"]) for e in got], "subscribers disagree")
    check("svc: running -> stopping" in hout, hout)
    check("crash: exited -> fatal (2 failed runs in a row" in hout, hout)
    env.check_clean()


def test_slow_events_client_does_not_block(env: Env):
    flap = {"command": "payload exit 1", "restart": "always", "restart_delay": "0",
            "restart_delay_max": "0", "start_grace": "0", "network": "none"}
    env.write_config([("flap", flap), ("flap2", flap), ("flap3", flap),
                      ("svc", {"command": "payload wait"})])
    env.up()
    # A client that subscribes and never reads.
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(os.path.join(env.run_dir, "corral.sock"))
    slow.sendall(b'{"cmd":"events"}\n')
    try:
        # flap restarts as fast as it can; the supervisor keeps answering.
        worst = 0
        deadline = time.monotonic() + 4 * SLOW
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            env.ps()
            worst = max(worst, time.monotonic() - t0)
        check(worst < 1.0 * SLOW, f"ps took {worst:.2f}s while an events client stalled")
        flap = env.ps()["flap"]
        check(flap["starts"] > 20, f"flap barely restarted: {flap}")
        # Once 256 KiB waits unread, the client is dropped, not buffered on.
        wait_for(lambda: "dropping an events client that does not read" in
                 env.supervisor_log(), 90, 0.2, "the stalled client to be dropped")
        slow.settimeout(10 * SLOW)
        got = 0
        while True:
            chunk = slow.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        check(got < 4 << 20, f"read {got} bytes from a dropped client")
    finally:
        slow.close()
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_inspect(env: Env):
    env.write_config([("db", {"command": "payload wait", "memory": "64M"}),
                      ("web", {"command": ["payload", "echo", "hi there", "wait"],
                               "depends_on": "db", "restart": "on-failure:5",
                               "success_exit_codes": "0 7", "log_max_size": "1M",
                               "log_max_files": "2"})])
    env.up()
    env.wait_status("web", "running")
    out = json.loads(env.corral("inspect", "--json", "web").stdout)
    check(out["ok"] and len(out["containers"]) == 1, str(out))
    c = out["containers"][0]
    spec = c["spec"]
    check(c["name"] == "web" and c["state"] == "running" and c["pid"] > 0, str(c))
    check(c["cgroup"] and env.cgroup_parent in c["cgroup"], str(c))
    check(spec["command"] == ["payload", "echo", "hi there", "wait"], str(spec))
    check(spec["depends_on"] == ["db"], str(spec))
    check(spec["restart"]["policy"] == "on-failure" and spec["restart"]["max"] == 5, str(spec))
    check(spec["success_exit_codes"] == [0, 7], str(spec))
    check(spec["log"] == os.path.join(env.log_dir, "web.log"), str(spec))
    check(spec["log_max_size"] == 1 << 20 and spec["log_max_files"] == 2, str(spec))
    check(c["restarts"] == 0 and c["backoff_delay_ms"] == 0, str(c))
    every = json.loads(env.corral("inspect", "--json").stdout)["containers"]
    check([x["name"] for x in every] == ["db", "web"], str(every))
    check(every[0]["spec"]["limits"]["memory"] == 64 << 20, str(every[0]["spec"]))
    human = env.corral("inspect", "web").stdout
    for want in ("web\n", "status", "running", "on-failure (max 5", "depends on         db",
                 "hi there"):
        check(want in human, f"'{want}' not in:\n{human}")
    r = env.corral("inspect", "nope", check_rc=4)
    check("no such container: 'nope'" in r.stderr, r.stderr)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    r = env.corral("inspect", "web", check_rc=3)
    r = env.corral("events", check_rc=3)
    env.check_clean()


if __name__ == "__main__":
    run([test_events_stream_in_order, test_slow_events_client_does_not_block, test_inspect])
