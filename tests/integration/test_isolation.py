#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Three containers from one INI: each is PID 1 of its own namespaces, with
its own hostname and root, and sees no host process."""
import os
from harness import Env, check, run

SCRIPT = ("echo pid=$$; echo host=$(hostname); echo marker=$(cat /etc/corral-marker); "
          "echo procs=$(cd /proc && for p in [0-9]*; do echo $p:$(cat $p/comm); done | tr '\\n' ' '); "
          "for n in pid mnt uts ipc net cgroup; do echo ns.$n=$(readlink /proc/1/ns/$n); done; "
          "echo cgroup=$(cat /proc/self/cgroup); echo ready; exec payload wait")


def test_three_containers(env: Env):
    rootfs = {n: env.rootfs(f"rootfs-{n}") for n in ("alpha", "beta", "gamma")}
    env.write_config([(n, {"rootfs": rootfs[n], "command": ["/bin/sh", "-c", SCRIPT],
                           "hostname": f"{n}-host"}) for n in rootfs])
    env.up()
    host_ns = {n: os.readlink(f"/proc/self/ns/{n}")
               for n in ("pid", "mnt", "uts", "ipc", "net", "cgroup")}
    seen_ns = {}
    for n in rootfs:
        c = env.wait_status(n, "running")
        check(c["pid"] > 1, f"{n}: host pid {c['pid']}")
        log = env.wait_log(n, "ready")
        kv = dict(line.split("=", 1) for line in log.splitlines() if "=" in line)
        check(kv["pid"] == "1", f"{n}: its command is not PID 1: {kv['pid']}")
        check(kv["host"] == f"{n}-host", f"{n}: hostname {kv['host']}")
        check(kv["marker"] == f"rootfs-{n}-{env.id}", f"{n}: / is not its rootfs: {kv['marker']}")
        # only the container's own shell and its helpers: no host process
        procs = dict(p.split(":", 1) for p in kv["procs"].split())
        check(procs.get("1") == "sh", f"{n}: pid 1 is {procs.get('1')}")
        # (busybox re-executes applets through /proc/self/exe: comm "exe")
        host_names = {"python3", "corral", "unshare", "meson", "systemd", "init", "bash"}
        check(len(procs) < 10 and not host_names & set(procs.values()),
              f"{n}: sees host processes: {procs}")
        for ns, link in host_ns.items():
            check(kv[f"ns.{ns}"] != link, f"{n}: shares the host's {ns} namespace")
            check(kv[f"ns.{ns}"] not in seen_ns.get(ns, set()), f"{n}: shares {ns} with a peer")
            seen_ns.setdefault(ns, set()).add(kv[f"ns.{ns}"])
        # its cgroup namespace is rooted at its own cgroup
        check(kv["cgroup"].endswith("::/") or ":/" in kv["cgroup"], f"{n}: {kv['cgroup']}")
        check(env.cgroup_parent not in kv["cgroup"], f"{n}: sees host cgroup path {kv['cgroup']}")
    # the host side really has them in their cgroups
    ps = env.ps()
    for n in rootfs:
        with open(f"/proc/{ps[n]['pid']}/cgroup") as f:
            check(f"{env.cgroup_parent}/{n}" in f.read(), f"{n}: not in its cgroup")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_dev_proc_sys(env: Env):
    script = ("ls /dev; touch /sys/x 2>&1 || echo sys-ro; "
              "grep -E ' /(proc|sys|dev|dev/pts|dev/shm|dev/mqueue) ' /proc/self/mounts; "
              "echo hello > /dev/null && echo devnull-ok; head -c 4 /dev/urandom | wc -c; "
              "ip link show lo 2>/dev/null | grep -q UP && echo lo-up; echo done")
    env.write_config([("dev", {"command": ["/bin/sh", "-c", script]})])
    env.up("--exit-when-done")
    check(env.wait_exit() == 0, "supervisor exit status")
    log = env.log("dev")
    for node in ("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue",
                 "ptmx", "fd"):
        check(f"{node}\n" in log, f"/dev/{node} missing:\n{log}")
    check("sda" not in log and "kmsg" not in log and "mem\n" not in log, f"host devices:\n{log}")
    check("sys-ro" in log, f"/sys is writable:\n{log}")
    check("sysfs /sys sysfs ro" in log, f"/sys mount:\n{log}")
    check("devnull-ok" in log and "\n4\n" in log, f"device nodes do not work:\n{log}")
    check("lo-up" in log, f"loopback is down:\n{log}")
    env.check_clean()


if __name__ == "__main__":
    run([test_three_containers, test_dev_proc_sys])
