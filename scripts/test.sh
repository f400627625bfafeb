#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh [--no-build] [pytest args]: build what is stale, run the scenario
# tests, collect their KTAP into one report, check it with the kernel's own
# KTAP parser and end with a pass/fail summary.  Non-zero exit on failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

build=1
[ "${1:-}" = --no-build ] && { build=0; shift; }
# The parity matrix: every scenario on every variant (c: the upstream C
# driver, rust: the Rust port), unless VARIANTS says otherwise.
variants=${VARIANTS:-c rust}
RESULTS=$CACHE/results
t0=$(date +%s)

if [ $build -eq 1 ]; then
	bash "$TOP/scripts/tree.sh" materialise || die "build failed"
	kernels=$variants
	# The Rust port's own tests run in kernels of their own: its KUnit
	# tests (kunit) and its hardlockup detector (watchdog).
	[[ " $variants " == *" rust "* ]] && kernels="$kernels kunit watchdog"
	for v in $kernels; do
		bash "$TOP/scripts/kernel.sh" "$v" || die "build failed"
	done
	bash "$TOP/scripts/firmware.sh" &&
	bash "$TOP/scripts/guest.sh" || die "build failed"
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

gates=skipped
# GATES=0: scenario runs only (make soak).
if [[ " $variants " == *" rust "* ]] && [ "${GATES:-1}" = 1 ]; then
	log "quality gates (checkpatch, rustfmtcheck, clippy, W=1, rustdoc)"
	if bash "$TOP/scripts/check.sh" | tee "$RESULTS/quality-gates.txt"; then gates=ok; else gates=failed; fi
fi
log "scenario tests (variants: $variants)"
python3 -m pytest "$TOP/tests" -v -rfE -p no:cacheprovider --durations=0 --durations-min=1 \
	--variants "${variants// /,}" "$@"
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
log "test run took $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed"
exit $rc
