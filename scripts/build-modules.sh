#!/usr/bin/env bash
# Build the kernel modules for each given kernel release (default: all targets)
# into build/modules/<release>/.  Each release gets its own kbuild tree under
# build/kbuild/<release>/ (symlinks to the sources), so object files of one
# kernel never leak into another's build.
#
# Environment: BUILD (default build), KBUILD_ARGS (extra kbuild arguments, e.g. C=2).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac

releases=("$@")
[ ${#releases[@]} -gt 0 ] || mapfile -t releases < <("$top/scripts/kernels.sh")
if [ ${#releases[@]} -eq 0 ]; then
	echo "build-modules: no kernel headers under /lib/modules/*/build; run 'make deps'" >&2
	exit 1
fi

for release in "${releases[@]}"; do
	kdir=/lib/modules/$release/build
	if [ ! -f "$kdir/Makefile" ]; then
		echo "build-modules: no headers for kernel $release ($kdir)" >&2
		exit 1
	fi
	tree=$build/kbuild/$release
	mkdir -p "$tree/kmod/dropin" "$tree/kmod/xminix" "$build/modules/$release/dropin"
	ln -sfn "$top/Kbuild" "$tree/Kbuild"
	ln -sfn "$top/include" "$tree/include"
	# Refresh the per-file links: new sources appear, removed ones go.
	for d in kmod kmod/dropin kmod/xminix; do
		find "$tree/$d" -maxdepth 1 -type l -delete
		for f in "$top/$d"/*; do
			[ -f "$f" ] && ln -sfn "$f" "$tree/$d/$(basename "$f")"
		done
	done
	echo "build-modules: $release"
	log=$tree/build.log
	# shellcheck disable=SC2086 # KBUILD_ARGS is a list of make arguments
	make -C "$kdir" M="$tree" W=1 ${KBUILD_ARGS:-} modules 2>&1 | tee "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
	# The modules build warning-free under W=1 (and sparse, with C=1/C=2).
	# Only the compiler's and sparse's diagnostics count ("file:line: warning:"),
	# not make's own notes such as "jobserver unavailable".
	if grep -E '^[^ ]+:[0-9]+(:[0-9]+)?: (warning|error):' "$log" >/dev/null; then
		echo "build-modules: $release: the build has warnings (see above)" >&2
		exit 1
	fi
	cp "$tree"/kmod/*.ko "$tree"/kmod/xminix/xminix.ko "$build/modules/$release/"
	# The drop-in (a module named loop) apart: not loaded with the others.
	cp "$tree"/kmod/dropin/loop.ko "$build/modules/$release/dropin/"
done
