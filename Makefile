# xloop top-level build.
#
#   make deps              install build, test and VM dependencies (apt, as root)
#   make                   userspace into build/ (tool: build/xloop) and modules
#                          for every target kernel into build/modules/<release>/
#   make modules KVER=R    modules for one kernel release
#   make check             unit tests, then the VM cases on every target kernel
#   make demo              boot the test VM and show the product at work
#   make bench             benchmarks (not tests)
#   make fuzz              the Minix libFuzzer target for FUZZ_SECONDS (default 600)
#   make vm-test CASES="attach detach" KVER=R   chosen VM cases, chosen kernel
#   make crash-test        the power-cut cases with every format on each kernel
#   make minix-ko-record   corrupt images under xminix.ko and the stock minix.ko,
#                          side by side (minix.ko's splats recorded, not failed)
#   make debug-kernel      build and install a KASAN + lockdep 6.12 kernel
#                          (cached outside build/); KVER=debug targets it
#   make lint              checkpatch, sparse and clang-format
#   make modules_install   install the modules into /lib/modules/R/extra/ and depmod
#   make install-drop-in   install the drop-in (a module named loop) into
#                          /lib/modules/R/updates/, where modprobe prefers it
#                          to the stock loop.ko; uninstall-drop-in removes it
#   make install           modules_install plus the tool into /usr/local/sbin
#
# Target kernels are the installed ones with headers (scripts/kernels.sh), never
# `uname -r` by default.

BUILD ?= build
KVER ?=
# scripts/kernels.sh reads KVER (a release, or "debug"), exported to it.
export KVER
KVERS = $(shell scripts/kernels.sh)
CMAKE_GENERATOR ?= $(if $(shell command -v ninja),Ninja,Unix Makefiles)
PREFIX ?= /usr/local

export BUILD

.PHONY: all deps userspace modules modules_install install install-drop-in \
	uninstall-drop-in check unit-test \
	vm-test crash-test minix-ko-record vm-selftest demo bench fuzz lint clean debug-kernel

all: userspace modules

deps:
	scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G "$(CMAKE_GENERATOR)"

userspace: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD)

modules:
	+scripts/build-modules.sh $(KVERS)

modules_install: modules
	@for k in $(KVERS); do \
		echo "install modules for $$k"; \
		install -D -m 0644 -t /lib/modules/$$k/extra $(BUILD)/modules/$$k/*.ko && \
		depmod -a $$k || exit 1; \
	done

# depmod ranks updates/ above the kernel's own directory, so "modprobe loop",
# /dev/loop-control and block-major-7 autoloading all reach the drop-in.
install-drop-in: modules
	@for k in $(KVERS); do \
		echo "install the drop-in loop.ko for $$k"; \
		install -D -m 0644 $(BUILD)/modules/$$k/dropin/loop.ko \
			/lib/modules/$$k/updates/xloop/loop.ko && \
		depmod -a $$k || exit 1; \
	done

uninstall-drop-in:
	@for k in $(KVERS); do \
		rm -f /lib/modules/$$k/updates/xloop/loop.ko && depmod -a $$k || exit 1; \
	done

install: userspace modules_install
	install -D -m 0755 $(BUILD)/xloop $(DESTDIR)$(PREFIX)/sbin/xloop

unit-test: userspace
	cd $(BUILD) && ctest --output-on-failure

vm-test: all
	tests/vm/run.sh $(foreach k,$(KVERS),-k $(k)) $(foreach c,$(CASES),-c $(c))

crash-test: all
	tests/vm/run.sh -d tests/vm/crash $(foreach k,$(KVERS),-k $(k))

minix-ko-record: all
	XT_RECORD=1 tests/vm/run.sh -d tests/vm/record $(foreach k,$(KVERS),-k $(k))

vm-selftest: all
	tests/vm/selftest.sh

check: all
	tests/check.sh

demo: all
	tests/demo/run.sh

bench: all
	tests/bench/run.sh

FUZZ_SECONDS ?= 600
fuzz: userspace
	tests/fuzz/run.sh $(FUZZ_SECONDS)

lint:
	scripts/lint.sh

debug-kernel:
	scripts/debug-kernel.sh

clean:
	rm -rf $(BUILD)
