# SPDX-License-Identifier: MIT
"""Shared plumbing for corral's root integration tests.

Each test gets a private temp dir (rootfs, config, run/log/state dirs), a
unique cgroup parent, and a supervisor started in a network namespace of its
own (`unshare -n`), so tests can run concurrently and nothing they make can
touch the host's network. Every test ends with check_clean(): no process,
cgroup, mount or runtime file of the test may remain.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

CORRAL = os.environ.get("CORRAL", "build/corral")
# How much slower than native this host is (a VM under emulation: 5-10).
SLOW = float(os.environ.get("CORRAL_TEST_SLOW", "1"))
PAYLOAD = os.environ.get("PAYLOAD", "build/tests/payload")
SRCDIR = os.environ.get("SRCDIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def wait_for(pred, timeout=10.0, interval=0.02, what="condition"):
    timeout *= SLOW
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def cgroup_mounts():
    """Every cgroup hierarchy mount point on this host (v1 and v2)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fstype = post.split()[0]
            if fstype in ("cgroup", "cgroup2"):
                out.append(pre.split()[4])
    return out


def connectable(path):
    """A socket file can be stale: only a live listener counts."""
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def proc_start_time(pid):
    """Field 22 of /proc/PID/stat, or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def pids_hierarchy():
    """Where a pids limit can be set: the v1 pids mount, else cgroup2."""
    with open("/proc/self/mountinfo") as f:
        mounts = [(l.split(" - ")[0].split()[4], l.split(" - ")[1].split()) for l in f]
    for mnt, post in mounts:
        if post[0] == "cgroup" and "pids" in post[2].split(","):
            return mnt
    for mnt, post in mounts:
        if post[0] == "cgroup2":
            with open(os.path.join(mnt, "cgroup.controllers")) as f:
                if "pids" in f.read().split():
                    return mnt
    return None


class Events:
    """A subscription to the supervisor's events, made straight on the
    socket so that it is known to be live before the test acts."""

    def __init__(self, run_dir):
        import socket
        import threading
        self.items = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.path.join(run_dir, "corral.sock"))
        self.sock.sendall(b'{"cmd":"events"}\n')
        self.f = self.sock.makefile("r")
        first = json.loads(self.f.readline())
        check(first == {"ok": True}, f"events: {first}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for line in self.f:
                self.items.append(json.loads(line))
        except (OSError, ValueError):
            pass

    def of(self, name):
        return [e for e in list(self.items) if e["name"] == name]

    def wait(self, pred, timeout=10, what="an event"):
        return wait_for(lambda: pred(list(self.items)), timeout, 0.02, what)

    def close(self):
        try:
            import socket
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


class Env:
    def __init__(self, name):
        self.name = name
        self.id = uuid.uuid4().hex[:8]
        self.tmp = tempfile.mkdtemp(prefix=f"corral-{name}-")
        os.chmod(self.tmp, 0o755)
        self.run_dir = os.path.join(self.tmp, "run")
        self.log_dir = os.path.join(self.tmp, "log")
        self.state_dir = os.path.join(self.tmp, "state")
        self.cgroup_parent = f"corral-test-{name}-{self.id}"
        self.config = os.path.join(self.tmp, "corral.ini")
        self.proc = None
        self.sup_log = os.path.join(self.tmp, "supervisor.log")
        self.pids_seen = set()
        self._rootfs = None
        self._events = []
        self.holder = None  # a process holding the test's own network namespace
        self.helpers = []  # processes the test started: killed at cleanup
        self.mounts_to_undo = []  # mounts the test made (under tmp): undone at cleanup

    # -- set-up ---------------------------------------------------------
    def rootfs(self, name="rootfs"):
        """A busybox rootfs with the test payload at /usr/bin/payload."""
        path = os.path.join(self.tmp, name)
        if not os.path.exists(path):
            subprocess.run([os.path.join(SRCDIR, "scripts", "mkrootfs.sh"), path,
                            "--payload", PAYLOAD], check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(path, "etc", "corral-marker"), "w") as f:
                f.write(f"{name}-{self.id}\n")
        return path

    def write_config(self, containers, supervisor=None, extra=""):
        """containers: list of (name, {key: value or [values]})."""
        lines = ["[supervisor]",
                 f"run_dir = {self.run_dir}",
                 f"log_dir = {self.log_dir}",
                 f"state_dir = {self.state_dir}",
                 f"cgroup_parent = {self.cgroup_parent}"]
        for k, v in (supervisor or {}).items():
            lines.append(f"{k} = {v}")
        lines.append("")
        for name, keys in containers:
            lines.append(f"[container {name}]")
            keys = dict(keys)
            keys.setdefault("rootfs", self.rootfs())
            for k, v in keys.items():
                for item in (v if isinstance(v, list) and k != "command" else [v]):
                    if k == "command" and isinstance(item, list):
                        item = json.dumps(item)
                    lines.append(f"{k} = {item}")
            lines.append("")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + extra)
        return self.config

    # -- the supervisor -------------------------------------------------
    def up(self, *args, wait=True, cgroup=None):
        """Start the supervisor; with cgroup, it runs inside that cgroup."""
        self.log_fh = open(self.sup_log, "ab")
        # CORRAL_WRAPPER runs the supervisor under a checker (valgrind).
        wrapper = os.environ.get("CORRAL_WRAPPER", "").split()
        netns = (["nsenter", f"--net=/proc/{self.holder.pid}/ns/net"] if self.holder
                 else ["unshare", "-n"])
        cmd = [*netns, *wrapper, CORRAL, "up", "-f", self.config, *args]
        if cgroup:
            # sh moves itself, then execs: the supervisor is its only task.
            cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, *cmd]
        self.proc = subprocess.Popen(cmd,
                                     stdout=self.log_fh, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if wait:
            sock = os.path.join(self.run_dir, "corral.sock")
            wait_for(lambda: connectable(sock) or self.proc.poll() is not None,
                     what="the control socket")
            if self.proc.poll() is not None:
                raise TestFailure(f"corral up exited with {self.proc.returncode}:\n"
                                  + self.supervisor_log())
        return self.proc

    # -- networks the test owns ----------------------------------------
    def own_netns(self):
        """A network namespace that outlives any one supervisor: the
        supervisor runs in it (nsenter), and it dies with the test."""
        if not self.holder:
            self.holder = subprocess.Popen(["unshare", "-n", "sleep", "infinity"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: os.readlink(f"/proc/{self.holder.pid}/ns/net") !=
                     os.readlink("/proc/self/ns/net"), what="the test's netns")
            # Like any host's: loopback up (127.0.0.1 port publishing needs it).
            self.in_netns(self.holder.pid, "ip", "link", "set", "lo", "up")
        return self.holder.pid

    def helper(self, argv, **kw):
        """Start a process that the test's cleanup kills (by pid)."""
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        p = subprocess.Popen(argv, **kw)
        self.helpers.append(p)
        return p

    def netns_pid(self):
        return self.holder.pid if self.holder else self.proc.pid

    def in_netns(self, pid, *cmd, check_rc=0, timeout=30):
        """Run cmd in the network namespace of pid (a namespace the test made)."""
        r = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", *cmd], capture_output=True,
                           text=True, timeout=timeout * SLOW)
        if check_rc is not None and r.returncode != check_rc:
            raise TestFailure(f"{' '.join(cmd)} in netns of {pid}: exit {r.returncode}\n"
                              f"{r.stdout}{r.stderr}")
        return r

    def links(self, pid=None):
        """Interface names in the supervisor's network namespace."""
        r = self.in_netns(pid or self.netns_pid(), "ip", "-o", "link", "show")
        return [line.split(":")[1].strip().split("@")[0] for line in r.stdout.splitlines()]

    def nft_tables(self, pid=None):
        r = self.in_netns(pid or self.netns_pid(), "nft", "list", "tables")
        return r.stdout.split("\n")

    def events(self):
        ev = Events(self.run_dir)
        self._events.append(ev)
        return ev

    def supervisor_log(self):
        try:
            with open(self.sup_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def corral(self, *args, check_rc=0, timeout=60 * SLOW):
        r = subprocess.run([CORRAL, "--run-dir", self.run_dir, *args], capture_output=True,
                           text=True, timeout=timeout)
        if check_rc is not None and r.returncode != check_rc:
            raise TestFailure(f"corral {' '.join(args)}: exit {r.returncode}, expected "
                              f"{check_rc}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def ps(self):
        out = json.loads(self.corral("ps", "--json").stdout)
        check(out["ok"], f"ps failed: {out}")
        ctrs = {c["name"]: c for c in out["containers"]}
        for c in ctrs.values():
            if c["pid"]:
                self.pids_seen.add((c["pid"], proc_start_time(c["pid"])))
        return ctrs

    def wait_status(self, name, status, timeout=10):
        """Wait until ps shows name with this status (a string, or a callable)."""
        def ok():
            c = self.ps()[name]
            return c if (status(c) if callable(status) else c["status"] == status) else None
        try:
            return wait_for(ok, timeout, 0.05, f"{name} to be {status}")
        except TestFailure:
            raise TestFailure(f"{name}: expected {status}, have {self.ps()[name]}\n"
                              + self.supervisor_log())

    def raw_log(self, name):
        """log_dir/NAME.log as written: one CRI record a line."""
        try:
            with open(os.path.join(self.log_dir, f"{name}.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log(self, name):
        """What the container wrote, stdout and stderr interleaved, as
        `corral logs` shows it: partial records joined to their rest."""
        out, pending = [], {}
        for line in self.raw_log(name).splitlines():
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[2] not in ("P", "F"):
                out.append(line)
                continue
            stream, tag, text = parts[1], parts[2], parts[3] if len(parts) > 3 else ""
            text = pending.pop(stream, "") + text
            if tag == "P":
                pending[stream] = text
            else:
                out.append(text)
        out.extend(pending.values())
        return "".join(line + "\n" for line in out)

    def wait_log(self, name, text, timeout=10):
        wait_for(lambda: text in self.log(name), timeout, 0.05, f"'{text}' in {name}.log")
        return self.log(name)

    def wait_exit(self, timeout=30):
        try:
            return self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"supervisor did not exit within {timeout}s\n"
                              + self.supervisor_log())

    # -- leftovers ------------------------------------------------------
    def leftovers(self):
        found = []
        for mnt in cgroup_mounts():
            p = os.path.join(mnt, self.cgroup_parent)
            if os.path.exists(p):
                found.append(f"cgroup {p}")
        # Every container process the test saw must be gone, even one that
        # left its cgroup; the start time tells a reused pid apart.
        for pid, start in self.pids_seen:
            if start is not None and proc_start_time(pid) == start:
                found.append(f"process {pid} (seen by ps)")
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cgroup") as f:
                    if self.cgroup_parent in f.read():
                        found.append(f"process {pid} in our cgroup")
            except OSError:
                pass
        with open("/proc/self/mountinfo") as f:
            for line in f:
                if self.tmp in line:
                    found.append(f"mount {line.split()[4]}")
        # In a namespace the test owns, the network must be as it was.
        if self.holder and self.holder.poll() is None:
            for link in self.links(self.holder.pid):
                if link.startswith("crl") or link.startswith("corral"):
                    found.append(f"link {link}")
            for t in self.nft_tables(self.holder.pid):
                if "corral" in t:
                    found.append(f"nftables {t}")
        if os.path.exists(self.run_dir) and os.listdir(self.run_dir):
            found.append(f"files in run_dir: {os.listdir(self.run_dir)}")
        return found

    def check_clean(self):
        left = self.leftovers()
        check(not left, "left behind: " + ", ".join(left))

    def cleanup(self):
        for ev in self._events:
            ev.close()
        self._cleanup_supervisor()
        for p in self.helpers:
            if p.poll() is None:
                p.kill()
            p.wait()
        if self.holder:
            self.holder.kill()
            self.holder.wait()
        self._cleanup_rest()

    def _cleanup_supervisor(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def undo_mounts(self):
        while self.mounts_to_undo:
            subprocess.run(["umount", "-l", self.mounts_to_undo.pop()], capture_output=True)

    def _cleanup_rest(self):
        # Last resort for a failed test: nothing may survive it.
        self.undo_mounts()
        for mnt in cgroup_mounts():
            p = os.path.join(mnt, self.cgroup_parent)
            if os.path.isdir(p):
                for dirpath, dirs, _ in os.walk(p, topdown=False):
                    try:
                        with open(os.path.join(dirpath, "cgroup.procs")) as f:
                            for pid in f.read().split():
                                try:
                                    os.kill(int(pid), signal.SIGKILL)
                                except ProcessLookupError:
                                    pass
                    except OSError:
                        pass
                for dirpath, dirs, _ in os.walk(p, topdown=False):
                    for _ in range(50):
                        try:
                            os.rmdir(dirpath)
                            break
                        except OSError:
                            time.sleep(0.02)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Skipped(Exception):
    """Raised by a test that cannot run here: reported as TAP SKIP, never as
    a pass."""


def run(tests):
    """Run test functions, each with a fresh Env; print TAP; exit 0/1."""
    failed = 0
    if os.geteuid() != 0:
        print("1..0 # SKIP these tests need root")
        sys.exit(0)

    # meson's timeout (and a person's kill) sends SIGTERM: unwind through
    # the finally below so the test still removes what it made.
    def interrupted(signo, frame):
        raise KeyboardInterrupt(f"signal {signo}")
    signal.signal(signal.SIGTERM, interrupted)
    print(f"1..{len(tests)}")
    for i, t in enumerate(tests, 1):
        env = Env(t.__name__.removeprefix("test_").replace("_", "-")[:24])
        try:
            t(env)
            print(f"ok {i} - {t.__name__}")
        except Skipped as e:
            print(f"ok {i} - {t.__name__} # SKIP {e}")
        except Exception as e:
            failed += 1
            print(f"not ok {i} - {t.__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            # Details as TAP diagnostics, so the output stays valid TAP.
            detail = traceback.format_exc() + "--- supervisor log ---\n" + env.supervisor_log()
            print("\n".join("# " + line for line in detail.splitlines()))
        finally:
            env.cleanup()
    sys.exit(1 if failed else 0)
