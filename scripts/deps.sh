#!/usr/bin/env bash
# Install, with apt, everything the build, the tests and the test VM need.
# Idempotent: packages already present are left alone.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root (apt-get install); try: sudo make deps" >&2
	exit 1
fi

packages=(
	# build
	build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
	# C++ libraries the tool and its tests use
	libmount-dev libblkid-dev libsmartcols-dev libcli11-dev libfmt-dev
	libgtest-dev libgmock-dev libbenchmark-dev
	# kernel module build and lint
	sparse linux-source-6.1 xz-utils kmod shellcheck clang-format
	# 32-bit test helper (the loop driver's compat ioctl path)
	gcc-multilib
	# target kernels: Debian's 6.1 LTS and 6.12 LTS
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# test VM and the tools the guest runs from the host's root
	qemu-system-x86 qemu-system-data busybox-static cpio util-linux fio dmsetup
	# backing and upper file systems users keep images on, partitioning, load
	e2fsprogs xfsprogs btrfs-progs dosfstools fdisk stress-ng
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages already installed"
	exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The VM boots its own initramfs: skip Debian's initrd generation (a minute per kernel).
INITRD=No apt-get install -y -q --no-install-recommends "${missing[@]}"
