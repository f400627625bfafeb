# SPDX-License-Identifier: GPL-2.0
#
# KTAP helpers for the guest scenario scripts (sourced).
#   ktap_plan SUITE N         header and plan
#   ktap_result OK|FAIL|SKIP NAME [REASON]
#   ktap_check NAME CMD...    ok if CMD succeeds

KTAP_N=0

ktap_plan() {
	echo "KTAP version 1"
	echo "# Subtest: $1"
	echo "1..$2"
}

ktap_result() {
	KTAP_N=$((KTAP_N + 1))
	case $1 in
	OK)   echo "ok $KTAP_N $2" ;;
	SKIP) echo "ok $KTAP_N $2 # SKIP ${3:-}" ;;
	*)    echo "not ok $KTAP_N $2${3:+ # $3}" ;;
	esac
}

ktap_check() {
	local name=$1
	shift
	if "$@" >/tmp/ktap.out 2>&1; then
		ktap_result OK "$name"
	else
		ktap_result FAIL "$name" "exit $?"
		sed 's/^/# /' /tmp/ktap.out | head -20
	fi
}

# sdei_impl: which implementation of the NMI service this kernel runs, by
# symbol: c (the C driver's handler), rust (the Rust module) or none.
sdei_impl() {
	if grep -q ' sdei_nmi_handler$' /proc/kallsyms; then echo c
	elif grep -q '17arm_sdei_nmi_rust' /proc/kallsyms; then echo rust
	else echo none; fi
}

# klog_has REGEX: the kernel log holds a line matching REGEX
klog_has() { dmesg | grep -Eq "$1"; }

# wait_klog REGEX SECONDS: wait until the kernel log holds REGEX, for
# SECONDS of the clock (not a number of polls: a poll can take long on a
# busy host, and a no-firmware boot with a wedged CPU must end before the
# RCU stall and soft lockup reports that come after ~21 s).
wait_klog() {
	local end=$(($(date +%s) + $2))
	while :; do
		klog_has "$1" && return 0
		[ "$(date +%s)" -lt $end ] || return 1
		usleep 100000
	done
}

# klog_count REGEX: how many lines of the kernel log match REGEX.
klog_count() { dmesg | grep -Ec "$1"; }

# wait_klog_count REGEX N SECONDS: wait until N lines of the kernel log
# match REGEX, for SECONDS of the clock.
wait_klog_count() {
	local end=$(($(date +%s) + $3))
	while :; do
		[ "$(klog_count "$1")" -ge "$2" ] && return 0
		[ "$(date +%s)" -lt $end ] || return 1
		usleep 100000
	done
}

# wedge_cpu N: wedge CPU N with interrupts masked (LKDTM HARDLOCKUP: a
# spin with local IRQs disabled that never ends) and wait until LKDTM
# says it is in (another wedge's line does not count).
wedge_cpu() {
	local re="lkdtm: Performing direct entry HARDLOCKUP" n
	n=$(klog_count "$re")
	taskset -c "$1" sh -c 'echo HARDLOCKUP >/sys/kernel/debug/provoke-crash/DIRECT' &
	WEDGE_PID=$!
	wait_klog_count "$re" $((n + 1)) 10 && sleep 0.5
}

# lockup_cpu N SECONDS: spin on CPU N with interrupts masked for SECONDS,
# then return (test_lockup.ko, which the scenario puts in /lib: its init
# spins and fails with EAGAIN, so it can be loaded again), in the
# background; wait until the spin has begun.
lockup_cpu() {
	local re="test_lockup: Start on CPU$1\$" n
	n=$(klog_count "$re")
	# From a pipe: busybox insmod tries finit_module() first and, when the
	# init fails (as this one always does), init_module(), which would spin
	# a second time; finit_module() refuses a pipe at once.
	cat /lib/test_lockup.ko | taskset -c "$1" insmod /dev/stdin disable_irq=1 time_secs="$2" 2>/dev/null &
	LOCKUP_PID=$!
	wait_klog_count "$re" $((n + 1)) 10
}

# sysrq KEY: trigger a sysrq that may end this kernel (reset, crash) after
# giving the console a moment to drain: output still queued in the tty
# when the machine resets is lost.
sysrq() {
	sleep 1
	echo "$1" >/proc/sysrq-trigger
}

# dump_dmesg: the whole kernel log between markers.  Console output can lag
# behind a wedged CPU; the log buffer read from userspace is complete.
dump_dmesg() {
	echo "harness: dmesg begin"
	dmesg
	echo "harness: dmesg end"
}
