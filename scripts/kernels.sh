#!/usr/bin/env bash
# Print the target kernel releases: every installed kernel that has both
# headers (/lib/modules/<release>/build) and an image (/boot/vmlinuz-<release>).
# Never the running kernel by default: here it is a sandbox kernel with neither.
#
# KVER in the environment chooses instead: a release, or "debug" for the debug
# kernels scripts/debug-kernel.sh installs (release *-xloop-debug), which are
# never targets otherwise.
set -euo pipefail
debug=-xloop-debug
case ${KVER:-} in
'') ;;
debug)
	for dir in /lib/modules/*"$debug"/build; do
		release=$(basename "$(dirname "$dir")")
		if [ -f "$dir/Makefile" ] && [ -f "/boot/vmlinuz-$release" ]; then
			echo "$release"
		fi
	done | sort -V | grep . || {
		echo "kernels: no debug kernel installed; run 'make debug-kernel'" >&2
		exit 1
	}
	exit 0
	;;
*)
	echo "$KVER"
	exit 0
	;;
esac
for dir in /lib/modules/*/build; do
	[ -f "$dir/Makefile" ] || continue
	release=$(basename "$(dirname "$dir")")
	case $release in *"$debug") continue ;; esac
	[ -f "/boot/vmlinuz-$release" ] && echo "$release"
done | sort -V
