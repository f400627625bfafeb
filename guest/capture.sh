# SPDX-License-Identifier: GPL-2.0
#
# Runs in the kdump capture kernel: checks /proc/vmcore and prints its head
# (ELF header, program headers, notes) in base64 for the host to decode.
. /harness/ktap.sh

echo "harness: capture kernel up"
ktap_plan capture 2
ktap_check "vmcore-readable" dd if=/proc/vmcore of=/tmp/head bs=4096 count=16
ktap_check "vmcore-is-elf" sh -c '[ "$(dd if=/tmp/head bs=1 skip=1 count=3 2>/dev/null)" = ELF ]'
echo "harness: vmcore-head begin"
base64 /tmp/head
echo "harness: vmcore-head end"

# An SMP capture kernel (the kdump-smp scenarios load it with nr_cpus=4 and
# harness.smp=CPU): every CPU is online, each one takes interrupts (its
# timer ticks grow), and SDEI works here too: CPU wedged anew, a formerly
# stopped one, is backtraced by sysrq-l, which it can only answer through
# SDEI.
smp=$(sed -n 's/.*harness\.smp=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$smp" ]; then
	echo "harness: capture cpus online $(cat /sys/devices/system/cpu/online)"
	ticks() { awk 'NR == 1 { n = NF } /arch_timer/ { s = $2; for (i = 3; i <= n + 1; i++) s = s " " $i; print s }' /proc/interrupts; }
	echo "harness: capture ticks $(ticks)"
	sleep 1
	echo "harness: capture ticks $(ticks)"
	if wedge_cpu "$smp"; then
		echo "harness: capture wedged cpu $smp"
		echo l >/proc/sysrq-trigger
		sleep 2
		dmesg | grep -A12 "NMI backtrace for cpu $smp\$" | sed 's/^/harness: capture bt: /'
	fi
fi
