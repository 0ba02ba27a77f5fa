#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Restart policies, backoff, fatal, unless-stopped, depends_on order."""
import json
import os
import re
import time
from harness import SLOW, Env, check, run, wait_for

FAST = {"restart_delay": "100ms", "restart_delay_max": "10s", "start_grace": "1s"}


def transitions(events, name):
    return [(e["from"], e["to"]) for e in events if e["name"] == name]


def test_crash_loop_backs_off_then_fatal(env: Env):
    env.write_config([("crasher", {"command": "payload exit 1", "restart": "on-failure:3",
                                   **FAST})])
    env.up()
    env.wait_status("crasher", lambda c: c["state"] == "fatal", timeout=20)
    # A clean run to observe, from a start that clears the history.
    ev = env.events()
    r = env.corral("start", "crasher", check_rc=None)
    c = env.wait_status("crasher", lambda c: c["state"] == "fatal", timeout=20)
    check(c["status"].startswith("fatal (4 failed runs in a row, restart_max = 3; last: code 1"),
          c["status"])
    check(c["fatal_reason"] and "restart_max = 3" in c["fatal_reason"], str(c))
    evs = ev.of("crasher")
    starts = [e for e in evs if e["to"] == "starting"]
    backoffs = [e for e in evs if e["to"] == "backoff"]
    exits = [e for e in evs if e["to"] == "exited"]
    check(len(starts) == 4, f"4 starts expected (1 + 3 restarts): {transitions(evs, 'crasher')}")
    check(len(backoffs) == 3, f"3 backoffs expected: {backoffs}")
    check(evs[-1]["to"] == "fatal" and evs[-2]["to"] == "exited", str(evs[-2:]))
    check(all(e["exit"]["kind"] == "code" and e["exit"]["code"] == 1 for e in exits), str(exits))
    delays = [e["delay_ms"] for e in backoffs]
    # 100, 200, 400 ms, each cut by at most 20% of jitter.
    for k, d in enumerate(delays):
        base = 100 << k
        check(0.8 * base <= d <= base, f"delay {k}: {d} not in [{0.8 * base}, {base}]")
    # The gaps between an exit and the next start grow, and honour the delay.
    gaps = []
    for k in range(3):
        exited_at = backoffs[k]["time_ms"]
        started_at = starts[k + 1]["time_ms"]
        gaps.append(started_at - exited_at)
        check(started_at - exited_at >= delays[k] - 2, f"restarted before its delay: {gaps}")
    check(gaps[0] < gaps[1] < gaps[2], f"gaps do not grow: {gaps}")
    check(c["restarts"] >= 3, str(c))
    # corral start clears fatal and the history: the first delay is the base again.
    ev2 = env.events()
    env.corral("start", "crasher", check_rc=None)
    ev2.wait(lambda items: any(e["to"] == "backoff" for e in items), what="a backoff")
    first = [e for e in ev2.of("crasher") if e["to"] == "backoff"][0]
    check(first["delay_ms"] <= 100, f"history not cleared by start: {first}")
    env.corral("stop", "crasher")
    check(env.ps()["crasher"]["status"] == "stopped", str(env.ps()["crasher"]))
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_reset_after_a_long_run(env: Env):
    # Each run outlives restart_reset_after: every restart gets the base delay.
    env.write_config([("steady", {"command": "payload sleep 0.6 exit 1", "restart": "always",
                                  "restart_delay": "200ms", "restart_reset_after": "500ms",
                                  "start_grace": "100ms"}),
                      ("quick", {"command": "payload exit 1", "restart": "always",
                                 "restart_delay": "50ms", "restart_reset_after": "500ms",
                                 "start_grace": "100ms"})])
    env.up()
    ev = env.events()
    ev.wait(lambda items: len([e for e in items if e["name"] == "steady" and
                               e["to"] == "backoff"]) >= 3, timeout=20, what="3 steady backoffs")
    ev.wait(lambda items: len([e for e in items if e["name"] == "quick" and
                               e["to"] == "backoff"]) >= 4, timeout=20, what="4 quick backoffs")
    steady = [e["delay_ms"] for e in ev.of("steady") if e["to"] == "backoff"]
    quick = [e["delay_ms"] for e in ev.of("quick") if e["to"] == "backoff"]
    check(all(160 <= d <= 200 for d in steady), f"steady delays should stay at base: {steady}")
    check(quick[-1] > quick[0] * 1.5, f"quick delays should grow: {quick}")
    info = json.loads(env.corral("inspect", "--json", "steady").stdout)["containers"][0]
    check(info["spec"]["restart"]["policy"] == "always", str(info["spec"]["restart"]))
    check(info["spec"]["restart"]["reset_after_ms"] == 500, str(info["spec"]["restart"]))
    check(info["restart_attempt"] <= 1, f"history not reset: {info}")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_policies_and_success_codes(env: Env):
    env.write_config([
        ("no", {"command": "payload exit 1", "restart": "no"}),
        ("onfail-ok", {"command": "payload exit 0", "restart": "on-failure"}),
        ("onfail-3", {"command": "payload sleep 0.2 exit 3", "restart": "on-failure",
                      "success_exit_codes": "0 3", "start_grace": "100ms"}),
        ("always-ok", {"command": "payload sleep 0.2 exit 0", "restart": "always",
                       "restart_delay": "50ms", "start_grace": "100ms"}),
        ("oom", {"command": "payload alloc 100 wait", "memory": "50M",
                 "restart": "on-failure:1", "restart_delay": "10ms"}),
    ])
    env.up()
    env.wait_status("no", "exited (code 1)")
    env.wait_status("onfail-ok", "exited (code 0)")
    env.wait_status("onfail-3", "exited (code 3)")
    env.wait_status("always-ok", lambda c: c["starts"] >= 3, timeout=20)
    c = env.wait_status("oom", lambda c: c["state"] == "fatal", timeout=30)
    check(c["starts"] == 2, f"on-failure:1 means one restart: {c}")
    check("last: oom-killed" in c["status"], c["status"])
    time.sleep(0.3)
    ps = env.ps()
    for name in ("no", "onfail-ok", "onfail-3"):
        check(ps[name]["starts"] == 1, f"{name} restarted: {ps[name]}")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_stops_never_restart(env: Env):
    env.write_config([("svc", {"command": "payload wait", "restart": "always", **FAST}),
                      ("late", {"command": "payload exit 1", "restart": "always",
                                "restart_delay": "5s", "restart_delay_max": "5s"})])
    env.up()
    env.wait_status("svc", "running")
    env.corral("stop", "svc")
    # In backoff: a stop calls the restart off.
    env.wait_status("late", lambda c: c["state"] == "backoff")
    env.corral("stop", "late")
    check(env.ps()["late"]["status"] == "stopped", str(env.ps()["late"]))
    time.sleep(0.5)
    ps = env.ps()
    check(ps["svc"]["status"] == "stopped" and ps["svc"]["starts"] == 1, str(ps["svc"]))
    check(ps["late"]["status"] == "stopped" and ps["late"]["starts"] == 1, str(ps["late"]))
    env.corral("start", "svc")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    log = env.supervisor_log()
    check("svc: running -> stopping" in log, log)
    # Started at up and by the client: never by the policy.
    check(log.count("svc: stopped -> starting") == 2, "restarted after a stop:\n" + log)
    env.check_clean()


def test_unless_stopped_survives_restart(env: Env):
    env.write_config([("keep", {"command": "payload wait", "restart": "unless-stopped"}),
                      ("other", {"command": "payload wait", "restart": "unless-stopped"}),
                      ("always", {"command": "payload wait", "restart": "always"})])
    env.up()
    for n in ("keep", "other", "always"):
        env.wait_status(n, "running")
    env.corral("stop", "keep", "always")
    marker = os.path.join(env.state_dir, "containers", "keep.json")
    check(os.path.exists(marker), "manual stop not kept in state_dir")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")

    env.up()
    env.wait_status("other", "running")
    env.wait_status("always", "running")  # docker's always: back after a restart
    ps = env.ps()
    check(ps["keep"]["status"] == "stopped" and ps["keep"]["manual_stop"], str(ps["keep"]))
    check("keep: not started: stopped by hand earlier" in env.supervisor_log(),
          env.supervisor_log())
    env.corral("start", "keep")
    check(not os.path.exists(marker), "start did not forget the manual stop")
    env.corral("down")
    env.wait_exit()

    env.up()
    env.wait_status("keep", "running")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def sup_log_index(log, line):
    i = log.find(line)
    check(i >= 0, f"'{line}' not in the supervisor log:\n{log}")
    return i


def test_depends_on_order(env: Env):
    # File order is the reverse of the dependency order.
    env.write_config([
        ("app", {"command": "payload wait", "depends_on": "web"}),
        ("web", {"command": "payload wait", "depends_on": "db cache"}),
        ("cache", {"command": "payload wait"}),
        ("db", {"command": "payload wait"}),
        ("broken", {"command": "/no/such/program"}),
        ("needy", {"command": "payload wait", "depends_on": "broken"}),
    ])
    env.up()
    for n in ("app", "web", "cache", "db"):
        env.wait_status(n, "running")
    c = env.wait_status("needy", lambda c: c["state"] == "exited")
    check(c["last_exit"]["error"] == "dependency 'broken' is exited (error: exec "
          "'/no/such/program': No such file or directory)", str(c))
    check(c["starts"] == 1 and c["pid"] == 0, str(c))
    log = env.supervisor_log()
    check("app: stopped -> starting (waiting for web)" in log, log)
    check(sup_log_index(log, "db: starting -> running") <
          sup_log_index(log, "web: its dependencies are running, starting") and
          sup_log_index(log, "cache: starting -> running") <
          sup_log_index(log, "web: its dependencies are running, starting") and
          sup_log_index(log, "web: starting -> running") <
          sup_log_index(log, "app: its dependencies are running, starting"), log)

    # Starting a container starts what it depends on.
    env.corral("stop", "app", "web", "db")
    ps = env.ps()
    check(all(ps[n]["status"] == "stopped" for n in ("app", "web", "db")), str(ps))
    log = env.supervisor_log()
    check(sup_log_index(log, "app: stopping -> stopped") <
          sup_log_index(log, "web: running -> stopping") and
          sup_log_index(log, "web: stopping -> stopped") <
          sup_log_index(log, "db: running -> stopping"), log)
    env.corral("start", "web")
    ps = env.ps()
    check(ps["web"]["status"] == "running" and ps["db"]["status"] == "running", str(ps))
    check(ps["app"]["status"] == "stopped", str(ps["app"]))

    env.corral("start", "app")
    mark = len(env.supervisor_log())
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    log = env.supervisor_log()[mark:]
    check(sup_log_index(log, "app: stopping -> stopped") <
          sup_log_index(log, "web: running -> stopping") and
          sup_log_index(log, "web: stopping -> stopped") <
          sup_log_index(log, "db: running -> stopping") and
          sup_log_index(log, "web: stopping -> stopped") <
          sup_log_index(log, "cache: running -> stopping"), log)
    env.check_clean()


def test_dependency_config_errors(env: Env):
    env.write_config([("a", {"command": "payload wait", "depends_on": "b"}),
                      ("b", {"command": "payload wait", "depends_on": "a"}),
                      ("c", {"command": "payload wait", "depends_on": "nope"})])
    r = env.corral("-f", env.config, "check", check_rc=2)
    check(re.search(r"depends_on: dependency cycle: a -> b -> a", r.stderr), r.stderr)
    check(re.search(r"depends_on: no container named 'nope'", r.stderr), r.stderr)
    env.check_clean()


if __name__ == "__main__":
    run([test_crash_loop_backs_off_then_fatal, test_reset_after_a_long_run,
         test_policies_and_success_codes, test_stops_never_restart,
         test_unless_stopped_survives_restart, test_depends_on_order,
         test_dependency_config_errors])
