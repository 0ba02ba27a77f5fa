#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stop/start/restart, exit statuses, stop_timeout escalation, shutdown."""
import json
import os
import signal
import time
from harness import SLOW, Env, check, run, wait_for


def test_exit_status(env: Env):
    env.write_config([
        ("three", {"command": "payload exit 3"}),
        ("zero", {"command": "payload exit 0"}),
        ("victim", {"command": "payload wait"}),
        ("termed", {"command": "payload wait"}),
    ])
    env.up()
    env.wait_status("three", "exited (code 3)")
    env.wait_status("zero", "exited (code 0)")
    c = env.wait_status("victim", "running")
    os.kill(c["pid"], signal.SIGKILL)
    c = env.wait_status("victim", "exited (signal SIGKILL)")
    check(c["last_exit"] == {"kind": "signal", "signal": "SIGKILL", "signo": 9,
                             "at_ms": c["last_exit"]["at_ms"]}, f"ps --json: {c['last_exit']}")
    c = env.wait_status("termed", "running")
    os.kill(c["pid"], signal.SIGTERM)
    env.wait_status("termed", "exited (code 0)")
    check("payload: got SIGTERM" in env.log("termed"), "payload did not see SIGTERM")
    c = env.ps()["three"]
    check(c["last_exit"]["kind"] == "code" and c["last_exit"]["code"] == 3, str(c))
    check(c["pid"] == 0, "an exited container has no pid")
    env.corral("down")
    st = env.wait_exit()
    check(st == 0, f"supervisor exit status {st}")
    env.check_clean()


def test_stop_start_restart(env: Env):
    env.write_config([("svc", {"command": "payload pid wait", "stop_timeout": "5s"}),
                      ("other", {"command": "payload wait"})])
    env.up()
    first = env.wait_status("svc", "running")
    other = env.wait_status("other", "running")
    # PID 1 drops signals it has no handler for: wait until the payload
    # has installed its SIGTERM handler (it does so before printing).
    env.wait_log("svc", "pid 1")

    r = env.corral("stop", "svc")
    check("svc: stopped" in r.stdout, r.stdout)
    c = env.ps()["svc"]
    check(c["status"] == "stopped" and c["pid"] == 0, str(c))
    check(not os.path.exists(f"/proc/{first['pid']}"), "old process still alive")
    check("payload: got SIGTERM" in env.log("svc"), "stop did not send SIGTERM first")

    r = env.corral("start", "svc")
    check("svc: running" in r.stdout, r.stdout)
    second = env.ps()["svc"]
    check(second["pid"] not in (0, first["pid"]), "start did not make a new process")
    check(second["starts"] == 2, str(second))

    r = env.corral("restart", "svc")
    check("svc: running" in r.stdout, r.stdout)
    third = env.ps()["svc"]
    check(third["pid"] not in (0, second["pid"]) and third["starts"] == 3, str(third))
    check(not os.path.exists(f"/proc/{second['pid']}"), "restart left the old process")

    # starting a running container is a no-op; stopping a stopped one too
    env.corral("start", "svc")
    check(env.ps()["svc"]["pid"] == third["pid"], "start of a running container restarted it")
    env.corral("stop", "svc")
    env.corral("stop", "svc")
    # the other container was never disturbed
    check(env.ps()["other"]["pid"] == other["pid"], "other container was touched")

    # unknown names change nothing and exit 4
    r = env.corral("stop", "other", "nosuch", check_rc=4)
    check("no such container: 'nosuch'" in r.stderr, r.stderr)
    check(env.ps()["other"]["status"] == "running", "a rejected request stopped a container")

    env.corral("down")
    st = env.wait_exit()
    check(st == 0, f"supervisor exit status {st}")
    env.check_clean()


def test_stop_timeout_escalates(env: Env):
    env.write_config([("stubborn", {"command": "payload ignore-term children 3 wait",
                                    "stop_timeout": "1s"})])
    env.up()
    c = env.wait_status("stubborn", "running")
    env.wait_log("stubborn", "children 3")
    t0 = time.monotonic()
    env.corral("stop", "stubborn")
    took = time.monotonic() - t0
    check(0.9 <= took < 5 * SLOW, f"stop took {took:.2f}s with stop_timeout 1s")
    check("did not stop within 1.0s, killing" in env.supervisor_log(), env.supervisor_log())
    check(env.ps()["stubborn"]["status"] == "stopped", str(env.ps()))
    check(not os.path.exists(f"/proc/{c['pid']}"), "still alive")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_sigterm_shutdown(env: Env):
    env.write_config([(f"c{i}", {"command": "payload children 2 wait"}) for i in range(3)])
    env.up()
    for i in range(3):
        env.wait_status(f"c{i}", "running")
        env.wait_log(f"c{i}", "children 2")
    env.ps()
    env.proc.send_signal(signal.SIGTERM)
    check(env.wait_exit() == 0, "supervisor exit status after SIGTERM")
    check(not os.path.exists(env.run_dir), "run_dir was not removed")
    env.check_clean()


def test_down_while_starting_and_exit_when_done(env: Env):
    env.write_config([("ok", {"command": "payload exit 0"}),
                      ("bad", {"command": "payload exit 7"})])
    env.up("--exit-when-done", wait=False)
    check(env.wait_exit() == 1, "exit-when-done must fail when a container failed")
    env.check_clean()
    env.write_config([("a", {"command": "payload exit 0"}), ("b", {"command": "true"})])
    env.up("--exit-when-done", wait=False)
    check(env.wait_exit() == 0, "exit-when-done with only successes")
    env.check_clean()


def test_second_supervisor_refused(env: Env):
    env.write_config([("one", {"command": "payload wait"})])
    env.up()
    env.wait_status("one", "running")
    import subprocess
    from harness import CORRAL
    r = subprocess.run(["unshare", "-n", CORRAL, "up", "-f", env.config], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 1 and "already running" in r.stderr, f"{r.returncode} {r.stderr}")
    check(env.ps()["one"]["status"] == "running", "the first supervisor was disturbed")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_supervisor_killed(env: Env):
    """kill -9 of the supervisor takes its containers with it (no orphans),
    and the next `corral up` sweeps what the dead one left and runs."""
    from harness import proc_start_time
    env.write_config([("a", {"command": "payload children 2 wait"}),
                      ("b", {"command": "payload wait"})])
    env.up()
    for n in ("a", "b"):
        env.wait_status(n, "running")
    env.wait_log("a", "children 2")
    seen = list(env.pids_seen)
    env.proc.kill()
    env.proc.wait()
    wait_for(lambda: all(proc_start_time(p) != st for p, st in seen), 10,
             what="the containers to die with their supervisor")
    wait_for(lambda: not any(f"process" in x for x in env.leftovers()), 10,
             what="every process of the containers to be gone")
    # its cgroups and runtime files are still there; a new supervisor copes
    env.up()
    for n in ("a", "b"):
        env.wait_status(n, "running")
    check("stale cgroup(s)" in env.supervisor_log(), env.supervisor_log())
    env.corral("down")
    st = env.wait_exit()
    check(st == 0, f"supervisor exit status {st}")
    env.check_clean()


if __name__ == "__main__":
    run([test_exit_status, test_stop_start_restart, test_stop_timeout_escalates,
         test_sigterm_shutdown, test_down_while_starting_and_exit_when_done,
         test_second_supervisor_refused, test_supervisor_killed])
