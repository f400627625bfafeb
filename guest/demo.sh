# SPDX-License-Identifier: GPL-2.0
#
# The demo (make demo): show the SDEI NMI service reaching a CPU that spins
# with interrupts masked.
. /harness/ktap.sh

# Only our own output on the console; the kernel log is read with dmesg.
dmesg -n 1

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
