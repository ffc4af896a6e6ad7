#!/usr/bin/env bash
# Print the target kernel releases: every installed kernel that has both
# headers (/lib/modules/<release>/build) and an image (/boot/vmlinuz-<release>).
# Never the running kernel by default: here it is a sandbox kernel with neither.
set -euo pipefail
for dir in /lib/modules/*/build; do
	[ -f "$dir/Makefile" ] || continue
	release=$(basename "$(dirname "$dir")")
	[ -f "/boot/vmlinuz-$release" ] && echo "$release"
done | sort -V
