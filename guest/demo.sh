# SPDX-License-Identifier: GPL-2.0
#
# The demo (make demo): show the SDEI NMI service reaching a CPU that spins
# with interrupts masked.
. /harness/ktap.sh

# Only our own output on the console; the kernel log is read with dmesg.
dmesg -n 1

# Which implementation this kernel runs (VARIANT=c or rust on the make
# command line).
case $(sdei_impl) in
c) echo "harness: implementation: the upstream C driver (drivers/firmware/arm_sdei_nmi.c); VARIANT=rust boots the Rust port" ;;
rust) echo "harness: implementation: the Rust port (drivers/firmware/arm_sdei_nmi_rust.rs); VARIANT=c boots the upstream C driver" ;;
*) echo "harness: implementation: none found (CONFIG_ARM_SDEI_NMI off?)" ;;
esac
echo "harness: --- SDEI and the NMI service, from the kernel log ---"
dmesg | grep -E 'sdei|SDEI' || echo "harness: no SDEI lines: firmware without SDEI?"
echo "harness: CPUs online: $(cat /sys/devices/system/cpu/online)"
echo "harness: --- wedging CPU 1 with interrupts masked (LKDTM HARDLOCKUP) ---"
wedge_cpu 1
echo "harness: --- sysrq-l from CPU 0: backtrace of all CPUs ---"
echo l >/proc/sysrq-trigger
echo "harness: --- CPU 1's backtrace, as the kernel logged it ---"
dmesg | sed -n '/NMI backtrace for cpu 1/,/^.*---\[ end/p' | head -24 |
	grep . || echo "harness: no backtrace for CPU 1 (no SDEI?)"
