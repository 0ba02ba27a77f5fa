#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cgroup limits, pause/resume through the freezer, stats and OOM reporting,
as a user sees them. Runs on whatever host it is on: the hybrid v1 host and,
through tests/vm, a pure cgroup v2 host."""
import json
import os
import time
from harness import SLOW, Env, check, cgroup_mounts, run, wait_for


def stats(env, name):
    out = json.loads(env.corral("stats", "--json").stdout)
    return next(c for c in out["containers"] if c["name"] == name)["stats"]


def counter(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return None


def freezer_says_frozen(env, name):
    """Read the kernel's own word, not corral's: the cgroup2 freezer where
    there is one (pure v2, and hybrid hosts' unified hierarchy), else v1's."""
    dirs = [os.path.join(mnt, env.cgroup_parent, name) for mnt in cgroup_mounts()]
    for d in dirs:
        if os.path.exists(os.path.join(d, "cgroup.freeze")):
            with open(os.path.join(d, "cgroup.events")) as f:
                return "frozen 1" in f.read()
    for d in dirs:
        if os.path.exists(os.path.join(d, "freezer.state")):
            with open(os.path.join(d, "freezer.state")) as f:
                return f.read().strip() == "FROZEN"
    return None


def test_memory_oom(env: Env):
    env.write_config([("hog", {"command": "payload alloc 100 wait", "memory": "50M"}),
                      ("calm", {"command": "payload wait", "memory": "50M"})])
    env.up()
    c = env.wait_status("hog", "exited (oom-killed)", timeout=30)
    check(c["last_exit"]["kind"] == "oom", str(c))
    check(env.ps()["calm"]["status"] == "running", "the neighbour was hit")
    r = env.corral("ps")
    check("oom-killed" in r.stdout, r.stdout)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_cpu_quota(env: Env):
    env.write_config([("spin", {"command": "payload spin", "cpus": "0.5"})])
    env.up()
    env.wait_status("spin", "running")
    stats(env, "spin")  # first sample
    time.sleep(2)
    cpu = stats(env, "spin")["cpu_percent"]
    check(cpu <= 55.0, f"cpus = 0.5 but the spinner used {cpu:.1f}% of a CPU")
    check(cpu >= 25.0, f"the spinner barely ran: {cpu:.1f}%")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_pids_limit(env: Env):
    env.write_config([("bomb", {"command": "payload fork-bomb", "pids": "32",
                                "stop_timeout": "1s"}),
                      ("calm", {"command": "payload wait"})])
    env.up()
    env.wait_status("bomb", "running")
    env.wait_log("bomb", "fork failed", timeout=20)
    st = stats(env, "bomb")
    check(st["pids"] <= 32, f"pids = 32 but {st['pids']} tasks")
    # the supervisor and the neighbour are unaffected
    check(env.ps()["calm"]["status"] == "running", "neighbour")
    env.corral("stop", "bomb")
    check(env.ps()["bomb"]["status"] == "stopped", str(env.ps()["bomb"]))
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_pause_resume(env: Env):
    # What the container writes lands in its overlay's upper layer.
    count_file = os.path.join(env.state_dir, "containers", "ticker", "rw", "upper", "tmp",
                              "counter")
    env.write_config([("ticker", {"command": "payload children 3 counter /tmp/counter",
                                  "stop_timeout": "5s"})])
    env.up()
    env.wait_status("ticker", "running")
    wait_for(lambda: (counter(count_file) or 0) > 5, what="the counter to run")

    r = env.corral("pause", "ticker")
    check("ticker: paused" in r.stdout, r.stdout)
    check(env.ps()["ticker"]["status"] == "paused", str(env.ps()["ticker"]))
    check(freezer_says_frozen(env, "ticker") is True, "the kernel does not say frozen")
    a = counter(count_file)
    time.sleep(0.5)
    b = counter(count_file)
    check(a == b, f"the counter moved while paused: {a} -> {b}")
    # pausing again is fine and changes nothing
    env.corral("pause", "ticker")

    r = env.corral("resume", "ticker")
    check("ticker: running" in r.stdout, r.stdout)
    wait_for(lambda: (counter(count_file) or 0) > b + 5, what="the counter to move again")
    check(freezer_says_frozen(env, "ticker") is False, "still frozen after resume")

    # stop while paused: thawed, asked to stop, and it does
    env.corral("pause", "ticker")
    t0 = time.monotonic()
    env.corral("stop", "ticker")
    check(time.monotonic() - t0 < 4 * SLOW, "a paused container was not thawed before its stop")
    check(env.ps()["ticker"]["status"] == "stopped", str(env.ps()["ticker"]))
    check("payload: got SIGTERM" in env.log("ticker"), "no SIGTERM after the thaw")

    # pausing what is not running is refused, and changes nothing
    r = env.corral("pause", "ticker", check_rc=1)
    check("container 'ticker' is not running (stopped)" in r.stderr, r.stderr)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_pause_timeout_rolls_back(env: Env):
    count_file = os.path.join(env.state_dir, "containers", "ticker", "rw", "upper", "tmp",
                              "counter")
    # A pause_timeout of 0 expires before the freezer can confirm anything.
    env.write_config([("ticker", {"command": "payload counter /tmp/counter",
                                  "pause_timeout": "0"})])
    env.up()
    env.wait_status("ticker", "running")
    wait_for(lambda: (counter(count_file) or 0) > 2, what="the counter to run")
    r = env.corral("pause", "ticker", check_rc=1)
    check("did not freeze within 0.0s, thawed again" in r.stderr, r.stderr)
    check(env.ps()["ticker"]["status"] == "running", str(env.ps()["ticker"]))
    a = counter(count_file)
    wait_for(lambda: (counter(count_file) or 0) > a + 3, what="the counter to keep moving")
    check(freezer_says_frozen(env, "ticker") is False, "left frozen after the rollback")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_unenforceable_limit_is_an_error(env: Env):
    """A limit the host cannot enforce fails that container's start with a
    precise line, never a silent no-op; the others run."""
    cpus = os.cpu_count() or 1
    env.write_config([("nocpus", {"command": "payload wait", "cpuset_cpus": f"0-{cpus + 63}"}),
                      ("ok", {"command": "payload wait", "cpuset_cpus": "0"})])
    env.up()
    # The kernel's word for it differs (v1: ERANGE, v2: EINVAL); the line
    # names the file either way.
    msg = "set cgroup limit 'cpuset.cpus': "
    c = env.wait_status("nocpus", lambda c: c["status"].startswith(f"exited (error: {msg}"))
    check(f"nocpus: {c['last_exit']['error']}" in env.supervisor_log(), env.supervisor_log())
    ok = env.wait_status("ok", "running")
    with open(f"/proc/{ok['pid']}/status") as f:
        allowed = [l for l in f if l.startswith("Cpus_allowed_list:")][0].split()[1]
    check(allowed == "0", f"cpuset_cpus = 0 but it may run on {allowed}")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


if __name__ == "__main__":
    run([test_memory_oom, test_cpu_quota, test_pids_limit, test_pause_resume,
         test_pause_timeout_rolls_back, test_unenforceable_limit_is_an_error])
