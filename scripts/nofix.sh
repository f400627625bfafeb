#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nofix.sh VARIANT...: build each VARIANT's kernel, with the hotplug-window
# fix reverted (the commits NOFIX_SUBJECTS names, lib.sh), into
# $BUILD/VARIANT-nofix, for the evidence that the hotplug-overlap scenario
# fails without the fix (make hotplug-nofix).
#
# The reverted source is checked out in the kernel tree itself for the
# build, and the tree put back on its branch afterwards, failed or not: a
# build directory made from another source path would be rebuilt from
# scratch, one made from the same path only where the fix changed it.  So
# nothing else may use the tree while this runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || set -- c rust
g() { git -C "$TREE" "$@"; }
[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	die "the kernel tree has uncommitted edits: commit or export them first"
branch=$(g symbolic-ref -q --short HEAD) || die "the kernel tree is not on a branch"
commits=()
for subj in "${NOFIX_SUBJECTS[@]}"; do
	c=$(g log --format='%H %s' sdei-base..HEAD |
		awk -v s="$subj" '{ h = $1; sub(/^[^ ]+ /, ""); if ($0 == s) print h }')
	[ -n "$c" ] || die "no commit '$subj' in the series"
	commits+=("$c")
done
trap 'g checkout -q "$branch"' EXIT
g checkout -q --detach
g revert --no-edit "${commits[@]}" >/dev/null
log "the tree without the fix: $(g rev-parse --short HEAD) (${#commits[@]} commits reverted)"
for v in "$@"; do
	SEED=$v KERNEL_DIR=$v-nofix bash "$TOP/scripts/kernel.sh" "$v"
done
