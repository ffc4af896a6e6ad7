#!/usr/bin/env bash
# make demo: boot the test VM on one kernel (KVER, default the newest target)
# and show the product at work on a disk image, command by command.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
release=${KVER:-$("$top/scripts/kernels.sh" | tail -n 1)}
out=$build/demo
rc=0
"$top/tests/vm/run.sh" -k "$release" -d "$here" -c demo -o "$out" >"$out.tap" 2>&1 || rc=$?
echo "== xloop demo on Linux $release (console: $out/$release/console.log)"
cat "$out/$release/cases/demo.log" 2>/dev/null || true
echo
if [ "$rc" -eq 0 ]; then
	echo "== demo finished: every step succeeded"
else
	echo "== demo FAILED:"
	grep -E '^not ok|^#' "$out.tap" >&2
fi
exit "$rc"
