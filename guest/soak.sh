# SPDX-License-Identifier: GPL-2.0
#
# soak.sh SECONDS: the hardlockup detector's no-false-positive soak (sourced
# after ktap.sh by the hardlockup-soak scenario).
#
# For SECONDS, with load on every CPU, five stressors run at once from
# CPU 0: sysrq-l storms (backtraces ride the same SDEI event as the
# watchdog checks), nmi_watchdog toggling, watchdog_thresh changes and
# CPU 1-3 offline/online cycling.  Then everything is put back
# (thresh 5, detector on, all CPUs online) and the kernel log is searched
# for any lockup or stall report: there must be none.  The scenario then
# wedges CPU 1 to show that the detector still works after the soak.
#
# The console is kept quiet during the soak: a sysrq-l storm printed on a
# serial console keeps CPUs busy with interrupts masked for real, which is
# not what is being tested.  The kernel log (log_buf_len on the command
# line) keeps everything.

SOAK_SECONDS=${1:-120}
END=$(($(date +%s) + SOAK_SECONDS))
S=/tmp/soak
mkdir -p $S

# Console loglevel 1: only emergencies on the console.
echo 1 >/proc/sys/kernel/printk

running() { [ "$(date +%s)" -lt "$END" ]; }

# count NAME: one more event of kind NAME.
count() { echo >>"$S/$1"; }

# Load: on each CPU a user-space spin, a kernel-heavy reader and a
# random-number generator (crypto in the kernel), all at nice 19 so the
# stressors below keep their pace.
LOAD=
for n in 0 1 2 3; do
	taskset -c $n nice -n 19 sh -c 'while :; do :; done' &
	LOAD="$LOAD $!"
	taskset -c $n nice -n 19 sh -c 'while :; do cat /proc/kallsyms >/dev/null; done' &
	LOAD="$LOAD $!"
	taskset -c $n nice -n 19 sh -c 'while :; do head -c 262144 /dev/urandom >/dev/null; done' &
	LOAD="$LOAD $!"
done

# sysrq-l storms: three backtrace requests back to back, every 3 s.
(while running; do
	for i in 1 2 3; do echo l >/proc/sysrq-trigger; count sysrq-l; done
	sleep 3
done) &
STRESS=$!

# nmi_watchdog: off for 1 s, on for 4 s.
(while running; do
	echo 0 >/proc/sys/kernel/nmi_watchdog && count nmi-watchdog-off
	sleep 1
	echo 1 >/proc/sys/kernel/nmi_watchdog && count nmi-watchdog-on
	sleep 4
done) &
STRESS="$STRESS $!"

# watchdog_thresh: 2, 5, 10, 3, one every 7 s.
(while running; do
	for t in 2 5 10 3; do
		running || break
		echo $t >/proc/sys/kernel/watchdog_thresh && count thresh-change
		sleep 7
	done
done) &
STRESS="$STRESS $!"

# CPU 1-3 offline for 1 s, then online for 1 s, in turn.
(while running; do
	for c in 1 2 3; do
		running || break
		f=/sys/devices/system/cpu/cpu$c/online
		if echo 0 >$f; then count cpu-offline; else count cpu-offline-failed; fi
		sleep 1
		if echo 1 >$f; then count cpu-online; else count cpu-online-failed; fi
		sleep 1
	done
done) &
STRESS="$STRESS $!"

wait $STRESS
kill $LOAD 2>/dev/null
wait 2>/dev/null

# Put everything back.
for c in 1 2 3; do echo 1 >/sys/devices/system/cpu/cpu$c/online 2>/dev/null; done
echo 5 >/proc/sys/kernel/watchdog_thresh
echo 1 >/proc/sys/kernel/nmi_watchdog
# One full period at thresh 5 with the restored setup, still quiet.
sleep 12
echo 7 >/proc/sys/kernel/printk

for k in sysrq-l nmi-watchdog-off nmi-watchdog-on thresh-change cpu-offline cpu-online \
	cpu-offline-failed cpu-online-failed; do
	echo "harness: soak $k $(cat $S/$k 2>/dev/null | wc -l)"
done
echo "harness: soak backtraces $(dmesg | grep -c 'NMI backtrace for cpu')"
echo "harness: soak cpus online $(cat /sys/devices/system/cpu/online)"
echo "harness: soak settings thresh $(cat /proc/sys/kernel/watchdog_thresh)" \
	"nmi_watchdog $(cat /proc/sys/kernel/nmi_watchdog)"
# Any lockup or stall report, and anything that looks like a kernel bug.
BAD='hard LOCKUP|soft lockup|detected stall|blocked for more than|BUG:|WARNING:|Oops|Internal error'
echo "harness: soak reports $(dmesg | grep -cE "$BAD")"
dmesg | grep -E "$BAD" | head -20 | sed 's/^/harness: soak report: /'
# The log is long: start the wedge with an empty one.
dmesg -c >/dev/null
