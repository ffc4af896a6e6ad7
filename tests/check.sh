#!/usr/bin/env bash
# The project's test command (make check): static checks, unit tests, the VM cases on every
# target kernel, and the harness self-test.  Every part runs even if an earlier
# one failed; the last line sums them all: "N passed, M failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
logs=$build/check
mkdir -p "$logs"

passed=0 failed=0
# tally NAME LOG RC: add a part's "N passed, M failed" (or ctest's summary).
tally() {
	local name=$1 log=$2 rc=$3 p f line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed}
	elif line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1); then
		f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
		p=$(($(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line") - f))
	else
		p=0 f=1
	fi
	# A part that failed without counting a failure still fails.
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	echo "== $name: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

run_part() {
	local name=$1 log=$logs/$1.log rc=0
	shift
	echo "== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$name" "$log" "$rc"
}

# Probe the accelerator once for every VM run below (the selftest boots five):
# where /dev/kvm exists but hangs, each probe waits out its 60-s limit.
XT_ACCEL=${XT_ACCEL:-$("$top/tests/vm/accel.sh")}
export XT_ACCEL

run_part lint "$top/scripts/lint.sh"
run_part unit bash -c "cd '$build' && ctest --output-on-failure"
run_part fuzz "$top/tests/fuzz/run.sh" 20
# The cases that look for no race in 1-vCPU guests, one per host CPU (both
# kernels at once on 2 CPUs); then the rest in 2-vCPU guests (run.sh -s).
run_part vm-1cpu "$top/tests/vm/run.sh" -s 1 -o "$build/vm-1cpu"
run_part vm "$top/tests/vm/run.sh" -s 2
run_part vm-selftest "$top/tests/vm/selftest.sh"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
