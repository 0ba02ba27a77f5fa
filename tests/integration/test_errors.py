#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Spawn failures give one precise line and leave the other containers
running; bad config is refused up front with FILE:LINE."""
import os
import shutil
import subprocess
from harness import CORRAL, Env, check, run


def test_spawn_errors(env: Env):
    doomed = env.rootfs("doomed")
    env.write_config([
        ("good", {"command": "payload wait"}),
        ("nocmd", {"command": "/usr/sbin/no-httpd -DFOREGROUND"}),
        ("nopath", {"command": "no-such-program"}),
        ("badwd", {"command": "payload wait", "workdir": "/nope"}),
        ("gone", {"rootfs": doomed, "command": "payload wait"}),
    ])
    env.up()
    good = env.wait_status("good", "running")
    expect = {
        "nocmd": "exec '/usr/sbin/no-httpd': No such file or directory",
        "nopath": "exec 'no-such-program': No such file or directory",
        "badwd": "workdir '/nope': No such file or directory",
    }
    for name, msg in expect.items():
        c = env.wait_status(name, f"exited (error: {msg})")
        check(c["last_exit"]["error"] == msg, str(c))
        check(f"{name}: {msg}" in env.supervisor_log(), f"no log line for {name}")
    # the rootfs disappears after start-up: the next start says so precisely
    env.wait_status("gone", "running")
    env.corral("stop", "gone")
    shutil.rmtree(doomed)
    r = env.corral("start", "gone", check_rc=1)
    msg = f"rootfs '{doomed}': No such file or directory"
    check(f"gone: {msg}" in r.stderr, r.stderr)
    check(f"gone: {msg}" in env.supervisor_log(), env.supervisor_log())
    # and the good one never noticed
    check(env.ps()["good"]["pid"] == good["pid"], "good container was disturbed")
    r = env.corral("start", "nocmd", check_rc=1)
    check(expect["nocmd"] in r.stderr, r.stderr)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_missing_rootfs_refused_up_front(env: Env):
    cfg = env.write_config([("ok", {"command": "payload wait"}),
                            ("missing", {"rootfs": "/nonexistent/rootfs", "command": "x"})])
    r = subprocess.run([CORRAL, "up", "-f", cfg], capture_output=True, text=True, timeout=30)
    check(r.returncode == 2, f"exit {r.returncode}")
    line = next(i for i, l in enumerate(open(cfg).read().splitlines(), 1)
                if "/nonexistent/rootfs" in l)
    check(f"{cfg}:{line}: [container missing] rootfs: '/nonexistent/rootfs' does not exist"
          in r.stderr, r.stderr)
    check(not os.path.exists(env.run_dir), "a refused config created run_dir")
    env.check_clean()


def test_failed_clone_leaves_nothing(env: Env):
    """A start that fails before there is a process (here clone, refused by
    pids limits) is reported, removes the cgroup it made, and does not keep
    the supervisor from finishing. The child is charged to the supervisor's
    cgroup where it is attached after clone (v1), and to its own cgroup
    where it is born there (cgroup2 CLONE_INTO_CGROUP): limit both."""
    from harness import pids_hierarchy
    root = pids_hierarchy()
    if not root:
        print("# SKIP no pids controller")
        return
    cg = os.path.join(root, env.cgroup_parent + "-sup")
    parent = os.path.join(root, env.cgroup_parent)
    os.mkdir(cg)
    os.mkdir(parent)
    try:
        with open(os.path.join(cg, "pids.max"), "w") as f:
            f.write("1")
        with open(os.path.join(parent, "pids.max"), "w") as f:
            f.write("0")
        env.write_config([("a", {"command": "payload exit 0"}),
                          ("b", {"command": "payload exit 0"})])
        env.up("--exit-when-done", wait=False, cgroup=cg)
        check(env.wait_exit(timeout=20) == 1, "exit status with failed starts")
        log = env.supervisor_log()
        check("a: clone: Resource temporarily unavailable" in log, log)
        check("b: stopped -> exited (error: clone: Resource temporarily unavailable)" in log, log)
    finally:
        if env.proc and env.proc.poll() is None:
            env.proc.kill()
            env.proc.wait()
        os.rmdir(cg)
        if os.path.isdir(parent):
            os.rmdir(parent)
    env.check_clean()


if __name__ == "__main__":
    run([test_spawn_errors, test_missing_rootfs_refused_up_front,
         test_failed_clone_leaves_nothing])
