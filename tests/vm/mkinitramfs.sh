#!/usr/bin/env bash
# Build the test VM's initramfs for one kernel release:
#   mkinitramfs.sh RELEASE OUTPUT.cpio.gz
# It holds only static busybox, the modules needed to reach the host's root over
# virtio-9p (decompressed, so busybox insmod can load them) and the stage-1 init.
# Everything else, tests included, is read from the host root at run time.
set -euo pipefail
release=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "mkinitramfs: busybox not found; run 'make deps'" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs: $busybox is dynamically linked; install busybox-static" >&2
	exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,host,rw,newroot,mods}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/init" "$stage/init"

# Dependencies in load order, each module once (modprobe repeats shared ones).
n=0
modprobe -S "$release" --show-depends -a virtio_pci 9pnet_virtio 9p overlay |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
	while read -r path; do
		name=$(basename "$path")
		name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
		dest=$(printf '%s/mods/%02d-%s' "$stage" "$n" "$name")
		case $path in
		*.xz) xz -dc "$path" >"$dest" ;;
		*.zst) zstd -qdc "$path" >"$dest" ;;
		*.gz) gzip -dc "$path" >"$dest" ;;
		*) cp "$path" "$dest" ;;
		esac
		n=$((n + 1))
	done

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
