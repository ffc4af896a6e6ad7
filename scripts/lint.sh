#!/usr/bin/env bash
# Static checks: checkpatch (strict) and sparse on the kernel code, clang-format
# on the C++, shellcheck on the shell scripts.  Exits non-zero on any finding.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
passed=0 failed=0
report() {
	if [ "$2" -eq 0 ]; then
		echo "ok - lint: $1"
		passed=$((passed + 1))
	else
		echo "not ok - lint: $1"
		failed=$((failed + 1))
	fi
}

# checkpatch.pl ships only inside Debian's kernel source tarball.
tools=$build/tools
if [ ! -x "$tools/checkpatch/checkpatch.pl" ]; then
	tarball=
	for t in /usr/src/linux-source-6.1.tar.*; do [ -e "$t" ] && tarball=$t; done
	[ -n "$tarball" ] || { echo "lint: linux-source-6.1 missing; run 'make deps'" >&2; exit 2; }
	mkdir -p "$tools/checkpatch"
	tar -xf "$tarball" -C "$tools/checkpatch" --strip-components=2 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi
mapfile -t kernel_sources < <(git ls-files 'kmod/*.c' 'kmod/*.h' 'include/*.h' 'tests/vm/selftest/*.c')
rc=0
# LINUX_VERSION_CODE is allowed in the one compat header; FILE_PATH_CHANGES and
# SPDX placement are for in-tree patches; ENOSYS is what loop-control's ABI
# answers to an unknown ioctl, so xloop must return it too.
"$tools/checkpatch/checkpatch.pl" --no-tree --strict --terse --show-types --quiet \
	--ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE,ENOSYS \
	-f "${kernel_sources[@]}" || rc=$?
report "checkpatch --strict (${#kernel_sources[@]} files)" $rc

rc=0
KBUILD_ARGS="C=2" "$top/scripts/build-modules.sh" >"$build/lint-sparse.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || grep -E 'warning:|error:' "$build/lint-sparse.log" || tail -n 20 "$build/lint-sparse.log"
report "sparse (C=2) and W=1 on every target kernel" $rc

mapfile -t cxx_sources < <(git ls-files '*.cpp' '*.hpp')
rc=0
[ ${#cxx_sources[@]} -eq 0 ] || clang-format --dry-run --Werror "${cxx_sources[@]}" || rc=$?
report "clang-format (${#cxx_sources[@]} files)" $rc

mapfile -t shell_sources < <(git ls-files '*.sh' 'tests/vm/init' '.ci/run')
rc=0
shellcheck -x "${shell_sources[@]}" || rc=$?
report "shellcheck (${#shell_sources[@]} files)" $rc

# A script the Makefile or the harness runs by path must be executable in git
# (a checkout gets the mode from the index, not from this machine).
rc=0
while read -r mode path; do
	if head -c 2 "$path" | grep -q '^#!' && [ "$mode" != 100755 ]; then
		echo "$path: has #! but is not executable in git (git update-index --chmod=+x)"
		rc=1
	fi
done < <(git ls-files -s "${shell_sources[@]}" | awk '{ print $1, $4 }')
report "scripts with #! are executable in git" $rc

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
