#!/bin/bash
# run-in-vm.sh - run a command as root inside a throw-away QEMU VM whose
# kernel is booted with cgroup_no_v1=all (a pure cgroup v2 host).
#
#   tests/vm/run-in-vm.sh [--mem 4G] [--cpus 2] [--timeout SECS]
#                         [--env NAME[=VALUE]]... [--verbose] -- COMMAND [ARGS...]
#
# The guest sees the host's whole file system read-only through 9p, with a
# tmpfs overlay on top: it can write anywhere, nothing reaches the host.
# COMMAND runs in the caller's working directory; its stdout and stderr are
# streamed to ours, and we exit with its status.  Exit 125: the VM could not
# be set up or booted, or COMMAND could not be started; 124: --timeout hit.
# See tests/vm/README.md.
set -u -o pipefail

PROG=run-in-vm
MEM=4G
CPUS=2
TIMEOUT=3600
VERBOSE=0
KVER=${CORRAL_VM_KVER:-}
ENV_ARGS=()
# Passed through from the caller's environment when set (and CORRAL_*).
PASS_ENV=(CI TERM LANG LC_ALL LC_CTYPE TZ NO_COLOR)

die() { echo "$PROG: $*" >&2; exit 125; }
say() { [ "$VERBOSE" = 1 ] && echo "$PROG: $*" >&2; return 0; }
usage() {
	sed -n '/^#   tests/,/^#  *\[--env/p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--mem) MEM=${2:?}; shift 2 ;;
	--mem=*) MEM=${1#*=}; shift ;;
	--cpus) CPUS=${2:?}; shift 2 ;;
	--cpus=*) CPUS=${1#*=}; shift ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--env) ENV_ARGS+=("${2:?}"); shift 2 ;;
	--env=*) ENV_ARGS+=("${1#*=}"); shift ;;
	--kernel) KVER=${2:?}; shift 2 ;;
	-v|--verbose) VERBOSE=1; shift ;;
	-h|--help) usage 0 ;;
	--) shift; break ;;
	-*) echo "$PROG: unknown option $1" >&2; usage 125 >&2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "$PROG: no command given" >&2; usage 125 >&2; }
case $TIMEOUT in ''|*[!0-9]*) die "--timeout wants whole seconds" ;; esac
case $CPUS in ''|*[!0-9]*) die "--cpus wants a number" ;; esac

QEMU=qemu-system-x86_64
QBOOT=/usr/share/qemu/qboot.rom
BUSYBOX=/bin/busybox
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# ---------------------------------------------------------------- packages
is_static_busybox() {
	[ -x "$BUSYBOX" ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
		grep -q 'ok installed'
}
pick_kernel() {
	local v best=
	for v in /lib/modules/*/modules.dep; do
		[ -e "$v" ] || continue
		v=${v#/lib/modules/}; v=${v%/modules.dep}
		[ -r "/boot/vmlinuz-$v" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
	done
	printf '%s' "$best"
}

need=()
command -v "$QEMU" >/dev/null || need+=(qemu-system-x86)
[ -r "$QBOOT" ] || need+=(qemu-system-data)
is_static_busybox || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v modprobe >/dev/null || need+=(kmod)
if [ -z "$KVER" ] && [ -z "$(pick_kernel)" ]; then need+=(linux-image-amd64); fi
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${need[*]}); install them as root"
	echo "$PROG: installing ${need[*]}" >&2
	aptlog=$(mktemp) || die "mktemp failed"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${need[@]}" >"$aptlog" 2>&1; then
		apt-get update >>"$aptlog" 2>&1
		if ! apt-get install -y --no-install-recommends "${need[@]}" >>"$aptlog" 2>&1; then
			tail -n 20 "$aptlog" >&2; rm -f "$aptlog"
			die "apt-get install ${need[*]} failed"
		fi
	fi
	rm -f "$aptlog"
	is_static_busybox || die "busybox-static is still missing"
fi
[ -n "$KVER" ] || KVER=$(pick_kernel)
[ -n "$KVER" ] || die "no kernel with modules found in /boot and /lib/modules"
KERNEL=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[ -r "$KERNEL" ] && [ -e "$MODDIR/modules.dep" ] || die "kernel $KVER: $KERNEL or $MODDIR missing"

# ---------------------------------------------------------------- temp dir
TMP=$(mktemp -d "${TMPDIR:-/tmp}/corral-vm.XXXXXX") || die "mktemp failed"
QPID=
TAILS=()
cleanup() {
	local p
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null
		for p in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$QPID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	fi
	for p in "${TAILS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
	[ -n "${CACHE_ROOT:-}" ] && rm -f "$CACHE_ROOT"/*.tmp.$$
}
trap cleanup EXIT
trap 'echo "$PROG: interrupted" >&2; exit 130' INT
trap 'echo "$PROG: terminated" >&2; exit 143' TERM HUP

# ---------------------------------------------------------------- initramfs
# Modules for booting (failure is fatal) and for the tests (best effort;
# anything else is autoloaded later from the host's /lib/modules, which the
# guest sees).  br_netfilter is shipped but not loaded: loading it changes
# how bridged traffic is filtered.
BOOT_MODS="virtio_pci virtio_console 9pnet_virtio 9p overlay"
EXTRA_MODS="virtio_rng veth bridge nf_tables nf_conntrack nf_nat nft_ct nft_nat
nft_chain_nat nft_masq nft_redir nft_fib nft_fib_ipv4 nft_fib_ipv6 nft_fib_inet
nft_reject nft_reject_inet nft_reject_ipv4 nft_reject_ipv6 nft_reject_bridge
nf_conntrack_netlink nft_limit nft_log nft_compat tun macvlan ipvlan"
LOAD_NOT="br_netfilter"

CACHE_ROOT=${XDG_CACHE_HOME:-/var/cache}/corral-vm
KEY=$( { cat "${BASH_SOURCE[0]}"; sha256sum "$BUSYBOX"; stat -c %Y "$MODDIR/modules.dep"; } |
	sha256sum | cut -c1-16)
if ! mkdir -p "$CACHE_ROOT" 2>/dev/null || [ ! -w "$CACHE_ROOT" ]; then
	CACHE_ROOT=$TMP
fi
INITRD=$CACHE_ROOT/initramfs-$KVER-$KEY.cpio

# Writes "path" lines (dependency order, no duplicates) for modules $2.. to $1.
mod_list() {
	local out=$1 m; shift
	for m in "$@"; do
		modprobe -S "$KVER" -d / --show-depends "$m" 2>/dev/null ||
			echo "$PROG: note: module $m not found for $KVER" >&2
	done | awk '$1 == "insmod" { if (!seen[$2]++) print $2 }' >"$out"
}

build_initramfs() {
	local d=$TMP/initramfs f base n=0
	mkdir -p "$d"/{bin,dev,proc,sys,newroot,vm,modules} || return 1
	cp "$BUSYBOX" "$d/bin/busybox" || return 1
	for f in $("$BUSYBOX" --list); do
		[ "$f" = busybox ] || ln -s busybox "$d/bin/$f"
	done
	mod_list "$TMP/boot.mods" $BOOT_MODS
	mod_list "$TMP/all.mods" $BOOT_MODS $EXTRA_MODS $LOAD_NOT
	for f in $LOAD_NOT; do	# the module itself, not its dependencies
		modprobe -S "$KVER" --show-depends "$f" 2>/dev/null | awk 'END { print $2 }'
	done >"$TMP/noload.mods"
	: >"$d/modules/boot.list"; : >"$d/modules/extra.list"
	while read -r f; do
		base=$(basename "$f"); base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
		n=$((n + 1)); base=$(printf '%03d-%s' "$n" "$base")
		case $f in
		*.xz) xz -dc "$f" >"$d/modules/$base" ;;
		*.zst) zstd -qdc "$f" >"$d/modules/$base" ;;
		*.gz) gzip -dc "$f" >"$d/modules/$base" ;;
		*) cp "$f" "$d/modules/$base" ;;
		esac || return 1
		if grep -qxF "$f" "$TMP/boot.mods"; then
			echo "$base" >>"$d/modules/boot.list"
		elif ! grep -qxF "$f" "$TMP/noload.mods"; then
			echo "$base" >>"$d/modules/extra.list"
		fi
	done <"$TMP/all.mods"
	[ -s "$d/modules/boot.list" ] || { echo "$PROG: no boot modules" >&2; return 1; }
	write_stage1 >"$d/init" && chmod 755 "$d/init" || return 1
	write_stage2 >"$d/stage2" || return 1
	(cd "$d" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) >"$INITRD.tmp.$$" || return 1
	mv -f "$INITRD.tmp.$$" "$INITRD"
}

# PID 1 in the initramfs: load modules, build the root, switch_root.
write_stage1() {
	cat <<'EOF'
#!/bin/busybox sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo "corral-vm: stage1 at $(cut -d' ' -f1 /proc/uptime)s"
fail() { echo "corral-vm: FATAL: $*"; sleep 1; reboot -f; }
while read -r m; do insmod "/modules/$m" || fail "insmod $m"; done </modules/boot.list
while read -r m; do insmod "/modules/$m" 2>/dev/null || echo "corral-vm: note: insmod $m failed"; done </modules/extra.list
echo "corral-vm: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"

P9=trans=virtio,version=9p2000.L,msize=512000
mount -t tmpfs -o mode=0755 vm /vm || fail "tmpfs /vm"
mkdir -p /vm/lower /vm/upper /vm/work /vm/share /vm/keep
mount -t 9p -o $P9,ro,cache=loose,access=client hostroot /vm/lower || fail "9p hostroot"
mount -t 9p -o $P9,access=client corralshare /vm/share || fail "9p share"
. /vm/share/config || fail "no config"
mount -t overlay -o lowerdir=/vm/lower,upperdir=/vm/upper,workdir=/vm/work overlay /newroot ||
	fail "overlay"
R=/newroot

# Mount a tmpfs on $R$1, keeping the caller's cwd visible if it is below $1.
tmpfs_keep_cwd() {
	local mp=$1 opts=$2 keep=
	case $VM_CWD/ in "$mp"/*) [ -d "$R$VM_CWD" ] && keep=1 ;; esac
	[ -n "$keep" ] && mount --bind "$R$VM_CWD" /vm/keep
	mkdir -p "$R$mp"
	mount -t tmpfs -o "$opts" tmpfs "$R$mp" || fail "tmpfs $mp"
	if [ -n "$keep" ]; then
		mkdir -p "$R$VM_CWD" && mount --move /vm/keep "$R$VM_CWD" || fail "keep $VM_CWD"
	fi
}
mount -t proc -o nosuid,nodev,noexec proc $R/proc || fail proc
mount -t sysfs -o nosuid,nodev,noexec sysfs $R/sys || fail sysfs
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs $R/dev || fail devtmpfs
mkdir -p $R/dev/pts $R/dev/shm $R/dev/mqueue
ln -sfn /proc/self/fd $R/dev/fd
ln -sfn /proc/self/fd/0 $R/dev/stdin
ln -sfn /proc/self/fd/1 $R/dev/stdout
ln -sfn /proc/self/fd/2 $R/dev/stderr
ln -sfn /proc/kcore $R/dev/core
mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts || fail devpts
mount -t tmpfs -o nosuid,nodev,mode=1777 shm $R/dev/shm || fail shm
mount -t mqueue -o nosuid,nodev,noexec mqueue $R/dev/mqueue 2>/dev/null
tmpfs_keep_cwd /tmp nosuid,nodev,mode=1777
tmpfs_keep_cwd /run nosuid,nodev,mode=0755
CG=$R/sys/fs/cgroup
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $CG 2>/dev/null ||
	mount -t cgroup2 -o nsdelegate cgroup2 $CG || fail cgroup2
for c in $(cat $CG/cgroup.controllers); do
	echo "+$c" >$CG/cgroup.subtree_control || echo "corral-vm: note: cannot enable $c"
done

mkdir -p $R/run/corral-vm/share
cp /bin/busybox /stage2 $R/run/corral-vm/ || fail "copy stage2"
mount --move /vm/share $R/run/corral-vm/share || fail "move share"
umount /proc /sys
umount -l /dev
exec switch_root $R /run/corral-vm/busybox sh /run/corral-vm/stage2
EOF
}

# PID 1 in the real root: run the command, report its status, power off.
# The command writes into pipes (so that "> /dev/stderr" works as usual),
# relayed into files on the share that the host follows.
write_stage2() {
	cat <<'EOF'
D=/run/corral-vm
B=$D/busybox
S=$D/share
$B hostname corral-vm
$B ip link set lo up
$B mkfifo $D/out $D/err
( $B cat $D/out >>$S/stdout; : >$D/out.done ) &
( $B cat $D/err >>$S/stderr; : >$D/err.done ) &
echo "corral-vm: running command at $($B cut -d' ' -f1 /proc/uptime)s"
$B cut -d' ' -f1 /proc/uptime >$S/started
cd /
$B env -i /bin/sh $S/cmd.sh </dev/null >$D/out 2>$D/err
rc=$?
# Let the relays drain (not for long if a leftover process holds the pipes).
i=0
while [ $i -lt 30 ] && ! { [ -e $D/out.done ] && [ -e $D/err.done ]; }; do
	$B usleep 100000
	i=$((i + 1))
done
echo $rc >$S/status.tmp && $B mv $S/status.tmp $S/status
echo "corral-vm: command done at $($B cut -d' ' -f1 /proc/uptime)s (status $rc, output drained after $i polls)"
$B sync
$B reboot -f
$B sleep 5
echo b >/proc/sysrq-trigger
EOF
}

# Decompressing the bzImage under TCG costs ~3 s per boot, so when the kernel
# supports PVH boot, hand QEMU the uncompressed ELF vmlinux (cached).
extract_vmlinux() {
	local out=$1 i off magics cmds
	magics=($'\xfd7zXZ' $'\x28\xb5\x2f\xfd' $'\x1f\x8b\x08')
	cmds=('xz -qdc --single-stream' 'zstd -qdc' 'gzip -qdc')
	for i in 0 1 2; do
		for off in $(LC_ALL=C grep -abo "${magics[i]}" "$KERNEL" 2>/dev/null | cut -d: -f1 | head -n 5); do
			tail -c +$((off + 1)) "$KERNEL" | ${cmds[i]} >"$out" 2>/dev/null
			if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
				[ "$(stat -c %s "$out")" -gt 1000000 ]; then
				return 0
			fi
		done
	done
	rm -f "$out"
	return 1
}
VMLINUX=$CACHE_ROOT/vmlinux-$KVER-$(stat -c %Y "$KERNEL")
if [ -s "$VMLINUX" ]; then
	KERNEL=$VMLINUX
elif grep -qx 'CONFIG_PVH=y' "/boot/config-$KVER" 2>/dev/null; then
	say "extracting $VMLINUX"
	if extract_vmlinux "$VMLINUX.tmp.$$"; then
		mv -f "$VMLINUX.tmp.$$" "$VMLINUX" && KERNEL=$VMLINUX
	else
		say "cannot extract vmlinux, booting the bzImage"
	fi
fi
# Stale cache entries of older script versions or kernels.
find "$CACHE_ROOT" -maxdepth 1 \( -name 'initramfs-*' -o -name 'vmlinux-*' \) -mmin +60 \
	! -name "${INITRD##*/}" ! -name "${VMLINUX##*/}" -delete 2>/dev/null

if [ ! -s "$INITRD" ]; then
	say "building $INITRD"
	build_initramfs || { rm -f "$INITRD.tmp.$$"; die "cannot build the initramfs"; }
fi

# ---------------------------------------------------------------- the run
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
SHARE=$TMP/share
mkdir -p "$SHARE" || die "mkdir failed"
: >"$SHARE/stdout"; : >"$SHARE/stderr"
CWD=$(pwd -P) || die "no cwd"
echo "VM_CWD=$(q "$CWD")" >"$SHARE/config"
{
	echo "cd $(q "$CWD") || { printf '%s\n' $(q "$PROG: cannot cd to $CWD in the VM") >&2; exit 125; }"
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/root USER=root LOGNAME=root SHELL=/bin/sh CORRAL_IN_VM=1"
	for n in "${PASS_ENV[@]}" $(compgen -e CORRAL_); do
		case $n in CORRAL_VM_*|CORRAL_IN_VM) continue ;; esac
		[ -n "${!n+x}" ] && echo "export $n=$(q "${!n}")"
	done
	for e in "${ENV_ARGS[@]}"; do
		n=${e%%=*}
		[[ $n =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad --env $e"
		if [[ $e == *=* ]]; then echo "export $n=$(q "${e#*=}")"
		elif [ -n "${!n+x}" ]; then echo "export $n=$(q "${!n}")"
		fi
	done
	echo "case $(q "$1") in */*) [ -f $(q "$1") ] && [ -x $(q "$1") ] ;; *) command -v $(q "$1") >/dev/null 2>&1 ;; esac ||"
	echo "  { printf '%s\n' $(q "$PROG: cannot start $1 in the VM: not found or not executable") >&2; exit 125; }"
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	echo
} >"$SHARE/cmd.sh"

APPEND="console=ttyS0 loglevel=4 panic=-1 cgroup_no_v1=all rdinit=/init"
APPEND+=" tsc=reliable no_timer_check i8042.noaux i8042.nokbd"
[ "$VERBOSE" = 1 ] || APPEND+=" quiet"
QARGS=(
	-nodefaults -no-user-config -nographic -no-reboot
	-machine pc -accel tcg,thread=multi -cpu max -m "$MEM" -smp "$CPUS"
	-bios "$QBOOT" -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
	-serial "file:$TMP/console.log" -monitor none -nic none
	-fsdev "local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=share,path=$SHARE,security_model=none"
	-device virtio-9p-pci,fsdev=share,mount_tag=corralshare
	-device virtio-rng-pci
)
say "kernel $KERNEL, initramfs $INITRD"
START=$(date +%s.%N)
"$QEMU" "${QARGS[@]}" </dev/null >"$TMP/qemu.log" 2>&1 &
QPID=$!
tail -c +1 -s 0.1 -f --pid="$QPID" "$SHARE/stdout" 2>/dev/null &
TAILS+=($!)
tail -c +1 -s 0.1 -f --pid="$QPID" "$SHARE/stderr" >&2 2>/dev/null &
TAILS+=($!)
if [ "$VERBOSE" = 1 ]; then
	: >>"$TMP/console.log"
	tail -c +1 -s 0.1 -f --pid="$QPID" "$TMP/console.log" 2>/dev/null | sed 's/^/[console] /' >&2 &
	TAILS+=($!)
fi
DEADLINE=$((SECONDS + TIMEOUT))
timed_out=0
while kill -0 "$QPID" 2>/dev/null; do
	if [ "$SECONDS" -ge "$DEADLINE" ]; then
		timed_out=1
		echo "$PROG: timed out after ${TIMEOUT}s, killing the VM" >&2
		kill -TERM "$QPID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QPID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$QPID" 2>/dev/null
		break
	fi
	sleep 0.2
done
wait "$QPID" 2>/dev/null
qrc=$?
QPID=
for p in "${TAILS[@]}"; do wait "$p" 2>/dev/null; done
TAILS=()
[ "$timed_out" = 1 ] && exit 124

if [ -s "$SHARE/started" ]; then
	say "$(awk -v s="$START" -v g="$(cat "$SHARE/started")" -v m="$(stat -c %.Y "$SHARE/started")" \
		'BEGIN { printf "command started %.1fs after qemu (guest uptime %.1fs)", m - s, g }')"
fi
if [ ! -s "$SHARE/status" ]; then
	if [ -e "$SHARE/started" ]; then
		echo "$PROG: the VM stopped before the command finished (qemu exit $qrc)" >&2
	else
		echo "$PROG: the VM stopped without running the command (qemu exit $qrc)" >&2
	fi
	[ -s "$TMP/qemu.log" ] && sed 's/^/[qemu] /' "$TMP/qemu.log" >&2
	[ "$VERBOSE" = 1 ] || tail -n 30 "$TMP/console.log" 2>/dev/null | sed 's/^/[console] /' >&2
	exit 125
fi
rc=$(cat "$SHARE/status")
case $rc in ''|*[!0-9]*) die "bad status '$rc' from the VM" ;; esac
exit "$rc"
