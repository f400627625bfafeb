#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nofix.sh [--set SET | --experiment NAME] VARIANT...: build each VARIANT's
# kernel from the series with a change undone or made, for the evidence of
# what a scenario does without it:
#   (default)          without the hotplug-window fix
#                      (tests/experiments/no-hotplug-fix-VARIANT.patch), into
#                      $BUILD/VARIANT-nofix (make hotplug-nofix);
#   --set stale-sgi    the GICv3 driver's drop of stale SGIs reverted
#                      (NOFIX_STALE_SGI_SUBJECTS), into
#                      $BUILD/VARIANT-nofix-stale-sgi;
#   --set delivery     without the delivery check's verdict
#                      (tests/experiments/no-delivery-check-VARIANT.patch),
#                      into $BUILD/VARIANT-nofix-delivery (make delivery-nofix);
#   --experiment NAME  tests/experiments/NAME-VARIANT.patch (or NAME.patch)
#                      applied on top, into $BUILD/VARIANT-exp-NAME
#                      (make stop-questions, make pm-nofix).
#
# The changed source is checked out in the variant's own source tree (the
# C-only one for c, the whole stack for rust) for the build, and the tree
# put back on its branch afterwards, failed or not: a build directory made
# from another source path would be rebuilt from scratch, one made from
# the same path only where the change touched it.  So nothing else may use
# that tree while this runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

set_name=hotplug experiment= subjects=()
case "${1:-}" in
--set) set_name=$2; shift 2 ;;
--experiment) experiment=$2 set_name=experiment; shift 2 ;;
esac
[ $# -gt 0 ] || set -- c rust
# The hotplug and delivery sets are undone by an experiment patch each
# (tests/experiments/): later patches build on them, so a revert conflicts.
case $set_name in
hotplug) experiment=${experiment:-no-hotplug-fix} suffix=nofix ;;
stale-sgi) subjects=("${NOFIX_STALE_SGI_SUBJECTS[@]}") suffix=nofix-stale-sgi ;;
delivery) experiment=${experiment:-no-delivery-check} suffix=nofix-delivery ;;
experiment) ;;
*) die "no such set of fixes: $set_name (hotplug, stale-sgi, delivery)" ;;
esac
if [ "$set_name" = experiment ]; then
	subjects=() suffix=exp-$experiment
fi

# nofix_one VARIANT: in VARIANT's source tree, undo or make the change and
# build; the tree is put back on its branch afterwards, failed or not.
nofix_one() {
	local v=$1 src subj c found=() rc=0
	src=$(tree_of "$v")
	g() { git -C "$src" "$@"; }
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		die "$src has uncommitted edits: commit or export them first"
	branch=$(g symbolic-ref -q --short HEAD) || die "$src is not on a branch"
	# The subjects this tree carries (the C-only tree has no Rust patch).
	for subj in "${subjects[@]}"; do
		c=$(g log --format='%H %s' sdei-base..HEAD |
			awk -v s="$subj" '{ h = $1; sub(/^[^ ]+ /, ""); if ($0 == s) print h }')
		[ -n "$c" ] && found+=("$c")
	done
	[ -n "$experiment" ] || [ ${#found[@]} -gt 0 ] || die "no commit of the $set_name set in $src"
	# Expanded now: the trap runs after this function's locals are gone.
	# shellcheck disable=SC2064
	trap "git -C '$src' revert --abort 2>/dev/null; git -C '$src' checkout -q -f '$branch'" EXIT
	g checkout -q --detach
	if [ -n "$experiment" ]; then
		# NAME-VARIANT.patch where the variants differ, else NAME.patch.
		patch=$TOP/tests/experiments/$experiment-$v.patch
		[ -f "$patch" ] || patch=$TOP/tests/experiments/$experiment.patch
		[ -f "$patch" ] || die "no experiment $patch"
		g apply "$patch"
		g -c user.name=harness -c user.email=harness@localhost \
			commit -q -a -m "experiment: $experiment"
		log "$src with experiment $experiment: $(g rev-parse --short HEAD)"
	else
		g revert --no-edit "${found[@]}" >/dev/null
		log "$src without the $set_name fix: $(g rev-parse --short HEAD) (${#found[@]} commits reverted)"
	fi
	SRC=$src SEED=$v KERNEL_DIR=$v-$suffix bash "$TOP/scripts/kernel.sh" "$v" || rc=$?
	g checkout -q -f "$branch"
	trap - EXIT
	return $rc
}

for v in "$@"; do
	nofix_one "$v"
done
