#!/usr/bin/env bash
# Build and install a debug kernel for the VM cases: Debian's 6.12 sources
# (linux-source-6.12), trimmed to what the test VM needs, with KASAN,
# lockdep (PROVE_LOCKING), sleep-in-atomic, list and hung-task checks.
#
#   scripts/debug-kernel.sh          build once, then install (idempotent)
#   make debug-kernel                the same
#   make check KVER=debug            the VM cases (and the rest) on it
#
# The sources and objects are cached outside the build tree, in
# XLOOP_DEBUG_CACHE (default /var/cache/xloop/debug-kernel), and survive
# "make clean".  The kernel is installed as release <version>-xloop-debug:
# /boot/vmlinuz-<release>, /lib/modules/<release>/ (with build -> the object
# tree, so xloop's modules build against it).  scripts/kernels.sh lists it
# only when asked (KVER=debug), never by default.  Root, and about 20 GiB of
# disk and an hour on two CPUs for the first build.
set -euo pipefail
cache=${XLOOP_DEBUG_CACHE:-/var/cache/xloop/debug-kernel}
suffix=-xloop-debug

if [ "$(id -u)" -ne 0 ]; then
	echo "debug-kernel: must run as root (apt-get, /boot, /lib/modules)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
need=(linux-source-6.12 bc bison flex libelf-dev libssl-dev cpio xz-utils rsync)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

tarball=
for t in /usr/src/linux-source-6.12.tar.*; do [ -e "$t" ] && tarball=$t; done
[ -n "$tarball" ] || { echo "debug-kernel: no /usr/src/linux-source-6.12.tar.*" >&2; exit 1; }
src=$cache/src
obj=$cache/obj
mkdir -p "$cache"
if [ ! -f "$src/Makefile" ] || [ "$tarball" -nt "$src/Makefile" ]; then
	echo "debug-kernel: extracting $tarball"
	rm -rf "$src" "$obj"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
fi
mkdir -p "$obj"

# The configuration: x86_64 defconfig for a KVM/QEMU guest, what the harness
# and the cases use, and the debug checks.  Built in: what stage 1 needs to
# reach the host's root (virtio, 9p, overlay).  Modules: what cases load and
# unload themselves.
if [ ! -f "$obj/.config" ] || [ "$0" -nt "$obj/.config" ]; then
	make -C "$src" O="$obj" -s defconfig kvm_guest.config
	cfg() { "$src/scripts/config" --file "$obj/.config" "$@"; }
	cfg --set-str LOCALVERSION "$suffix" --disable LOCALVERSION_AUTO
	cfg --enable VIRTIO_PCI --enable VIRTIO_BLK --enable NET_9P \
		--enable NET_9P_VIRTIO --enable 9P_FS --enable 9P_FS_POSIX_ACL \
		--enable OVERLAY_FS --enable DEVTMPFS --enable TMPFS \
		--enable TMPFS_POSIX_ACL --enable BLK_DEV_INITRD --enable RD_GZIP
	cfg --enable MODULES --enable MODULE_UNLOAD --enable MODULE_FORCE_UNLOAD \
		--disable MODULE_SIG --enable BLOCK_LEGACY_AUTOLOAD
	cfg --module BLK_DEV_LOOP --set-val BLK_DEV_LOOP_MIN_COUNT 8 \
		--module BLK_DEV_RAM --module BLK_DEV_NULL_BLK \
		--enable MD --module BLK_DEV_DM --module DM_DELAY --module DM_FLAKEY \
		--module FUSE_FS
	# ext2 served by ext4, as in Debian's kernels: 409 holds xminix to that
	# driver, and the stand-alone ext2 driver answers errors= differently.
	cfg --module EXT4_FS --module XFS_FS --module BTRFS_FS --module MINIX_FS \
		--disable EXT2_FS --enable EXT4_USE_FOR_EXT2 --enable FS_POSIX_ACL
	cfg --enable CGROUPS --enable BLK_CGROUP --enable BLK_DEV_THROTTLING \
		--enable MEMCG --enable CGROUP_WRITEBACK --enable BLK_DEV_INTEGRITY
	cfg --enable MAGIC_SYSRQ --enable IKCONFIG --enable IKCONFIG_PROC
	# The checks.
	cfg --enable KASAN --enable KASAN_GENERIC --enable KASAN_INLINE \
		--enable PROVE_LOCKING --enable DEBUG_ATOMIC_SLEEP \
		--enable DEBUG_LIST --enable DEBUG_OBJECTS --enable DEBUG_OBJECTS_WORK \
		--enable DEBUG_OBJECTS_FREE --enable DEBUG_OBJECTS_TIMERS \
		--enable DETECT_HUNG_TASK --set-val DEFAULT_HUNG_TASK_TIMEOUT 120 \
		--enable SOFTLOCKUP_DETECTOR --enable WQ_WATCHDOG \
		--enable REFCOUNT_FULL --enable DEBUG_KERNEL --enable STACKTRACE \
		--disable DEBUG_INFO_BTF --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
		--enable DEBUG_INFO_NONE
	make -C "$src" O="$obj" -s olddefconfig
fi

echo "debug-kernel: building in $obj"
make -C "$src" O="$obj" -j"$(nproc)" bzImage modules
# Known only once the build has read the configuration (LOCALVERSION).
release=$(cat "$obj/include/config/kernel.release")
make -C "$src" O="$obj" -s modules_install INSTALL_MOD_STRIP=1
install -m 0644 "$obj/arch/x86/boot/bzImage" "/boot/vmlinuz-$release"
install -m 0644 "$obj/System.map" "/boot/System.map-$release"
ln -sfn "$obj" "/lib/modules/$release/build"
rm -f "/lib/modules/$release/source"
echo "debug-kernel: installed $release; run: make check KVER=debug"
echo "$release" >"$cache/release"
exit 0
