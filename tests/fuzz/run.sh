#!/usr/bin/env bash
# Builds the Minix libFuzzer target with clang (ASan + UBSan) and runs it.
#   tests/fuzz/run.sh [SECONDS]     default 20 (make check); make fuzz uses 600
# Seeds are small images made by the model's mkfs for every configuration,
# plus mutated copies; the corpus is kept in $BUILD/fuzz/corpus between runs.
# Prints "N passed, M failed" (one check: the run found nothing).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
seconds=${1:-20}
out=$build/fuzz
mkdir -p "$out/corpus" "$out/artifacts"

fail() {
	echo "fuzz: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

cxx=$(command -v clang++-14 || command -v clang++) || fail "clang++ not installed"
# Only the OS-free core: no file device in the fuzzer.
srcs=()
for f in "$top"/userspace/minix/*.cpp; do
	[ "$(basename "$f")" = file_device.cpp ] || srcs+=("$f")
done
sanitize="-fsanitize=fuzzer,address,undefined"
flags=(-std=c++20 -O1 -g "$sanitize" -fno-sanitize-recover=undefined
	-I"$top/userspace" -I"$top/include")
bin=$out/minix_fuzz
newest=$(find "$top/userspace/minix" "$top/userspace/common" "$top/tests/fuzz" "$top/include" -newer "$bin" \
	-name '*.[ch]*' 2>/dev/null | head -n 1)
if [ ! -x "$bin" ] || [ -n "$newest" ]; then
	echo "fuzz: building $bin"
	"$cxx" "${flags[@]}" "$top/tests/fuzz/minix_fuzz.cpp" "${srcs[@]}" -lfmt -o "$bin" ||
		fail "build failed"
fi

# Seeds: tiny images of every version, name length and block size.
if [ -z "$(ls -A "$out/corpus")" ]; then
	xloop=$build/xloop
	[ -x "$xloop" ] || fail "$xloop missing (make BUILD=...)"
	n=0
	for v in "-1 -n 14" "-1 -n 30" "-2 -n 14" "-2 -n 30" "-3" "-3 --block-size 2048" "-3 --block-size 4096"; do
		for blocks in 16 40; do
			seed=$out/corpus/seed-$n
			n=$((n + 1))
			bs=1024
			case $v in *2048*) bs=2048 ;; *4096*) bs=4096 ;; esac
			truncate -s $((blocks * bs)) "$seed"
			# shellcheck disable=SC2086 # $v holds several options
			"$xloop" mkfs $v "$seed" "$blocks" >/dev/null || fail "mkfs $v failed"
			printf 'hello\n' >"$out/hello"
			"$xloop" mkdir "$seed" /d >/dev/null 2>&1
			"$xloop" put "$seed" "$out/hello" /d/h >/dev/null 2>&1
		done
	done
fi

echo "fuzz: running $bin for ${seconds}s"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=200000 \
	-artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" >"$out/fuzz.log" 2>&1; then
	tail -n 12 "$out/fuzz.log"
	echo "1 passed, 0 failed"
else
	tail -n 60 "$out/fuzz.log"
	echo "fuzz: crash input kept in $out/artifacts/"
	echo "0 passed, 1 failed"
	exit 1
fi
