#!/usr/bin/env bash
# Prove that the VM harness catches failure: each scenario below is a real VM
# run that must come out red, with the failure named.  Prints TAP and ends with
# "N passed, M failed"; exits non-zero if any scenario was wrongly green.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
out=$build/vm-selftest
mkdir -p "$out"

mapfile -t kernels < <("$top/scripts/kernels.sh")
[ ${#kernels[@]} -gt 0 ] || { echo "vm-selftest: no target kernels; run 'make deps'" >&2; exit 2; }
# Spread the scenarios over the kernels so each kernel is exercised.
kernel() { echo "${kernels[$(($1 % ${#kernels[@]}))]}"; }

# The WARN-at-init module, built for the kernel that loads it.
warn_ko() {
	local release=$1 tree=$out/warn-$1
	mkdir -p "$tree"
	ln -sfn "$here/selftest/warn/Kbuild" "$tree/Kbuild"
	ln -sfn "$here/selftest/warn/xt_warn.c" "$tree/xt_warn.c"
	make -s -C "/lib/modules/$release/build" M="$tree" modules >"$tree/build.log" 2>&1 ||
		{ cat "$tree/build.log" >&2; return 1; }
	echo "$tree/xt_warn.ko"
}

# scenario NAME EXPECTED-REGEX RUN-ARGS...: run the harness in the background.
names=() expects=()
scenario() {
	local name=$1 expect=$2
	shift 2
	names+=("$name")
	expects+=("$expect")
	mkdir -p "$out/$name"
	(rc=0
	XT_SMP=1 "$here/run.sh" -d "$here/selftest/cases" -o "$out/$name" "$@" \
		>"$out/$name/run.log" 2>&1 || rc=$?
	echo $rc >"$out/$name/rc") &
}

# A kernel release as an extended regular expression ("6.12.1+deb12" has a "+").
# shellcheck disable=SC2001 # one sed is clearer than a loop of substitutions
re() { sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"; }

k0=$(kernel 0) k1=$(kernel 1) k2=$(kernel 2) k3=$(kernel 3)
scenario failing-case "^not ok [0-9]+ - $(re "$k0"): fail # exit=1" -k "$k0" -c pass -c fail
scenario warn-at-init "^not ok [0-9]+ - $(re "$k1"): load-modules # kernel warning" \
	-k "$k1" -c pass -m "$(warn_ko "$k1")"
wait
scenario panic "^not ok [0-9]+ - $(re "$k2"): guest finished # crashed" -k "$k2" -c pass -c panic
XT_LIMIT=30 scenario hang "^not ok [0-9]+ - $(re "$k3"): guest finished # hung" -k "$k3" -c hang
wait
# A crash before the first result boots again (see run.sh's boot()), and a
# second crash still fails; the other scenarios, which crash or hang later,
# must not have booted twice.
XT_KERNEL_ARGS=rdinit=/nonexistent scenario boot-crash \
	"^# $(re "$k0"): booted twice" -k "$k0" -c pass
wait

n=0 failed=0
for i in "${!names[@]}"; do
	name=${names[$i]} dir=$out/${names[$i]}
	n=$((n + 1))
	rc=$(cat "$dir/rc")
	last=$(tail -n 1 "$dir/run.log")
	# Only boot-crash may boot twice, and it must.
	twice=0 want_twice=0
	grep -q '^# .*: booted twice' "$dir/run.log" && twice=1
	[ "$name" = boot-crash ] && want_twice=1
	if [ "$rc" -ne 0 ] && [[ $last =~ ^[0-9]+\ passed,\ [1-9][0-9]*\ failed$ ]] &&
		grep -Eq "${expects[$i]}" "$dir/run.log" && [ "$twice" -eq "$want_twice" ]; then
		echo "ok $n - harness turns red: $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - harness turns red: $name (exit $rc, last line '$last')"
		sed 's/^/#   /' "$dir/run.log"
	fi
done
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
