#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The control socket: root only, bounded, and a bad request changes nothing."""
import json
import os
import socket
import stat
import subprocess
from harness import CORRAL, Env, check, run


def request(env, raw: bytes, uid=None):
    path = os.path.join(env.run_dir, "corral.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(raw)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data) if data else None


def test_control_socket(env: Env):
    env.write_config([("one", {"command": "payload wait"})])
    env.up()
    before = env.wait_status("one", "running")
    sock = os.path.join(env.run_dir, "corral.sock")
    check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600, "socket mode is not 0600")

    for raw, code in [(b"not json\n", "bad_request"), (b"[1,2]\n", "bad_request"),
                      (b'{"cmd": 3}\n', "bad_request"), (b'{"cmd":"explode"}\n', "bad_request"),
                      (b'{"cmd":"stop"}\n', "bad_request"),
                      (b'{"cmd":"stop","names":[1]}\n', "bad_request"),
                      (b'{"cmd":"stop","names":["one","ghost"]}\n', "not_found"),
                      (b'{"cmd":"stop","cmd":"down"}\n', "bad_request")]:
        r = request(env, raw)
        check(r and r["ok"] is False and r["code"] == code, f"{raw!r}: {r}")
    r = request(env, b"x" * (70 * 1024))
    check(r and r["code"] == "bad_request" and "longer" in r["error"], f"oversized: {r}")
    # two requests on one connection are answered in order
    path = os.path.join(env.run_dir, "corral.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b'{"cmd":"ps"}\n{"cmd":"ps"}\n')
    buf = b""
    while buf.count(b"\n") < 2:
        buf += s.recv(65536)
    s.close()
    check(all(json.loads(l)["ok"] for l in buf.splitlines()), buf)

    # a non-root peer is refused even if the socket mode is loosened
    os.chmod(sock, 0o666)
    os.chmod(env.run_dir, 0o755)
    # The refusal comes at once; the request may even meet a closed socket.
    code = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]);\n"
            "try: s.sendall(b'{\"cmd\":\"down\"}\\n')\n"
            "except BrokenPipeError: pass\n"
            "print(s.recv(4096).decode())")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "python3", "-c", code, sock], capture_output=True, text=True, timeout=30)
    check("permission_denied" in r.stdout, f"non-root client: {r.stdout} {r.stderr}")

    after = env.ps()["one"]
    check(after["pid"] == before["pid"] and after["status"] == "running",
          "a rejected request changed state")
    env.corral("down")
    st = env.wait_exit()
    check(st == 0, f"supervisor exit status {st}")
    env.check_clean()


def test_cli_errors(env: Env):
    r = subprocess.run([CORRAL, "--run-dir", env.run_dir, "ps"], capture_output=True, text=True)
    check(r.returncode == 3 and "supervisor not running" in r.stderr, f"{r.returncode} {r.stderr}")
    r = subprocess.run([CORRAL, "frobnicate"], capture_output=True, text=True)
    check(r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr, r.stderr)
    r = subprocess.run([CORRAL, "--run-dir", env.run_dir, "stop"], capture_output=True, text=True)
    check(r.returncode == 2 and "needs at least one container name" in r.stderr, r.stderr)
    env.write_config([("one", {"command": "payload wait"})])
    env.up()
    env.wait_status("one", "running")
    # -f finds the socket through the config's run_dir
    r = subprocess.run([CORRAL, "-f", env.config, "ps"], capture_output=True, text=True)
    check(r.returncode == 0 and "one" in r.stdout and "running" in r.stdout, r.stdout + r.stderr)
    check(r.stdout.splitlines()[0].split()[:3] == ["NAME", "STATUS", "PID"], r.stdout)
    r = subprocess.run([CORRAL, "-f", env.config, "stop", "ghost"], capture_output=True,
                       text=True)
    check(r.returncode == 4 and "no such container: 'ghost'" in r.stderr, r.stderr)
    env.corral("down")
    st = env.wait_exit()
    check(st == 0, f"supervisor exit status {st}")
    env.check_clean()


if __name__ == "__main__":
    run([test_control_socket, test_cli_errors])
