#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The bridge network: addresses, veths, NAT to a simulated uplink, cleanup.

Everything happens in network namespaces the test creates: the supervisor's
(own_netns, or unshare -n), the containers', and an "uplink" namespace wired
to the supervisor's by a veth, standing in for the internet. Test plumbing
(the uplink) uses ip(8) inside those namespaces; corral itself uses netlink
and libnftables only.
"""
import ipaddress
import json
import os
import subprocess
import time
from harness import PAYLOAD, SLOW, Env, Skipped, check, proc_start_time, run, wait_for

UPLINK_HOST = "192.0.2.1"  # the supervisor's namespace's side (TEST-NET-1)
UPLINK_PEER = "192.0.2.2"  # the simulated internet


def connect(env, pid, host, port, timeout=2):
    """payload connect from the network namespace of pid."""
    return env.in_netns(pid, PAYLOAD, "connect", host, str(port), str(timeout), check_rc=None)


def make_uplink(env):
    """An uplink namespace joined to the supervisor's by a veth."""
    up = env.helper(["unshare", "-n", "sleep", "infinity"])
    wait_for(lambda: os.readlink(f"/proc/{up.pid}/ns/net") != os.readlink("/proc/self/ns/net"),
             what="the uplink netns")
    host = env.netns_pid()
    env.in_netns(host, "ip", "link", "add", "upl0", "type", "veth", "peer", "name", "upl1",
                 "netns", str(up.pid))
    env.in_netns(host, "ip", "addr", "add", f"{UPLINK_HOST}/24", "dev", "upl0")
    env.in_netns(host, "ip", "link", "set", "upl0", "up")
    env.in_netns(up.pid, "ip", "addr", "add", f"{UPLINK_PEER}/24", "dev", "upl1")
    env.in_netns(up.pid, "ip", "link", "set", "upl1", "up")
    env.in_netns(up.pid, "ip", "link", "set", "lo", "up")
    return up


def listener(env, pid, port):
    """A TCP listener in pid's netns that answers with the peer's address."""
    code = ("import socket,sys\n"
            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            f"s.bind(('0.0.0.0', {port})); s.listen(8); print('ready', flush=True)\n"
            "while True:\n"
            "    c, a = s.accept(); c.sendall(('peer ' + a[0] + '\\n').encode()); c.close()\n")
    p = env.helper(["nsenter", f"--net=/proc/{pid}/ns/net", "/usr/bin/python3", "-c", code],
                   stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", "listener did not start")
    return p


def container_ping(env, pid, dest):
    """One ping from inside the container (its mount and network
    namespaces: its busybox, its /etc/hosts)."""
    return subprocess.run(["nsenter", "-t", str(pid), "-n", "-m", "/bin/ping", "-c", "1",
                           "-W", str(int(3 * SLOW)), dest],
                          capture_output=True, text=True, timeout=30 * SLOW)


def container_file(pid, path):
    return subprocess.run(["nsenter", "-t", str(pid), "-m", "cat", path],
                          capture_output=True, text=True).stdout


def stop_helpers(env):
    for p in env.helpers:
        p.kill()
        p.wait()
    env.helpers = []


def test_addresses_and_reachability(env: Env):
    env.own_netns()
    names = ("alpha", "beta", "gamma")
    env.write_config([(n, {"command": "payload listen 80"}) for n in names] +
                     [("static", {"command": "payload listen 80", "ip": "10.88.0.200"}),
                      ("lonely", {"command": "payload ns wait", "network": "none"})])
    env.up()
    ps = {n: env.wait_status(n, "running") for n in (*names, "static", "lonely")}
    for n in (*names, "static"):
        env.wait_log(n, "listening 80")
    ips = {n: ps[n]["ip"] for n in (*names, "static")}
    check(len(set(ips.values())) == 4, f"addresses collide: {ips}")
    check(ips["static"] == "10.88.0.200", str(ips))
    net = ipaddress.ip_network("10.88.0.0/24")
    check(all(ipaddress.ip_address(a) in net and a != "10.88.0.1" for a in ips.values()), str(ips))
    check(ps["lonely"]["ip"] is None, str(ps["lonely"]))
    links = env.links()
    check("corral0" in links, str(links))
    check(len([x for x in links if x.startswith("crl")]) == 4, str(links))
    # Every pair, both ways, by address: the payload answers with its hostname.
    for a in (*names, "static"):
        for b in (*names, "static"):
            if a == b:
                continue
            r = connect(env, ps[a]["pid"], ips[b], 80)
            check(f"hello from {b}" in r.stdout, f"{a} -> {b}: {r.stdout}{r.stderr}")
    # The seed's ping matrix: every pair, by address, ICMP through the bridge
    # (busybox ping inside the container's own mount and network namespace).
    for a in names:
        for b in names:
            if a != b:
                r = container_ping(env, ps[a]["pid"], ips[b])
                check(r.returncode == 0, f"ping {a} -> {b} ({ips[b]}): {r.stdout}{r.stderr}")
    # By name, from inside each container: its /etc/hosts lists its peers.
    # (Not under valgrind: it lacks open_tree(2), which the bind needs, so
    # there the container keeps its own files.)
    if os.environ.get("CORRAL_WRAPPER"):
        names_checked = ()
    else:
        names_checked = names
    for a in names_checked:
        for b in names:
            if a != b:
                r = subprocess.run(["nsenter", "-t", str(ps[a]["pid"]), "-n", "-m",
                                    "/usr/bin/payload", "connect", b, "80", "2"],
                                   capture_output=True, text=True, timeout=30 * SLOW)
                check(f"hello from {b}" in r.stdout, f"{a} -> {b} by name: {r.stdout}{r.stderr}")
                r = container_ping(env, ps[a]["pid"], b)
                check(r.returncode == 0, f"ping {a} -> {b} by name: {r.stdout}{r.stderr}")
    hosts = subprocess.run(["nsenter", "-t", str(ps["alpha"]["pid"]), "-m", "cat", "/etc/hosts"],
                           capture_output=True, text=True).stdout
    resolv = subprocess.run(["nsenter", "-t", str(ps["alpha"]["pid"]), "-m", "cat",
                             "/etc/resolv.conf"], capture_output=True, text=True).stdout
    if names_checked:
        check(f"{ips['alpha']}\talpha" in hosts and f"{ips['beta']}\tbeta" in hosts, hosts)
        check("lonely" not in hosts, "a network = none container in a peer's hosts:\n" + hosts)
        check(resolv.startswith("# Written by corral."), resolv)
        check("127.0.0.53" not in resolv, resolv)
    # The gateway answers from the supervisor's side too.
    r = env.in_netns(ps["alpha"]["pid"], "ip", "route", "show", "default")
    check("via 10.88.0.1 dev eth0" in r.stdout, r.stdout)
    # network = none: loopback only.
    r = env.in_netns(ps["lonely"]["pid"], "ip", "-o", "link", "show")
    check([line.split(":")[1].strip() for line in r.stdout.splitlines()] == ["lo"], r.stdout)
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_stable_addresses(env: Env):
    env.own_netns()
    env.write_config([("one", {"command": "payload wait"}), ("two", {"command": "payload wait"})])
    env.up()
    first = {n: env.wait_status(n, "running")["ip"] for n in ("one", "two")}
    env.corral("restart", "one")
    check(env.wait_status("one", "running")["ip"] == first["one"], "address moved on restart")
    env.corral("down")
    env.wait_exit()
    # A new container in front does not move the others.
    env.write_config([("zero", {"command": "payload wait"}), ("one", {"command": "payload wait"}),
                      ("two", {"command": "payload wait"})])
    env.up()
    again = {n: env.wait_status(n, "running")["ip"] for n in ("zero", "one", "two")}
    check(again["one"] == first["one"] and again["two"] == first["two"], f"{first} -> {again}")
    check(again["zero"] not in first.values(), str(again))
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_hosts_follow_peers(env: Env):
    """/etc/hosts lists the running peers, kept current in place; a crash
    and restart leaves the peer reachable (same veth name, same rules)."""
    if os.environ.get("CORRAL_WRAPPER"):
        raise Skipped("valgrind lacks open_tree(2): no /etc/hosts bind to follow")
    env.own_netns()
    env.write_config([("a", {"command": "payload wait"}),
                      ("b", {"command": "payload listen 80", "restart": "always",
                             "restart_delay": "0"})])
    env.up()
    a = env.wait_status("a", "running")
    b = env.wait_status("b", "running")
    env.wait_log("b", "listening 80")
    wait_for(lambda: f"{b['ip']}\tb" in container_file(a["pid"], "/etc/hosts"),
             what="b in a's /etc/hosts")
    env.corral("stop", "b")
    env.wait_status("b", "stopped")
    wait_for(lambda: "\tb" not in container_file(a["pid"], "/etc/hosts"),
             what="b to leave a's /etc/hosts")
    hosts = container_file(a["pid"], "/etc/hosts")
    check(f"{a['ip']}\ta" in hosts, "a lost its own line:\n" + hosts)
    env.corral("start", "b")
    b = env.wait_status("b", "running")
    wait_for(lambda: env.log("b").count("listening 80") >= 2, what="b to listen again")
    wait_for(lambda: f"{b['ip']}\tb" in container_file(a["pid"], "/etc/hosts"),
             what="b back in a's /etc/hosts")
    # A crash restarts b at once, on a veth of the same name.
    os.kill(b["pid"], 9)
    wait_for(lambda: env.ps()["b"]["restarts"] >= 1 and env.ps()["b"]["status"] == "running",
             what="b to restart")
    wait_for(lambda: env.log("b").count("listening 80") >= 3, what="b to listen again")
    r = subprocess.run(["nsenter", "-t", str(a["pid"]), "-n", "-m", "/usr/bin/payload",
                        "connect", "b", "80", "2"], capture_output=True, text=True,
                       timeout=30 * SLOW)
    check("hello from b" in r.stdout, f"a -> b after b's restart: {r.stdout}{r.stderr}")
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


def test_pool_exhausted_is_an_error(env: Env):
    env.own_netns()
    env.write_config([(f"c{i}", {"command": "payload wait"}) for i in range(6)],
                     extra="\n[network]\nsubnet = 10.99.0.0/29\n")
    env.up(wait=False)
    rc = env.wait_exit()
    check(rc != 0, "up succeeded without addresses")
    log = env.supervisor_log()
    check("no free address in 10.99.0.0/29 for container 'c5'" in log, log)
    env.check_clean()


def test_nat_to_uplink(env: Env):
    env.own_netns()
    env.write_config([("out", {"command": "payload wait"})])
    env.up()
    c = env.wait_status("out", "running")
    up = make_uplink(env)
    listener(env, up.pid, 7000)
    r = connect(env, c["pid"], UPLINK_PEER, 7000)
    check(f"peer {UPLINK_HOST}" in r.stdout, f"not masqueraded: {r.stdout}{r.stderr}")
    env.corral("down")
    env.wait_exit()
    stop_helpers(env)
    env.check_clean()


def test_no_nat(env: Env):
    env.own_netns()
    env.write_config([("out", {"command": "payload wait"})], extra="\n[network]\nnat = no\n")
    env.up()
    c = env.wait_status("out", "running")
    up = make_uplink(env)
    listener(env, up.pid, 7000)
    r = connect(env, c["pid"], UPLINK_PEER, 7000, timeout=1)
    check(r.returncode != 0 and "peer" not in r.stdout, f"reached without NAT: {r.stdout}")
    env.corral("down")
    env.wait_exit()
    stop_helpers(env)
    env.check_clean()


def test_publish(env: Env):
    env.own_netns()
    env.write_config([("web", {"command": "payload listen 80", "publish": "8080:80"}),
                      ("other", {"command": "payload listen 81", "publish": "8081:81/tcp"})])
    env.up()
    web = env.wait_status("web", "running")
    check(web["ports"] == ["8080:80/tcp"], str(web))
    env.wait_log("web", "listening 80")
    env.wait_log("other", "listening 81")
    up = make_uplink(env)
    # From "the internet", through the host's uplink address.
    r = connect(env, up.pid, UPLINK_HOST, 8080)
    check("hello from web" in r.stdout, f"uplink -> {UPLINK_HOST}:8080: {r.stdout}{r.stderr}")
    r = connect(env, up.pid, UPLINK_HOST, 8081)
    check("hello from other" in r.stdout, f"uplink -> {UPLINK_HOST}:8081: {r.stdout}{r.stderr}")
    # From the host itself, through 127.0.0.1.
    r = connect(env, env.netns_pid(), "127.0.0.1", 8080)
    check("hello from web" in r.stdout, f"host -> 127.0.0.1:8080: {r.stdout}{r.stderr}")
    # From a container, through the host's address: another's published
    # port, and its own (hairpin: back out of the port it came in by).
    r = connect(env, web["pid"], UPLINK_HOST, 8081)
    check("hello from other" in r.stdout, f"web -> {UPLINK_HOST}:8081: {r.stdout}{r.stderr}")
    r = connect(env, web["pid"], UPLINK_HOST, 8080)
    check("hello from web" in r.stdout, f"web -> its own {UPLINK_HOST}:8080: {r.stdout}{r.stderr}")
    # A port nobody published stays closed.
    r = connect(env, up.pid, UPLINK_HOST, 8082, timeout=1)
    check(r.returncode != 0, r.stdout)
    env.corral("down")
    env.wait_exit()
    stop_helpers(env)
    env.check_clean()


def test_icc_and_connect(env: Env):
    env.own_netns()
    env.write_config([("a", {"command": "payload listen 80", "connect": "b",
                             "publish": "8080:80"}),
                      ("b", {"command": "payload listen 80"}),
                      ("c", {"command": "payload listen 80"})],
                     extra="\n[network]\nicc = no\n")
    env.up()
    ps = {n: env.wait_status(n, "running") for n in ("a", "b", "c")}
    for n in ps:
        env.wait_log(n, "listening 80")
    allowed = {("a", "b"), ("b", "a")}
    # What must be refused gets a second; what must connect may take
    # longer on a loaded machine (a first SYN lost is sent again after 1 s).
    for x in ps:
        for y in ps:
            if x == y:
                continue
            t0 = time.monotonic()
            r = connect(env, ps[x]["pid"], ps[y]["ip"], 80,
                        timeout=4 if (x, y) in allowed else 1)
            ok = f"hello from {y}" in r.stdout
            check(ok == ((x, y) in allowed), f"{x} -> {y}: {'connected' if ok else 'refused'}"
                  f" ({r.stdout.strip()}{r.stderr.strip()})")
            check(time.monotonic() - t0 < 5 * SLOW, f"{x} -> {y} took too long")
    # Through the host (a's published port on the gateway address): a
    # itself and its peer b may, c may not.
    for x, allowed_x in (("a", True), ("b", True), ("c", False)):
        r = connect(env, ps[x]["pid"], "10.88.0.1", 8080, timeout=4 if allowed_x else 1)
        check(("hello from a" in r.stdout) == allowed_x,
              f"{x} -> a's published port: {r.stdout.strip()}{r.stderr.strip()}")
    # c takes a's address: it still cannot reach b, and a is unaffected.
    c_pid = ps["c"]["pid"]
    env.in_netns(c_pid, "ip", "addr", "flush", "dev", "eth0")
    env.in_netns(c_pid, "ip", "addr", "add", ps["a"]["ip"] + "/24", "dev", "eth0")
    r = connect(env, c_pid, ps["b"]["ip"], 80, timeout=1)
    check("hello" not in r.stdout, f"spoofed a's address and reached b: {r.stdout}")
    r = connect(env, ps["a"]["pid"], ps["b"]["ip"], 80)
    check("hello from b" in r.stdout, f"a lost b: {r.stdout}{r.stderr}")
    # ... and with a's MAC as well (CAP_NET_ADMIN: the test's nsenter has it).
    # (ip(8) asks netlink in a's namespace; /sys/class/net would show the
    # namespace /sys was mounted in, not a's.)
    link = env.in_netns(ps["a"]["pid"], "ip", "-o", "link", "show", "eth0").stdout
    a_mac = link.split("link/ether ", 1)[1].split()[0]
    check(a_mac == "02:42:" + ":".join(f"{int(x):02x}" for x in ps["a"]["ip"].split(".")),
          f"a's MAC {a_mac}")
    env.in_netns(c_pid, "ip", "link", "set", "eth0", "address", a_mac)
    r = connect(env, c_pid, ps["b"]["ip"], 80, timeout=1)
    check("hello" not in r.stdout, f"spoofed a's MAC and address and reached b: {r.stdout}")
    # Nobody is fooled: b, talking to a's address, reaches a, not c.
    r = connect(env, ps["b"]["pid"], ps["a"]["ip"], 80)
    check("hello from a" in r.stdout, f"b -> a's address while c impersonates a: {r.stdout}"
          f"{r.stderr}")
    env.corral("down")
    env.wait_exit()
    env.check_clean()


def test_crash_then_up_again(env: Env):
    env.own_netns()
    env.write_config([("a", {"command": "payload listen 80"}),
                      ("b", {"command": "payload listen 80"})])
    env.up()
    ps = {n: env.wait_status(n, "running") for n in ("a", "b")}
    seen = list(env.pids_seen)
    env.proc.kill()
    env.proc.wait()
    # Killed by their parent-death signal; reaped by the host's init, which
    # may take a moment.
    wait_for(lambda: all(proc_start_time(p) != st for p, st in seen), 20,
             what="the containers to die with their supervisor")
    # The containers die with it (their veths with their namespaces); the
    # bridge and the ruleset stay until the next supervisor deals with them.
    wait_for(lambda: not any(x.startswith("crl") for x in env.links()), what="veths to go")
    env.up()
    ps = {n: env.wait_status(n, "running") for n in ("a", "b")}
    env.wait_log("b", "listening 80")
    r = connect(env, ps["a"]["pid"], ps["b"]["ip"], 80)
    check("hello from b" in r.stdout, r.stdout + r.stderr)
    links = env.links()
    check(links.count("corral0") == 1 and len([x for x in links if x.startswith("crl")]) == 2,
          str(links))
    tables = [t for t in env.nft_tables() if "corral" in t]
    check(sorted(tables) == ["table bridge corral", "table inet corral"], str(tables))
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()


if __name__ == "__main__":
    run([test_addresses_and_reachability, test_stable_addresses, test_pool_exhausted_is_an_error,
         test_nat_to_uplink, test_no_nat, test_publish, test_icc_and_connect,
         test_crash_then_up_again, test_hosts_follow_peers])
