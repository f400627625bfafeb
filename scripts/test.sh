#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh [--setup] [--no-build] [pytest args]: set up (--setup, as make
# test does), build what is stale, run the scenario tests, collect their
# KTAP into one report, check it with the kernel's own KTAP parser and end
# with the wall time of each phase and a pass/fail summary.  Non-zero exit
# on failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

setup=0 build=1
while :; do
	case ${1:-} in
	--setup) setup=1; shift ;;
	--no-build) build=0; shift ;;
	*) break ;;
	esac
done
# The parity matrix: every scenario on every variant (c: the upstream C
# driver, rust: the Rust port), unless VARIANTS says otherwise.
variants=${VARIANTS:-c rust}
# Where the scenario results go; a run started beside another (make soak
# beside make test) can be given its own.
RESULTS=${SDEI_RESULTS:-$CACHE/results}
export SDEI_RESULTS=$RESULTS
t0=$(date +%s)

# phase NAME CMD...: run CMD as one timed phase of the run.  The table of
# phases is printed at the end, failed or not, so that a slow phase shows
# in any CI log.
phases=()
phase() {
	local name=$1 t rc
	shift
	t=$(date +%s)
	"$@"
	rc=$?
	phases+=("$name	$(( $(date +%s) - t ))	$([ $rc -eq 0 ] && echo ok || echo "failed ($rc)")")
	return $rc
}
phase_table() {
	local p
	log "wall time by phase (s):"
	for p in "${phases[@]}"; do
		IFS=$'\t' read -r name secs st <<<"$p"
		printf '    %-28s %6s  %s\n' "$name" "$secs" "$st" >&2
	done
	printf '    %-28s %6s\n' total "$(( $(date +%s) - t0 ))" >&2
}
# side_by_side VARIANT...: build these kernels at the same time; each one's
# output is shown when all are done, with its own wall time.
side_by_side() {
	local v rc=0 st secs
	mkdir -p "$BUILD"
	for v in "$@"; do
		(
			t=$(date +%s)
			bash "$TOP/scripts/kernel.sh" "$v" >"$BUILD/$v.kernel-sh.log" 2>&1
			echo "$? $(( $(date +%s) - t ))" >"$BUILD/$v.kernel-sh.rc"
		) &
	done
	wait
	for v in "$@"; do
		cat "$BUILD/$v.kernel-sh.log" >&2
		read -r st secs <"$BUILD/$v.kernel-sh.rc" || { st=1 secs=?; }
		phases+=("  kernel $v	$secs	$([ "$st" = 0 ] && echo ok || echo "failed ($st)")")
		[ "$st" = 0 ] || rc=1
	done
	return $rc
}

# On an early exit (a failed build) the table is printed all the same.
trap phase_table EXIT

if [ $setup -eq 1 ]; then
	phase setup bash "$TOP/scripts/setup.sh" || die "setup failed"
fi
if [ $build -eq 1 ]; then
	phase tree bash "$TOP/scripts/tree.sh" materialise || die "build failed"
	# Each series whose base is v7.3 applies alone there (series 1 is
	# also built alone, by kernel.sh c).
	phase "series alone on v7.3" bash "$TOP/scripts/tree.sh" check-alone || die "a series does not apply alone"
	log "which series each kernel carries:"
	bash "$TOP/scripts/tree.sh" series | sed 's/^/    /' >&2
	kernels=$variants
	# The Rust port's own tests run in kernels of their own: its KUnit
	# tests (kunit) and its hardlockup detector (watchdog).
	[[ " $variants " == *" rust "* ]] && kernels="$kernels kunit watchdog"
	# The perf detector on pseudo-NMI (the C driver beside it), the third
	# detector of the comparison (tests/test_watchdog.py).
	[[ " $variants " == *" c "* ]] && kernels="$kernels perf"
	# Two source trees: the C-only series (c, perf) and the whole stack
	# (rust, kunit, watchdog).  The first kernel of each builds from
	# scratch, side by side with the other's; the rest start from a copy
	# of their tree's first (kernel.sh), and what is left of each is
	# mostly its Rust crates, which rustc compiles one crate at a time,
	# on one core: built side by side, they keep both cores busy.
	# SERIAL_KERNELS=1 builds them one after the other.
	first="" rest=""
	for v in $kernels; do
		case $v in
		c|rust) first="$first $v" ;;
		*) rest="$rest $v" ;;
		esac
	done
	rest=${rest# }
	[ -n "${first// /}" ] || { first=" ${rest%% *}"; rest=${rest#"${first# }"}; }
	if [ "${SERIAL_KERNELS:-0}" = 1 ]; then
		for v in $first $rest; do
			phase "kernel $v" bash "$TOP/scripts/kernel.sh" "$v" || die "build failed"
		done
	else
		phase "kernels$first, side by side" side_by_side $first || die "build failed"
		if [ -n "${rest// /}" ]; then
			phase "kernels$rest, side by side" side_by_side $rest || die "build failed"
		fi
	fi
	phase "firmware + initramfs" bash -c 'bash "$1/scripts/firmware.sh" &&
		FW_FLAVOUR=nosignal bash "$1/scripts/firmware.sh" && bash "$1/scripts/guest.sh"' \
		_ "$TOP" || die "build failed"
fi

# Only this run's kind of output: the benchmarks' tables and the
# hotplug-window logs live beside it.
rm -f "$RESULTS"/*.ktap "$RESULTS"/*.log "$RESULTS"/*.json "$RESULTS"/*.parse.txt \
	"$RESULTS"/parity.md "$RESULTS"/quality-gates.txt
mkdir -p "$RESULTS"

gates=skipped
# GATES=0: scenario runs only (make soak).
if [[ " $variants " == *" rust "* ]] && [ "${GATES:-1}" = 1 ]; then
	log "quality gates (checkpatch, rustfmtcheck, clippy, W=1, rustdoc)"
	if phase "quality gates" bash -c 'bash "$1/scripts/check.sh" | tee "$2"' _ "$TOP" \
		"$RESULTS/quality-gates.txt"; then gates=ok; else gates=failed; fi
fi
log "scenario tests (variants: $variants)"
# BOOT_JOBS guests at a time (pytest-xdist; default 2): much of a boot is
# the guest waiting on purpose.  BOOT_JOBS=1 boots one at a time.
jobs=${BOOT_JOBS:-2}
xdist=()
if [ "$jobs" -gt 1 ]; then
	python3 -c 'import xdist' 2>/dev/null ||
		die "pytest-xdist not found: 'make setup' installs it from PyPI (or BOOT_JOBS=1)"
	xdist=(-n "$jobs" --dist load --maxschedchunk 1)
fi
phase "scenario boots ($jobs at a time)" python3 -m pytest "$TOP/tests" -v -rfE -p no:cacheprovider \
	"${xdist[@]}" --durations=0 --durations-min=1 --variants "${variants// /,}" "$@"
rc=$?
[ $rc -eq 5 ] && { log "no test selected"; rc=1; }

# One KTAP document for the whole run, readable by kunit.py parse.
report=$RESULTS/scenarios.ktap
n=$(ls "$RESULTS"/*.ktap 2>/dev/null | wc -l)
{
	echo "KTAP version 1"
	echo "1..$n"
	i=0
	for f in "$RESULTS"/*-*.ktap; do
		[ -f "$f" ] || continue
		i=$((i + 1))
		sed -e '$!b' -e "s/^\(not ok\|ok\) /\1 $i /" "$f"
	done
} >"$report"
if [ -f "$TREE/tools/testing/kunit/kunit.py" ] && [ "$n" -gt 0 ]; then
	log "KTAP report $report, as the kernel's parser reads it:"
	python3 "$TREE/tools/testing/kunit/kunit.py" parse "$report" | tail -4 >&2 || rc=1
fi

if [ "$(wc -w <<<"$variants")" -gt 1 ]; then
	log "parity matrix:"
	python3 "$TOP/scripts/parity.py" "$RESULTS" $variants | tee "$RESULTS/parity.md" ||
		{ log "the variants differ"; rc=1; }
fi

pass=$(grep -c '^ok ' "$report" || true)
fail=$(grep -c '^not ok ' "$report" || true)
log "scenario boots: $pass passed, $fail failed; quality gates: $gates"
case $gates in
ok) pass=$((pass + 1)) ;;
failed) fail=$((fail + 1)); rc=1 ;;
esac
trap - EXIT
phase_table
echo "$pass passed, $fail failed"
exit $rc
