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
[ "$rc" -eq 171 ] || { echo tcg; exit 0; }
# Real mode can run while a kernel cannot: on some nested hosts KVM stops the
# guest with "emulation failure" at the kernel's first VEX instruction, and
# QEMU then waits for ever.  So boot a kernel too, with the test VM's machine
# and CPU but nothing to mount: it must reach its panic (and with panic=-1 and
# -no-reboot, QEMU's exit) in time.
kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n 1)
[ -n "$kernel" ] || { echo kvm; exit 0; }
out=$(mktemp)
trap 'rm -f "$fw" "$out"' EXIT
timeout -k 1 60 qemu-system-x86_64 -machine q35,accel=kvm -cpu max -smp 1 -m 256 \
	-nodefaults -display none -no-reboot -bios /usr/share/qemu/qboot.rom \
	-serial "file:$out" -kernel "$kernel" \
	-append "console=ttyS0 panic=-1 root=/dev/xt-none" >"$out.qemu" 2>&1 &
qemu=$!
for _ in $(seq 120); do
	kill -0 "$qemu" 2>/dev/null || break
	grep -q 'KVM internal error' "$out.qemu" && break
	sleep 0.5
done
kill "$qemu" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
if grep -q 'Kernel panic' "$out" && ! grep -q 'KVM internal error' "$out.qemu"; then
	echo kvm
else
	echo tcg
fi
rm -f "$out.qemu"
