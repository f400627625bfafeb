# SPDX-License-Identifier: GPL-2.0
#
# soak.sh SECONDS [STRESSORS]: the hardlockup detector's no-false-positive
# soak (run with sh by the hardlockup-soak scenario).
#
# For SECONDS, with load on every CPU, four stressors run at once from
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
# Which stressors run (all by default; a subset helps to find which one
# upsets the kernel).
STRESSORS=" ${2:-sysrq nmi-watchdog thresh hotplug} "
END=$(($(date +%s) + SOAK_SECONDS))
S=/tmp/soak
mkdir -p $S

# Console loglevel 1: only emergencies on the console.
echo 1 >/proc/sys/kernel/printk

running() { [ "$(date +%s)" -lt "$END" ]; }
# enabled NAME: stressor NAME is selected.
enabled() { case "$STRESSORS" in *" $1 "*) return 0 ;; esac; return 1; }

# count NAME: one more event of kind NAME.
count() { echo >>"$S/$1"; }

# sysrq-l storms and CPU hotplug writes overlap: a backtrace request may
# meet a CPU in the middle of hotplug, online but not able to take SDEI
# event 0, which the service then leaves out (and says so).  Before it did,
# such a request was seen to stall a bring-up for good (the README's
# "sysrq-l during CPU hotplug").  SOAK_TURNS=1 makes the two take turns
# (mkdir is atomic), as the soak had to then.
lock() {
	[ "${SOAK_TURNS:-0}" = 0 ] && return
	until mkdir "$S/lock" 2>/dev/null; do usleep 50000; done
}
unlock() { [ "${SOAK_TURNS:-0}" = 0 ] || rmdir "$S/lock"; }

# Load: on each CPU a user-space spin, a kernel-heavy reader and a
# random-number generator (crypto in the kernel).  The stressors below
# sleep most of the time and keep their pace beside it.
LOAD=
for n in 0 1 2 3; do
	taskset -c $n sh -c 'while :; do :; done' &
	LOAD="$LOAD $!"
	taskset -c $n sh -c 'while :; do cat /proc/kallsyms >/dev/null; done' &
	LOAD="$LOAD $!"
	taskset -c $n sh -c 'while :; do head -c 262144 /dev/urandom >/dev/null; done' &
	LOAD="$LOAD $!"
done

# sysrq-l storms: three backtrace requests back to back, every 3 s
# (SOAK_SYSRQ_PAUSE_US: the pause after each storm, in microseconds).
STRESS=
enabled sysrq && (while running; do
	lock
	for i in 1 2 3; do echo l >/proc/sysrq-trigger; count sysrq-l; done
	unlock
	usleep ${SOAK_SYSRQ_PAUSE_US:-3000000}
done) &
enabled sysrq && STRESS=$!

# nmi_watchdog: off for 1 s, on for 4 s.
enabled nmi-watchdog && (while running; do
	echo 0 >/proc/sys/kernel/nmi_watchdog && count nmi-watchdog-off
	sleep 1
	echo 1 >/proc/sys/kernel/nmi_watchdog && count nmi-watchdog-on
	sleep 4
done) &
enabled nmi-watchdog && STRESS="$STRESS $!"

# watchdog_thresh: 2, 5, 10, 3, one every 7 s.
enabled thresh && (while running; do
	for t in 2 5 10 3; do
		running || break
		echo $t >/proc/sys/kernel/watchdog_thresh && count thresh-change
		sleep 7
	done
done) &
enabled thresh && STRESS="$STRESS $!"

# CPU 1-3 offline for 1 s, then online for 1 s, in turn.
enabled hotplug && (while running; do
	for c in 1 2 3; do
		running || break
		f=/sys/devices/system/cpu/cpu$c/online
		lock
		if echo 0 >$f; then count cpu-offline; else count cpu-offline-failed; fi
		unlock
		sleep 1
		lock
		if echo 1 >$f; then count cpu-online; else count cpu-online-failed; fi
		unlock
		sleep 1
	done
done) &
enabled hotplug && STRESS="$STRESS $!"

# The stressors end at END; one that is still running a minute later is
# stuck (seen: a CPU hotplug write that never returned): say so, with what
# the kernel says about it, and go on so that the host gets the verdict.
while [ "$(date +%s)" -lt $((END + 60)) ]; do
	alive=
	for p in $STRESS; do kill -0 $p 2>/dev/null && alive="$alive $p"; done
	[ -z "$alive" ] && break
	sleep 1
done
if [ -n "$alive" ]; then
	echo "harness: soak stuck stressors:$alive"
	for c in 0 1 2 3; do
		echo "harness: soak cpu$c hotplug state" \
			"$(cat /sys/devices/system/cpu/cpu$c/hotplug/state 2>/dev/null)"
	done
	echo w >/proc/sysrq-trigger
	dmesg | tail -150 | sed 's/^/harness: soak log: /'
fi
kill $LOAD $alive 2>/dev/null

# Put everything back; in the background when a stressor is stuck, since
# these writes would then wait for good behind the stuck hotplug write
# (they take the CPU hotplug lock), and the verdict must still come out.
putback() {
	for c in 1 2 3; do echo 1 >/sys/devices/system/cpu/cpu$c/online 2>/dev/null; done
	echo 5 >/proc/sys/kernel/watchdog_thresh
	echo 1 >/proc/sys/kernel/nmi_watchdog
}
if [ -n "$alive" ]; then putback & else putback; fi
# One full period at thresh 5 with the restored setup, still quiet.
sleep 12
echo 7 >/proc/sys/kernel/printk

for k in sysrq-l nmi-watchdog-off nmi-watchdog-on thresh-change cpu-offline cpu-online \
	cpu-offline-failed cpu-online-failed; do
	echo "harness: soak $k $(cat $S/$k 2>/dev/null | wc -l)"
done
echo "harness: soak backtraces $(dmesg | grep -c 'NMI backtrace for cpu')"
echo "harness: soak requests-waited-10s $(dmesg | grep -c "still haven't responded")"
# The CPUs a request left out because they could not take event 0 (only
# CPUs in the middle of hotplug may be named).
echo "harness: soak cpus-skipped $(dmesg | grep -c 'cannot take SDEI event 0')"
dmesg | grep -o 'CPU [0-9]* not [a-z]*: it cannot take SDEI event 0' | sort | uniq -c |
	sed 's/^ */harness: soak skipped: /'

echo "harness: soak cpus online $(cat /sys/devices/system/cpu/online)"
# (Not read behind a stuck hotplug write: the put-back above then waits
# holding the watchdog's mutex, which these reads take.)
[ -n "$alive" ] || echo "harness: soak settings thresh $(cat /proc/sys/kernel/watchdog_thresh)" \
	"nmi_watchdog $(cat /proc/sys/kernel/nmi_watchdog)"
# Any lockup or stall report, and anything that looks like a kernel bug.
BAD='hard LOCKUP|soft lockup|detected stall|blocked for more than|BUG:|WARNING:|Oops|Internal error'
echo "harness: soak reports $(dmesg | grep -cE "$BAD")"
dmesg | grep -E "$BAD" | head -20 | sed 's/^/harness: soak report: /'
# The log is long: start the wedge with an empty one.
dmesg -c >/dev/null
