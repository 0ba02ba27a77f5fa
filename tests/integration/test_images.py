#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Images and volumes (issue 7): archives unpacked once into the image
store and shared read-only through overlays, ephemeral layers, named
images, a real Debian tree, hostile archives, volumes and tmpfs mounts, and
the config checks of the new keys. Every case ends with nothing mounted
under its temp dir and no process of it left."""
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import time
import uuid
from harness import CORRAL, SLOW, Env, Skipped, check, run, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN_SCRIPT = os.path.join(HERE, "debian-rootfs.sh")


# -- set-up -------------------------------------------------------------
def write_config(env, containers, path=None):
    """Like Env.write_config, but a container with `image` gets no rootfs,
    a value None leaves its key out, and every container defaults to
    network = none (nothing here needs a network). Returns the path."""
    lines = ["[supervisor]", f"run_dir = {env.run_dir}", f"log_dir = {env.log_dir}",
             f"state_dir = {env.state_dir}", f"cgroup_parent = {env.cgroup_parent}", ""]
    for name, keys in containers:
        keys = dict(keys)
        if "image" not in keys:
            keys.setdefault("rootfs", env.rootfs())
        keys.setdefault("network", "none")
        lines.append(f"[container {name}]")
        for k, v in keys.items():
            if v is None:
                continue
            for item in (v if isinstance(v, list) and k != "command" else [v]):
                if k == "command" and isinstance(item, list):
                    item = json.dumps(item)
                lines.append(f"{k} = {item}")
        lines.append("")
    path = path or env.config
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def line_of(path, text, after=0):
    """The number of the first line of path (after line `after`) holding text."""
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if i > after and text in line:
                return i
    raise AssertionError(f"'{text}' not in {path}")


def make_tar(src, dst, mode):
    """An archive of the tree src as tarfile makes it: owners, modes, links."""
    with tarfile.open(dst, mode) as tf:
        tf.add(src, arcname=".")
    return dst


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def snapshot(root):
    """Every entry under root (root too): type, mode, owner, and a symlink's
    target or a file's size and content hash. Times are left out."""
    snap = {}
    for dirpath, dirs, files in os.walk(root):
        names = dirs + files + ([None] if dirpath == root else [])
        for n in names:
            p = os.path.join(dirpath, n) if n else root
            st = os.lstat(p)
            item = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
            if stat.S_ISLNK(st.st_mode):
                item += (os.readlink(p),)
            elif stat.S_ISREG(st.st_mode):
                item += (st.st_size, sha256_file(p))
            snap[os.path.relpath(p, root)] = item
    return snap


def diff_snapshots(a, b, limit=8):
    keys = sorted(set(a) | set(b))
    out = [f"{k}: {a.get(k)} -> {b.get(k)}" for k in keys if a.get(k) != b.get(k)]
    return "; ".join(out[:limit]) + (f" (and {len(out) - limit} more)" if len(out) > limit else "")


def image_cmd(env, *args, check_rc=0, config=None):
    """corral image ...: on the test's store (--state-dir), or through a
    config file (-f) when config is given."""
    where = ["-f", config] if config else ["--state-dir", env.state_dir]
    r = subprocess.run([CORRAL, *where, "image", *args], capture_output=True, text=True,
                       timeout=300 * SLOW)
    if check_rc is not None and r.returncode != check_rc:
        raise AssertionError(f"corral image {' '.join(args)}: exit {r.returncode}, expected "
                             f"{check_rc}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def image_ls(env, config=None):
    return json.loads(image_cmd(env, "ls", "--json", config=config).stdout)


def images_dir(env):
    return os.path.join(env.state_dir, "images")


def store_trees(env):
    """The image directories in the store (sha256-HEX)."""
    d = images_dir(env)
    return sorted(n for n in os.listdir(d) if n.startswith("sha256-")) if os.path.isdir(d) else []


def unpacked_lines(env):
    return re.findall(r"unpacked '([^']*)' in [\d.]+ ?s: image ([0-9a-f]{12})",
                      env.supervisor_log())


def children(pid):
    out = set()
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out |= {int(x) for x in f.read().split()}
    except OSError:
        pass
    return out


def check_no_workers(env):
    """While everything is settled, the supervisor's only children are its
    containers' processes: no import or copy worker is left running."""
    pids = {c["pid"] for c in env.ps().values() if c["pid"]}
    deadline = time.monotonic() + 5 * SLOW
    while True:
        extra = children(env.proc.pid) - pids
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    desc = []
    for p in extra:
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                desc.append(f"{p} " + f.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
    check(not desc, f"supervisor children beyond its containers: {desc}")


def procs_using(path):
    """Processes (other than this one) with a cwd, root or open file under path."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            links = [os.readlink(f"/proc/{pid}/cwd"), os.readlink(f"/proc/{pid}/root")]
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    pass
        except OSError:
            continue
        if any(link == path or link.startswith(path + "/") for link in links):
            found.append(pid)
    return found


def mounts_of(path, mountinfo="/proc/self/mountinfo"):
    with open(mountinfo) as f:
        return [line.strip() for line in f if path in line]


def down(env):
    """corral down, then nothing may be left: the harness's checks (process,
    cgroup, mount under the temp dir, run_dir), and no process holding a
    file under the temp dir (a worker that outlived its supervisor)."""
    env.corral("down")
    check(env.wait_exit() == 0, "supervisor exit status")
    env.check_clean()
    left = procs_using(env.tmp)
    check(not left, f"processes still using {env.tmp}: {left}")


# -- 1. an archive shared through overlays --------------------------------
def test_archive_shared_overlay(env: Env):
    src = env.rootfs()
    tgz = make_tar(src, os.path.join(env.tmp, "busybox.tar.gz"), "w:gz")
    script = ("echo $0 > /mine-$0; ls / | grep '^mine-' | sed 's/^/sees /'; echo done; "
              "exec payload wait")
    write_config(env, [(n, {"rootfs": tgz, "command": ["/bin/sh", "-c", script, n]})
                       for n in ("a", "b")])
    env.up()
    a, b = (env.wait_status(n, "running", timeout=60) for n in ("a", "b"))
    for n in ("a", "b"):
        log = env.wait_log(n, "done")
        other = "b" if n == "a" else "a"
        check(f"sees mine-{n}" in log and f"sees mine-{other}" not in log, f"{n}:\n{log}")
    # Seen from the host, each root holds its own write only.
    for n, c in (("a", a), ("b", b)):
        other = "b" if n == "a" else "a"
        root = f"/proc/{c['pid']}/root"
        check(os.path.exists(f"{root}/mine-{n}") and not os.path.exists(f"{root}/mine-{other}"),
              f"{n}'s root: {sorted(os.listdir(root))}")
        upper = os.path.join(env.state_dir, "containers", n, "rw", "upper")
        check(os.path.isfile(os.path.join(upper, f"mine-{n}")),
              f"{n}'s write is not in its layer {upper}: "
              f"{os.listdir(upper) if os.path.isdir(upper) else 'missing'}")
        # Only that: the image's /etc/hosts and /etc/resolv.conf are mount
        # points for the supervisor's, not copied up to the layer.
        check(os.path.isfile(os.path.join(src, "etc", "hosts")) and
              os.path.isfile(os.path.join(src, "etc", "resolv.conf")), "no /etc files in the image")
        check(sorted(os.listdir(upper)) == [f"mine-{n}"],
              f"{n}'s layer holds more than its write: {sorted(os.listdir(upper))}")
    # Unpacked once, into one image, whose tree is the archived one, untouched.
    trees = store_trees(env)
    check(len(trees) == 1, f"store: {trees}")
    check(trees[0] == "sha256-" + sha256_file(tgz), f"{trees[0]}: not the archive's sha256")
    lines = unpacked_lines(env)
    check(len(lines) == 1 and lines[0][0].endswith("busybox.tar.gz") and
          trees[0].startswith("sha256-" + lines[0][1]), f"unpacked lines: {lines}")
    tree = os.path.join(images_dir(env), trees[0], "rootfs")
    first = snapshot(tree)
    want = snapshot(src)
    check(first == want, f"the image is not the archived tree: {diff_snapshots(want, first)}")
    ls = image_ls(env)
    check(len(ls) == 1 and ls[0]["in_use"] and ls[0]["name"] is None and
          ls[0]["rootfs"] == tree, f"image ls: {ls}")
    check_no_workers(env)
    # A new start of both (stop, start) reuses the image: nothing unpacked again.
    env.corral("stop", "a", "b")
    env.corral("start", "a", "b")
    for n in ("a", "b"):
        env.wait_status(n, "running", timeout=30)
        wait_for(lambda: env.log(n).count("done") == 2, 10, 0.05, f"{n}'s second run")
    check(len(unpacked_lines(env)) == 1, "unpacked again at a restart:\n" + env.supervisor_log())
    check(store_trees(env) == trees, f"store: {store_trees(env)}")
    down(env)
    check(snapshot(tree) == first, "the image tree changed: " +
          diff_snapshots(first, snapshot(tree)))


# -- 2. ephemeral layers --------------------------------------------------
def ephemeral(env, mode):
    """Two containers on one rootfs directory in this rootfs_mode, one
    ephemeral: its write is gone after stop/start, restart and down/up; the
    other's survives all three. The directory itself is never written."""
    src = env.rootfs()
    script = ("if [ -e /written ]; then echo \"found $(cat /written)\"; else echo fresh; fi; "
              "echo $$-$RANDOM > /written; echo ready; exec payload wait")
    ctrs = {"eph": "yes", "keep": "no"}
    write_config(env, [(n, {"rootfs_mode": mode, "ephemeral": e,
                            "command": ["/bin/sh", "-c", script]}) for n, e in ctrs.items()])

    def runs(n):
        return [l for l in env.log(n).splitlines() if l == "fresh" or l.startswith("found")]

    def wait_runs(k):
        for n in ctrs:
            env.wait_status(n, "running", timeout=30)
            wait_for(lambda: len(runs(n)) >= k, 10, 0.05, f"run {k} of {n}")

    def written(n):
        sub = ("copy",) if mode == "copy" else ("rw", "upper")
        return os.path.join(env.state_dir, "containers", n, *sub, "written")

    env.up()
    wait_runs(1)
    for n in ctrs:
        check(os.path.isfile(written(n)), f"{n}: /written is not at {written(n)}")
    # A stop throws the ephemeral container's layer away; the other keeps it.
    env.corral("stop", *ctrs)
    wait_for(lambda: not os.path.exists(written("eph")), 10, 0.05,
             "eph's layer to be discarded at stop")
    check(os.path.isfile(written("keep")), "keep lost its layer at stop")
    env.corral("start", *ctrs)
    wait_runs(2)
    env.corral("restart", *ctrs)
    wait_runs(3)
    check_no_workers(env)
    down(env)
    env.up()
    wait_runs(4)
    got = runs("eph")
    check(got == ["fresh"] * 4, f"eph (ephemeral) kept a write: {got}")
    got = runs("keep")
    check(got[0] == "fresh" and all(g.startswith("found ") for g in got[1:]) and
          len(set(got[1:])) == 3, f"keep lost its writes: {got}")
    check(not os.path.exists(os.path.join(src, "written")), "the rootfs directory was written")
    down(env)
    # Down keeps the persistent layer, and discards the ephemeral one.
    check(os.path.isfile(written("keep")), "keep lost its layer at down")
    check(not os.path.exists(written("eph")), "eph's layer outlived down")


def test_ephemeral_overlay(env: Env):
    ephemeral(env, "overlay")


def test_ephemeral_copy(env: Env):
    ephemeral(env, "copy")


# -- 3. named images --------------------------------------------------------
def test_image_import_named(env: Env):
    src = env.rootfs()
    txz = make_tar(src, os.path.join(env.tmp, "base.tar.xz"), "w:xz")
    digest = sha256_file(txz)
    r = image_cmd(env, "import", txz, "--name", "base", "--json")
    info = json.loads(r.stdout)
    check(info["unpacked"] is True and info["id"] == digest and info["name"] == "base" and
          info["archive_bytes"] == os.path.getsize(txz) and info["entries"] > 100,
          f"import: {info}")
    tree = info["rootfs"]
    check(tree == os.path.join(images_dir(env), f"sha256-{digest}", "rootfs"), tree)
    check(snapshot(tree) == snapshot(src), "imported tree differs: " +
          diff_snapshots(snapshot(src), snapshot(tree)))
    cfg = write_config(env, [("onbase", {"image": "base",
                                         "command": "payload cat /etc/corral-marker wait"})])
    env.up()
    c = env.wait_status("onbase", "running", timeout=30)
    marker = open(os.path.join(src, "etc", "corral-marker")).read().strip()
    env.wait_log("onbase", marker)
    check(unpacked_lines(env) == [], "the supervisor unpacked a named image again")
    for config in (None, cfg):
        ls = image_ls(env, config=config)
        check(len(ls) == 1 and ls[0]["name"] == "base" and ls[0]["id"] == digest and
              ls[0]["in_use"] is True and ls[0]["source"] and ls[0]["rootfs"] == tree and
              ls[0]["bytes"] > 0 and ls[0]["created_ms"] > 0, f"image ls ({config}): {ls}")
    r = image_cmd(env, "rm", "base", check_rc=1)
    check("in use" in r.stderr, f"rm while running: {r.stderr}")
    check(os.path.isdir(tree) and [i["name"] for i in image_ls(env)] == ["base"],
          "a refused rm removed something")
    # The same bytes again: nothing is unpacked.
    again = json.loads(image_cmd(env, "import", txz, "--name", "base", "--json").stdout)
    check(again["unpacked"] is False and again["id"] == digest, f"import again: {again}")
    r = image_cmd(env, "import", txz)
    check("nothing unpacked" in r.stdout, r.stdout)
    # A second name for it, then that name removed (the image, in use, stays).
    image_cmd(env, "import", txz, "--name", "base-copy")
    check(sorted(i["name"] for i in image_ls(env)) == ["base", "base-copy"],
          f"two names: {image_ls(env)}")
    r = image_cmd(env, "rm", "base-copy", "--json")
    check(json.loads(r.stdout) == {"removed": [], "untagged": ["base-copy"]}, r.stdout)
    check(os.path.isdir(tree) and [i["name"] for i in image_ls(env)] == ["base"],
          f"after removing a name: {image_ls(env)}")
    check(os.path.exists(f"/proc/{c['pid']}/root/etc/corral-marker"), "the container suffered")
    down(env)
    check(image_ls(env)[0]["in_use"] is False, f"in use after down: {image_ls(env)}")
    # Another archive of the same tree (zstd) is another image, without a
    # name; it goes by a prefix of its id.
    if shutil.which("zstd"):
        plain = make_tar(src, os.path.join(env.tmp, "base.tar"), "w")
        zst = plain + ".zst"
        subprocess.run(["zstd", "-q", plain, "-o", zst], check=True)
        z = json.loads(image_cmd(env, "import", zst, "--json").stdout)
        check(z["unpacked"] is True and z["id"] == sha256_file(zst) and z["name"] is None, str(z))
        check(len(image_ls(env)) == 2, f"image ls: {image_ls(env)}")
        image_cmd(env, "rm", z["id"][:12])
    r = image_cmd(env, "rm", "base")
    check("Removed image" in r.stdout, r.stdout)
    check(image_ls(env) == [], f"image ls after rm: {image_ls(env)}")
    wait_for(lambda: store_trees(env) == [] and
             not [n for n in os.listdir(images_dir(env)) if n.startswith(("trash-", "tmp-"))],
             10, 0.05, "the removed trees to go")
    r = image_cmd(env, "rm", "base", check_rc=None)
    check(r.returncode != 0 and "no image 'base'" in r.stderr, f"{r.returncode} {r.stderr}")
    env.check_clean()


# -- 4. a Debian tree -------------------------------------------------------
def debian_tar():
    """The cached trixie tarball with procps (built by debian-rootfs.sh if need be)."""
    args = [os.environ["CORRAL_TEST_DEBIAN"]] if os.environ.get("CORRAL_TEST_DEBIAN") else []
    r = subprocess.run([DEBIAN_SCRIPT, *args], capture_output=True, text=True, timeout=900)
    if r.returncode == 77:
        raise Skipped(" ".join(r.stderr.split())[-300:] or "no Debian archive")
    check(r.returncode == 0, f"debian-rootfs.sh: exit {r.returncode}: {r.stderr}")
    return r.stdout.strip()


def test_debian(env: Env):
    tar = debian_tar()
    with open("/etc/os-release") as f:
        host_is_trixie = "VERSION_CODENAME=trixie" in f.read()
    cmd = ("cat /etc/os-release; id; ls /var/lib/dpkg/status; readlink -f /bin/sh; "
           "echo ps:; ps -e -o pid=,comm=; echo :ps")
    write_config(env, [
        ("deb", {"rootfs": tar, "command": ["/bin/bash", "-c", cmd]}),
        ("debcopy", {"rootfs": tar, "rootfs_mode": "copy",
                     "command": ["/bin/bash", "-c", cmd + "; echo made-here > /copy-marker"]}),
    ])
    env.up()
    # Meanwhile, ps tells what the start waits for.
    seen = set()
    def done():
        ps = env.ps()
        seen.update(c["status"] for c in ps.values())
        return all(c["state"] in ("exited", "fatal") for c in ps.values())
    wait_for(done, 240, 0.05, "both Debian containers to run and exit")
    progress = [s for s in seen if s.startswith(f"starting (unpacking '{os.path.basename(tar)}'")]
    check(any(re.search(r"\d+% of [\d.]+ ?[kKMGT]i?B?\)$", s) for s in progress),
          f"no unpacking progress in the status; seen {sorted(seen)}")
    for n in ("deb", "debcopy"):
        st = env.ps()[n]["status"]
        log = env.log(n)
        check(st == "exited (code 0)", f"{n}: {st}\n{log}")
        for want in ("VERSION_CODENAME=trixie", "uid=0(root) gid=0(root)",
                     "/var/lib/dpkg/status", "/usr/bin/dash"):
            check(want in log, f"{n}: '{want}' not in:\n{log}")
        # Its own ps, in its own pid namespace: bash is pid 1, ps the only other.
        m = re.search(r"^ps:\n(.*?)^:ps$", log, re.M | re.S)
        procs = [ln.split() for ln in m.group(1).splitlines()] if m else None
        check(procs is not None and len(procs) == 2 and procs[0] == ["1", "bash"] and
              procs[1][1] == "ps", f"{n}: ps saw {procs}:\n{log}")
    if host_is_trixie:
        print("# the host is trixie itself: VERSION_CODENAME proves less here")
    lines = unpacked_lines(env)
    check(len(lines) == 1 and len(store_trees(env)) == 1, f"unpacked {lines}, "
          f"store {store_trees(env)}")
    check(len(re.findall(r"copied '[^']*' in", env.supervisor_log())) == 1,
          "no (or more than one) copy logged:\n" + env.supervisor_log())
    copy = os.path.join(env.state_dir, "containers", "debcopy", "copy")
    image = os.path.join(images_dir(env), store_trees(env)[0], "rootfs")
    check(os.path.isfile(os.path.join(copy, "copy-marker")), f"the copy's write is not in {copy}")
    check(not os.path.lexists(os.path.join(image, "copy-marker")), "the copy wrote into the image")
    check_no_workers(env)
    down(env)
    check(os.path.isfile(os.path.join(copy, "copy-marker")) and
          os.path.isfile(os.path.join(copy, "var", "lib", "dpkg", "status")),
          "the copy did not persist after down")


# -- 5. hostile archives ----------------------------------------------------
def entry(name, kind="file", data=b"", target="", major=0, minor=0):
    ti = tarfile.TarInfo(name)
    ti.mtime = int(time.time())
    ti.mode = 0o644
    if kind == "file":
        ti.size = len(data)
    elif kind == "dir":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    elif kind == "symlink":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
    elif kind == "hardlink":
        ti.type, ti.linkname = tarfile.LNKTYPE, target
    elif kind in ("chr", "blk"):
        ti.type = tarfile.CHRTYPE if kind == "chr" else tarfile.BLKTYPE
        ti.devmajor, ti.devminor, ti.mode = major, minor, 0o666
    return ti, data


def write_tar(path, entries):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        for ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    with tarfile.open(path) as tf:  # written as given, no name rewritten
        names = tf.getnames()
    check(names == [ti.name for ti, _ in entries], f"{path}: {names}")
    return path


def test_hostile_archives(env: Env):
    tag = uuid.uuid4().hex[:10]
    adir = os.path.join(env.tmp, "archives")
    os.mkdir(adir)
    before = sorted(os.listdir(env.tmp))
    ok = entry("ok", data=b"fine\n")
    up = "../" * 12
    # Names that a careless unpacker would write outside the store.
    canaries = [f"/etc/corral-hostile-{tag}-{i}" for i in range(8)] + \
        [os.path.join(env.state_dir, f"corral-hostile-{tag}"),
         os.path.join(images_dir(env), f"corral-hostile-{tag}"),
         os.path.join(env.tmp, "outside")]
    refused = {
        "dotdot": ([ok, entry(f"{up}etc/corral-hostile-{tag}-0", data=b"x\n"),
                    entry(f"../../corral-hostile-{tag}", data=b"x\n")], "leaves the image"),
        "dotdot-dir": ([ok, entry(f"d/../../{up}etc/corral-hostile-{tag}-1", "dir")],
                       "leaves the image"),
        "hardlink-up": ([ok, entry("hl", "hardlink", target="../../outside")],
                        "leaves the image"),
        "symlink-root": ([ok, entry("evil", "symlink", target="/"),
                          entry(f"evil/etc/corral-hostile-{tag}-2", data=b"x\n")],
                         "symbolic link"),
        "symlink-up": ([ok, entry("evil", "symlink", target=up.rstrip("/")),
                        entry(f"evil/etc/corral-hostile-{tag}-3", data=b"x\n")],
                       "symbolic link"),
        "symlink-dir": ([ok, entry("evil", "symlink", target="/etc"),
                         entry(f"evil/corral-hostile-{tag}-4", "dir")], "symbolic link"),
        "symlink-hardlink": ([ok, entry("evil", "symlink", target="/"),
                              entry("h", "hardlink", target="evil/etc/passwd")],
                             "symbolic link"),
        # An absolute target is the image's, and this image has no such file.
        "hardlink-abs": ([ok, entry("h", "hardlink", target="/etc/passwd")], "etc/passwd"),
    }
    for what, (entries, msg) in refused.items():
        path = write_tar(os.path.join(adir, f"{what}.tar"), entries)
        r = image_cmd(env, "import", path, check_rc=None)
        check(r.returncode != 0 and f"Failed to import '{path}'" in r.stderr and msg in r.stderr,
              f"{what}: exit {r.returncode}, expected non-zero with '{msg}': {r.stderr}")
        check(image_ls(env) == [], f"{what}: a refused import left an image: {image_ls(env)}")
    # Neutralised: absolute names land inside (a hard link's target too:
    # the image's own file), devices are not made.
    passwd = os.stat("/etc/passwd")
    neutral = write_tar(os.path.join(adir, "neutral.tar"), [
        ok, entry("etc", "dir"), entry(f"/etc/corral-hostile-{tag}-5", data=b"inside\n"),
        entry("/abs-dir", "dir"), entry("/abs-dir/f", data=b"f\n"),
        entry("etc/passwd", data=b"root:x:0:0::/:/bin/sh\n"),
        entry("hl-abs", "hardlink", target="/etc/passwd"),
        entry("dev", "dir"), entry("dev/evil-null", "chr", major=1, minor=3),
        entry("dev/evil-mem", "chr", major=1, minor=1),
        entry("dev/evil-disk", "blk", major=7, minor=0),
    ])
    r = image_cmd(env, "import", neutral)
    check("3 device node(s) not created" in r.stderr, f"no device note: {r.stderr}")
    check("leading '/' removed from" in r.stderr, f"no note on absolute names: {r.stderr}")
    ls = image_ls(env)
    check(len(ls) == 1, f"image ls: {ls}")
    tree = ls[0]["rootfs"]
    with open(os.path.join(tree, "etc", f"corral-hostile-{tag}-5")) as f:
        check(f.read() == "inside\n", "the absolute name did not land inside")
    check(os.path.isfile(os.path.join(tree, "abs-dir", "f")), "absolute dir not inside")
    hl, own = (os.stat(os.path.join(tree, n)) for n in ("hl-abs", "etc/passwd"))
    check((hl.st_dev, hl.st_ino) == (own.st_dev, own.st_ino), "hl-abs is not the image's passwd")
    for d in ("evil-null", "evil-mem", "evil-disk"):
        check(not os.path.lexists(os.path.join(tree, "dev", d)), f"device {d} was created")
    for dirpath, dirs, files in os.walk(tree):
        for n in files:
            st = os.lstat(os.path.join(dirpath, n))
            check((st.st_dev, st.st_ino) != (passwd.st_dev, passwd.st_ino),
                  f"{os.path.join(dirpath, n)} is the host's /etc/passwd")
    check(os.stat("/etc/passwd").st_nlink == passwd.st_nlink, "/etc/passwd got a link")
    # Nothing outside the store: no canary, no stray file next to it.
    for p in canaries:
        check(not os.path.lexists(p), f"{p} was written")
    check(sorted(os.listdir(env.tmp)) == sorted(before + ["state"]),
          f"temp dir: {sorted(os.listdir(env.tmp))}, was {before}")
    check(os.listdir(env.state_dir) == ["images"], f"state_dir: {os.listdir(env.state_dir)}")
    stray = [n for n in os.listdir(images_dir(env)) if n.startswith(("tmp-", "trash-"))]
    check(not stray, f"an import left {stray}")
    for dirpath, dirs, files in os.walk(env.tmp):
        if dirpath.startswith(tree):
            continue
        for n in dirs + files:
            check("corral-hostile" not in n, f"{os.path.join(dirpath, n)} outside the image")
    env.check_clean()
    check(not procs_using(env.tmp), f"processes using {env.tmp}: {procs_using(env.tmp)}")


# -- 6. volumes and tmpfs ---------------------------------------------------
def test_volumes(env: Env):
    tag = uuid.uuid4().hex[:10]
    src = env.rootfs()
    os.symlink("/etc", os.path.join(src, "hostetc"))
    data, deep, via = (os.path.join(env.tmp, d) for d in ("data", "deep", "via-link"))
    for d in (data, deep, via):
        os.mkdir(d)
    with open(os.path.join(deep, "from-host"), "w") as f:
        f.write("deep\n")
    with open(os.path.join(via, "marker"), "w") as f:
        f.write(f"via-{tag}\n")
    hostfile = os.path.join(env.tmp, "hostfile.txt")
    with open(hostfile, "w") as f:
        f.write(f"host-{tag}\n")
    # A root whose /data leads to its own root, and one whose /up does.
    evilroot = env.rootfs("evilroot")
    os.symlink("/", os.path.join(evilroot, "data"))
    os.symlink("../../..", os.path.join(evilroot, "up"))
    target = os.path.join(env.tmp, "target")
    os.mkdir(target)
    with open(os.path.join(target, f"corral-evil-{tag}"), "w") as f:
        f.write("x\n")

    script = ("echo hello > /data/from-ctr && echo wrote-data; cat /etc/hostfile.txt; "
              "echo x >> /etc/hostfile.txt; echo append=$?; ls /new/deep/dir; "
              f"cat /etc/corral-vol-{tag}/marker; grep ' /scratch ' /proc/mounts; "
              "stat -c scratch-mode=%a /scratch; echo done; exec payload wait")
    write_config(env, [
        ("vols", {"command": ["/bin/sh", "-c", script],
                  "volume": [f"{data}:/data", f"{hostfile}:/etc/hostfile.txt:ro",
                             f"{deep}:/new/deep/dir", f"{via}:/hostetc/corral-vol-{tag}"],
                  "tmpfs": "/scratch:size=16M,mode=1777"}),
        ("evil", {"rootfs": evilroot, "command": "payload wait", "volume": f"{target}:/data"}),
        ("evilup", {"rootfs": evilroot, "command": "payload wait",
                    "volume": f"{target}:/up:ro"}),
    ])
    host_root = sorted(os.listdir("/"))
    env.up()
    env.wait_status("vols", "running", timeout=30)
    log = env.wait_log("vols", "done")
    check("wrote-data" in log, log)
    with open(os.path.join(data, "from-ctr")) as f:
        check(f.read() == "hello\n", "the host does not see the container's write")
    check(f"host-{tag}" in log and "Read-only file system" in log and "append=1" in log, log)
    with open(hostfile) as f:
        check(f.read() == f"host-{tag}\n", "a read-only volume was written")
    check("from-host" in log, f"the missing mount point was not made:\n{log}")
    check(f"via-{tag}" in log, f"the volume through /hostetc is not at /etc/corral-vol-{tag}")
    # (The kernel shows a tmpfs's mode only when it is not the default 1777.)
    m = re.search(r"^tmpfs /scratch tmpfs (\S+)", log, re.M)
    check(m and "size=16384k" in m.group(1).split(","), f"tmpfs: {m.group(0) if m else log}")
    check("scratch-mode=1777" in log, log)
    # The lower tree and the host were not written to make mount points.
    for p in ("new", f"etc/corral-vol-{tag}", "data", "scratch"):
        check(not os.path.lexists(os.path.join(src, p)), f"{p} made in the rootfs directory")
    check(not os.path.lexists(f"/etc/corral-vol-{tag}"), "a mount point made in the host's /etc")
    # A volume whose target resolves to the container's root fails the start.
    for n in ("evil", "evilup"):
        wait_for(lambda: env.ps()[n]["state"] in ("exited", "fatal", "backoff"), 20, 0.05,
                 f"{n} to fail")
        st = env.ps()[n]["status"]
        check("container's root" in st, f"{n}: {st}")
    check(env.ps()["vols"]["status"] == "running", "vols suffered from evil's failure")
    for mi in ("/proc/self/mountinfo", f"/proc/{env.proc.pid}/mountinfo", "/proc/1/mountinfo"):
        check(not mounts_of(target, mi), f"{target} mounted: {mounts_of(target, mi)}")
    check(not os.path.lexists(f"/corral-evil-{tag}") and sorted(os.listdir("/")) == host_root,
          "the host's / changed")
    check_no_workers(env)
    down(env)
    check(sorted(os.listdir(target)) == [f"corral-evil-{tag}"], f"target: {os.listdir(target)}")


# -- 8. config checks -------------------------------------------------------
def corral_check(cfg):
    return subprocess.run([CORRAL, "check", "-f", cfg], capture_output=True, text=True,
                          timeout=30)


def check_diag(stderr, prefix, text):
    """One line of stderr starts with prefix (FILE:LINE: [container NAME] KEY: )
    and says text."""
    check(any(l.startswith(prefix) and text in l for l in stderr.splitlines()),
          f"expected a line '{prefix}...{text}...', got:\n{stderr}")


def test_config_checks(env: Env):
    src = env.rootfs()
    tgz = make_tar(src, os.path.join(env.tmp, "ok.tar.gz"), "w:gz")
    notarchive = os.path.join(env.tmp, "notes.txt")
    with open(notarchive, "w") as f:
        f.write("this is not an archive\n" * 50)
    vol = os.path.join(env.tmp, "vol")
    os.mkdir(vol)
    good = write_config(env, [("fine", {"rootfs": tgz, "ephemeral": "yes", "command": "x",
                                        "volume": [f"{vol}:/data:ro", f"{vol}:/more"],
                                        "tmpfs": "/run/x:size=16M,mode=1777"}),
                              ("fine2", {"rootfs": src, "rootfs_mode": "copy", "command": "x"}),
                              ("fine3", {"rootfs": src, "rootfs_mode": "bind", "command": "x"})])
    r = corral_check(good)
    check(r.returncode == 0 and r.stderr == "", f"a good config: {r.returncode} {r.stderr}")
    for want in ("rootfs_mode = copy", "ephemeral = yes"):
        check(want in r.stdout, f"'{want}' not in check's dump:\n{r.stdout}")

    # What the parser refuses.
    parse = write_config(env, [
        ("both", {"rootfs": src, "image": "base", "command": "x"}),
        ("bindimg", {"image": "base", "rootfs_mode": "bind", "command": "x"}),
        ("bindeph", {"rootfs": src, "rootfs_mode": "bind", "ephemeral": "yes", "command": "x"}),
    ], os.path.join(env.tmp, "parse.ini"))
    r = corral_check(parse)
    check(r.returncode == 2, f"exit {r.returncode}: {r.stderr}")
    want = [
        (line_of(parse, "image = base"), "both", "image", "rootfs and image are exclusive"),
        (line_of(parse, "rootfs_mode = bind"), "bindimg", "rootfs_mode",
         "rootfs_mode = bind would let the container write into the shared image"),
        (line_of(parse, "ephemeral = yes"), "bindeph", "ephemeral",
         "ephemeral = yes needs rootfs_mode = overlay or copy"),
    ]
    for line, name, key, text in want:
        check_diag(r.stderr, f"{parse}:{line}: [container {name}] {key}: ", text)

    # What only the host can tell.
    missing = os.path.join(env.tmp, "no-such-dir")
    host = write_config(env, [
        ("bindtar", {"rootfs": tgz, "rootfs_mode": "bind", "command": "x"}),
        ("novol", {"command": "x", "volume": f"{missing}:/data"}),
        ("noimage", {"image": "nosuch", "command": "x"}),
        ("notar", {"rootfs": notarchive, "command": "x"}),
        ("fine", {"command": "x"}),
    ], os.path.join(env.tmp, "host.ini"))
    r = corral_check(host)
    check(r.returncode == 2, f"exit {r.returncode}: {r.stderr}")
    bindtar = line_of(host, "[container bindtar]")
    want = [
        (line_of(host, "rootfs_mode = bind", bindtar), "bindtar", "rootfs_mode",
         "rootfs_mode = bind would let the container write into the image unpacked from"),
        (line_of(host, "volume = "), "novol", "volume", f"'{missing}' does not exist"),
        (line_of(host, "image = nosuch"), "noimage", "image",
         "image 'nosuch' is not in the image store"),
        (line_of(host, f"rootfs = {notarchive}"), "notar", "rootfs", "not a tar archive"),
    ]
    for line, name, key, text in want:
        check_diag(r.stderr, f"{host}:{line}: [container {name}] {key}: ", text)
    check("[container fine]" not in r.stderr, r.stderr)
    check(len(r.stderr.strip().splitlines()) == 4, f"more errors than expected:\n{r.stderr}")
    # up refuses the same, before it makes anything.
    r = subprocess.run([CORRAL, "up", "-f", host], capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "not a tar archive" in r.stderr, f"up: {r.returncode} {r.stderr}")
    check(not os.path.exists(env.run_dir) and not os.path.exists(env.state_dir),
          "a refused config made run_dir or state_dir")
    env.check_clean()


# -- 9. what a crash left is swept at the next up ------------------------
def test_crash_leftovers_swept(env: Env):
    """An import killed half way (its tmp-* directory, no longer locked) and
    a discarded layer never deleted (.trash-*): both gone after the next
    up, without anything asked of the user; the image stays."""
    tar = make_tar(env.rootfs(), os.path.join(env.tmp, "base.tar.gz"), "w:gz")
    image_cmd(env, "import", tar, "--name", "base")
    half = os.path.join(images_dir(env), "tmp-crashed")
    os.makedirs(os.path.join(half, "rootfs", "usr", "bin"))
    with open(os.path.join(half, "rootfs", "usr", "bin", "half"), "w") as f:
        f.write("half an import\n")
    trash = os.path.join(env.state_dir, "containers", ".trash-gone-rw-0000")
    os.makedirs(os.path.join(trash, "upper", "etc"))
    write_config(env, [("c", {"image": "base", "command": "payload wait"})])
    env.up()
    env.wait_status("c", "running", timeout=30)
    wait_for(lambda: not os.path.exists(half) and not os.path.exists(trash), 10 * SLOW, 0.05,
             "the crash's leftovers to be swept")
    check(store_trees(env) != [], "the image went with the leftovers")
    down(env)


if __name__ == "__main__":
    run([test_archive_shared_overlay, test_ephemeral_overlay, test_ephemeral_copy,
         test_image_import_named, test_debian,
         test_hostile_archives, test_volumes, test_config_checks, test_crash_leftovers_swept])
