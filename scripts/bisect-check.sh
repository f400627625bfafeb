#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Bisectability: build the kernel (kunit variant config: every option of
# the series on, the KUnit tests and doc examples included; CLIPPY=1)
# after each patch of the series, in its own build directory, then return
# the tree to the series head.  Prints KTAP; non-zero exit if any step
# fails to build or warns.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$BUILD/bisect
frags=("$TOP/configs/qemu-sdei.config" "$TOP/configs/kunit.config")
[ -d "$TREE/.git" ] || die "no tree: run 'make tree'"
# The kernel's dotfiles (.clippy.toml sets clippy's MSRV) are not in the
# base commit: a clone made for this check lacks them, and clippy then
# warns about v7.3's own code.
[ -f "$TREE/.clippy.toml" ] || die "no .clippy.toml in $TREE: copy the kernel tree's dotfiles into it"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes"
head=$(git -C "$TREE" rev-parse HEAD)
branch=$(git -C "$TREE" symbolic-ref --short -q HEAD || echo "$head")
commits=$(git -C "$TREE" rev-list --reverse sdei-base..HEAD)
restore() { git -C "$TREE" checkout -q "$branch"; }
trap restore EXIT

mkdir -p "$out"
echo "KTAP version 1"
echo "1..$(wc -w <<<"$commits")"
i=0 fail=0
for c in $commits; do
	i=$((i + 1))
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	git -C "$TREE" checkout -q "$c"
	(cd "$TREE" && ARCH=arm64 LLVM=$LLVM_SUFFIX scripts/kconfig/merge_config.sh -n -O "$out" \
		"${frags[@]}" >"$out/merge.log" 2>&1)
	t0=$(date +%s)
	if kmake "$out" CLIPPY=1 -j"$(nproc)" Image >"$out/build-$i.log" 2>&1; then
		warn=$(grep -cE '(^|: )warning' "$out/build-$i.log")
		if [ "$warn" -eq 0 ]; then
			echo "ok $i $subject # built in $(( $(date +%s) - t0 )) s, 0 warnings"
		else
			echo "not ok $i $subject # $warn warnings, see $out/build-$i.log"
			grep -E '(^|: )warning' "$out/build-$i.log" | head -5 | sed 's/^/# /'
			fail=1
		fi
	else
		echo "not ok $i $subject # build failed, see $out/build-$i.log"
		grep -E '^(error|.*error:)' "$out/build-$i.log" | head -5 | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
