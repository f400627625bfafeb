#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nofix.sh [--set SET | --experiment NAME] VARIANT...: build each VARIANT's
# kernel from the series with a change undone or made, for the evidence of
# what a scenario does without it:
#   (default)          the hotplug-window fix reverted (NOFIX_SUBJECTS,
#                      lib.sh), into $BUILD/VARIANT-nofix (make hotplug-nofix);
#   --set stale-sgi    the GICv3 driver's drop of stale SGIs reverted
#                      (NOFIX_STALE_SGI_SUBJECTS), into
#                      $BUILD/VARIANT-nofix-stale-sgi;
#   --set delivery     the boot check of event 0's delivery reverted
#                      (NOFIX_DELIVERY_SUBJECTS), into
#                      $BUILD/VARIANT-nofix-delivery (make delivery-nofix);
#   --experiment NAME  tests/experiments/NAME.patch applied on top, into
#                      $BUILD/VARIANT-exp-NAME (make stop-questions).
#
# The changed source is checked out in the kernel tree itself for the
# build, and the tree put back on its branch afterwards, failed or not: a
# build directory made from another source path would be rebuilt from
# scratch, one made from the same path only where the change touched it.
# So nothing else may use the tree while this runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

set_name=hotplug experiment=
case "${1:-}" in
--set) set_name=$2; shift 2 ;;
--experiment) experiment=$2; shift 2 ;;
esac
[ $# -gt 0 ] || set -- c rust
case $set_name in
hotplug) subjects=("${NOFIX_SUBJECTS[@]}") suffix=nofix ;;
stale-sgi) subjects=("${NOFIX_STALE_SGI_SUBJECTS[@]}") suffix=nofix-stale-sgi ;;
delivery) subjects=("${NOFIX_DELIVERY_SUBJECTS[@]}") suffix=nofix-delivery ;;
*) die "no such set of fixes: $set_name (hotplug, stale-sgi, delivery)" ;;
esac
if [ -n "$experiment" ]; then
	patch=$TOP/tests/experiments/$experiment.patch
	[ -f "$patch" ] || die "no experiment $patch"
	subjects=() suffix=exp-$experiment
fi

g() { git -C "$TREE" "$@"; }
[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	die "the kernel tree has uncommitted edits: commit or export them first"
branch=$(g symbolic-ref -q --short HEAD) || die "the kernel tree is not on a branch"
commits=()
for subj in "${subjects[@]}"; do
	c=$(g log --format='%H %s' sdei-base..HEAD |
		awk -v s="$subj" '{ h = $1; sub(/^[^ ]+ /, ""); if ($0 == s) print h }')
	[ -n "$c" ] || die "no commit '$subj' in the series"
	commits+=("$c")
done
trap 'g checkout -q -f "$branch"' EXIT
g checkout -q --detach
if [ -n "$experiment" ]; then
	g apply "$patch"
	g -c user.name=harness -c user.email=harness@localhost \
		commit -q -a -m "experiment: $experiment"
	log "the tree with experiment $experiment: $(g rev-parse --short HEAD)"
else
	g revert --no-edit "${commits[@]}" >/dev/null
	log "the tree without the $set_name fix: $(g rev-parse --short HEAD) (${#commits[@]} commits reverted)"
fi
for v in "$@"; do
	SEED=$v KERNEL_DIR=$v-$suffix bash "$TOP/scripts/kernel.sh" "$v"
done
