#!/usr/bin/env bash
# Print the QEMU accelerator to use: "kvm" only if a KVM guest really runs code
# here, else "tcg".  /dev/kvm can exist and still hang, so we boot a 64 KiB
# firmware whose reset vector writes 0x55 to the isa-debug-exit port: QEMU then
# exits with status (0x55 << 1) | 1 = 171 within the time limit, or KVM is unusable.
# XT_ACCEL=kvm|tcg overrides the probe.
set -euo pipefail
if [ -n "${XT_ACCEL:-}" ]; then
	echo "$XT_ACCEL"
	exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo tcg
	exit 0
fi
fw=$(mktemp)
trap 'rm -f "$fw"' EXIT
head -c 65520 /dev/zero >"$fw"
# F000:FFF0: mov al,0x55; out 0xf4,al; hlt; jmp $-1; then pad to 16 bytes.
printf '\xb0\x55\xe6\xf4\xf4\xeb\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00' >>"$fw"
# The subshell keeps the shell's own "Aborted" report out of the output.
rc=$( (timeout -k 1 5 qemu-system-x86_64 -machine q35,accel=kvm -cpu max -nodefaults \
	-display none -no-reboot -bios "$fw" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	>/dev/null 2>&1; echo $?) 2>/dev/null)
if [ "$rc" -eq 171 ]; then echo kvm; else echo tcg; fi
